// Launch and attach configurations (the attributes of a `"type": "loopscope"`
// entry in launch.json), checked before anything starts. package.json's
// `contributes.debuggers[].configurationAttributes` documents the same fields.

import type { DebugProtocol } from "@vscode/debugprotocol";
import { DEFAULT_CONFIG } from "../../../model/index";

/** `slowCallbackThreshold` in ms: its default and bounds (the loopscope.slowCallbackThreshold setting's too). */
export const SLOW_CALLBACK_MS = Object.freeze({ default: 100, min: 1, max: 60_000 });
/** `retainedFinishedTasks`: the loop model's own default (finishedTaskRetention), and bounds. */
export const RETAINED_FINISHED_TASKS = Object.freeze({
  default: DEFAULT_CONFIG.finishedTaskRetention,
  min: 0,
  max: 50_000,
});

/** What launch and attach share: how the loop is watched. */
interface WatchOptions {
  /** A callback holding the loop this many ms or longer is reported as blocking it (default 100). */
  slowCallbackThreshold?: number;
  /** Finished tasks kept in detail (the loop view, the Task scope) before they are summarised as counts (default 1000). */
  retainedFinishedTasks?: number;
}

export interface LaunchConfig extends DebugProtocol.LaunchRequestArguments, WatchOptions {
  /** Python file to run (absolute, or relative to cwd). Either this or `module`. */
  program?: string;
  /** Module to run as `python -m module`. */
  module?: string;
  args?: string[];
  /** Working directory; default: the program's folder (module: the adapter's cwd). */
  cwd?: string;
  /** Environment additions; null removes a variable. */
  env?: Record<string, string | null>;
  /** Interpreter path; default: python3, then python on PATH. */
  python?: string;
  stopOnEntry?: boolean;
  /** Stepping stays out of the standard library and site-packages (default true). */
  justMyCode?: boolean;
  /** How long to wait for the program's runtime to connect, in ms (default 20000). */
  connectTimeout?: number;
  /** Send the loop model to the client as loopscope/* events (default true). */
  viewEvents?: boolean;
}

export interface AttachConfig extends DebugProtocol.AttachRequestArguments, WatchOptions {
  /** Default 127.0.0.1 (loopscope.listen() binds to loopback only). */
  host?: string;
  port?: number;
  /** The token the program passed to loopscope.listen(). */
  token?: string;
  justMyCode?: boolean;
  viewEvents?: boolean;
}

export type Checked<T> = { ok: true; config: T } | { ok: false; error: string };

const isStr = (x: unknown): x is string => typeof x === "string";
const isStrArray = (x: unknown): x is string[] => Array.isArray(x) && x.every(isStr);

export function checkLaunch(raw: LaunchConfig): Checked<LaunchConfig> {
  const hasProgram = isStr(raw.program) && raw.program.trim() !== "";
  const hasModule = isStr(raw.module) && raw.module.trim() !== "";
  if (hasProgram === hasModule) {
    return {
      ok: false,
      error:
        'Set either "program" (a Python file) or "module" (run as python -m) in the launch configuration, not both and not neither.',
    };
  }
  if (raw.args !== undefined && !isStrArray(raw.args)) return { ok: false, error: '"args" must be a list of strings.' };
  if (raw.cwd !== undefined && !isStr(raw.cwd)) return { ok: false, error: '"cwd" must be a string.' };
  if (raw.python !== undefined && (!isStr(raw.python) || raw.python.trim() === ""))
    return { ok: false, error: '"python" must be the path of an interpreter.' };
  if (raw.env !== undefined) {
    if (typeof raw.env !== "object" || raw.env === null || Array.isArray(raw.env))
      return { ok: false, error: '"env" must be an object of strings.' };
    for (const [k, v] of Object.entries(raw.env)) {
      if (v !== null && !isStr(v)) return { ok: false, error: `"env.${k}" must be a string (or null to remove it).` };
    }
  }
  if (raw.connectTimeout !== undefined && !(typeof raw.connectTimeout === "number" && raw.connectTimeout > 0)) {
    return { ok: false, error: '"connectTimeout" must be a positive number of milliseconds.' };
  }
  const watch = checkWatch(raw);
  return watch === null ? { ok: true, config: raw } : { ok: false, error: watch };
}

const within = (x: unknown, b: { min: number; max: number }): boolean =>
  typeof x === "number" && Number.isFinite(x) && x >= b.min && x <= b.max;

/** What is wrong with the watch options, or null. */
function checkWatch(raw: WatchOptions): string | null {
  if (raw.slowCallbackThreshold !== undefined && !within(raw.slowCallbackThreshold, SLOW_CALLBACK_MS))
    return `"slowCallbackThreshold" must be a number of milliseconds from ${SLOW_CALLBACK_MS.min} to ${SLOW_CALLBACK_MS.max}.`;
  const kept = raw.retainedFinishedTasks;
  if (kept !== undefined && !(within(kept, RETAINED_FINISHED_TASKS) && Number.isInteger(kept)))
    return `"retainedFinishedTasks" must be a whole number from ${RETAINED_FINISHED_TASKS.min} to ${RETAINED_FINISHED_TASKS.max}.`;
  return null;
}

export function checkAttach(raw: AttachConfig): Checked<AttachConfig> {
  if (typeof raw.port !== "number" || !Number.isInteger(raw.port) || raw.port <= 0 || raw.port > 65535) {
    return { ok: false, error: 'Set "port" to the port the program passed to loopscope.listen().' };
  }
  if (!isStr(raw.token) || raw.token === "") {
    return { ok: false, error: 'Set "token" to the token the program passed to loopscope.listen(port, token=...).' };
  }
  if (raw.host !== undefined && !isStr(raw.host)) return { ok: false, error: '"host" must be a string.' };
  const watch = checkWatch(raw);
  return watch === null ? { ok: true, config: raw } : { ok: false, error: watch };
}
