// Helpers for the adapter tests: test programs with `# @marker` lines (no
// hard-coded line numbers), and a DebugClient wrapper that records every event
// so a test can wait for one that may already have arrived.

import assert from "node:assert/strict";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LoopModel, ModelMirror, type BlockedEpisode, type ModelDelta } from "../../model/index";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ADAPTER = join(REPO, "dist/debugAdapter.js");
export const RUNTIME = join(REPO, "runtime");
/** The interpreter under test (the runner sets it). */
export const PYTHON = process.env["LOOPSCOPE_TEST_PYTHON"] ?? "python3";
export const PY_VERSION = process.env["LOOPSCOPE_TEST_PY_VERSION"] ?? "";
export const TIMEOUT = 30_000;

/** Removes the common leading indentation (programs are written indented in the tests). */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").split("\n");
  const indents = lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

export class Program {
  readonly dir: string;
  readonly path: string;
  readonly source: string;

  constructor(source: string, name = "prog.py", dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "loopscope-adapter-"));
    this.source = dedent(source);
    this.path = join(this.dir, name);
    writeFileSync(this.path, this.source);
  }

  /** 1-based line of the line ending with `# @marker`. */
  line(marker: string): number {
    const lines = this.source.split("\n");
    for (let i = 0; i < lines.length; i++) if (lines[i]!.trimEnd().endsWith(`# @${marker}`)) return i + 1;
    throw new Error(`no line marked @${marker} in ${this.path}`);
  }
}

const EVENT_NAMES = [
  "initialized",
  "stopped",
  "continued",
  "exited",
  "terminated",
  "thread",
  "output",
  "breakpoint",
  "process",
  "loopscope/delta",
  "loopscope/session",
];

export interface BreakpointSpec {
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

/** Exception filters: ids, or the whole setExceptionBreakpoints arguments (with conditions). */
export type Filters = string[] | DebugProtocol.SetExceptionBreakpointsArguments;

export interface Timed {
  readonly at: number;
  readonly event: DebugProtocol.Event;
}

export class Session {
  readonly dc: DebugClient;
  readonly events: Timed[] = [];
  private wake: (() => void)[] = [];
  adapterExit: number | null = null;

  constructor() {
    this.dc = new DebugClient("node", ADAPTER, "loopscope", { env: { ...process.env } }, true);
    this.dc.defaultTimeout = TIMEOUT;
  }

  async start(): Promise<this> {
    await this.dc.start();
    for (const name of EVENT_NAMES) {
      this.dc.on(name, (event: DebugProtocol.Event) => {
        this.events.push({ at: Date.now(), event });
        const w = this.wake;
        this.wake = [];
        for (const f of w) f();
      });
    }
    return this;
  }

  /** The first event named `name` (after index `from`) matching `pred`, waiting for it if needed. */
  async until(
    name: string,
    pred: (e: DebugProtocol.Event) => boolean = () => true,
    timeoutMs = TIMEOUT,
    from = 0,
  ): Promise<DebugProtocol.Event> {
    const deadline = Date.now() + timeoutMs;
    let seen = from;
    for (;;) {
      for (; seen < this.events.length; seen++) {
        const e = this.events[seen]!.event;
        if (e.event === name && pred(e)) return e;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const last = this.events
          .slice(-8)
          .map((t) => `${t.event.event} ${JSON.stringify(t.event.body ?? {}).slice(0, 200)}`)
          .join("\n  ");
        throw new Error(
          `no '${name}' event within ${timeoutMs} ms; last events:\n  ${last}\noutput: ${this.output().slice(-2000)}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.wake.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Index to pass as `from` to wait only for events after now. */
  mark(): number {
    return this.events.length;
  }

  stopped(from = 0): Promise<DebugProtocol.StoppedEvent> {
    return this.until("stopped", () => true, TIMEOUT, from) as Promise<DebugProtocol.StoppedEvent>;
  }

  /** Everything the program and the adapter printed, optionally one category. */
  output(category?: string): string {
    return this.events
      .filter((t) => t.event.event === "output" && (category === undefined || t.event.body.category === category))
      .map((t) => (t.event as DebugProtocol.OutputEvent).body.output)
      .join("");
  }

  async waitOutput(text: string | RegExp, timeoutMs = TIMEOUT): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ok = (): boolean => (typeof text === "string" ? this.output().includes(text) : text.test(this.output()));
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`output never contained ${String(text)}; it was:\n${this.output()}`);
      await this.until("output", () => true, Math.max(1, deadline - Date.now()), this.events.length).catch(
        () => undefined,
      );
    }
  }

  /** initialize, launch, set breakpoints and filters, configurationDone; resolves when launch answered. */
  async launch(
    config: Record<string, unknown>,
    breakpoints: Record<string, BreakpointSpec[]> = {},
    filters?: Filters,
  ): Promise<DebugProtocol.LaunchResponse> {
    const init = this.until("initialized");
    const launched = this.dc.launch({ python: PYTHON, ...config });
    launched.catch(() => undefined); // a launch may fail before configuration is done: the caller sees it below
    await init;
    await this.configure(breakpoints, filters);
    return launched;
  }

  async attach(
    config: Record<string, unknown>,
    breakpoints: Record<string, BreakpointSpec[]> = {},
    filters?: Filters,
  ): Promise<DebugProtocol.AttachResponse> {
    const init = this.until("initialized");
    await this.dc.initializeRequest({
      adapterID: "loopscope",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    const attached = this.dc.attachRequest(config as DebugProtocol.AttachRequestArguments);
    attached.catch(() => undefined); // see launch()
    await init;
    await this.configure(breakpoints, filters);
    return attached;
  }

  private async configure(breakpoints: Record<string, BreakpointSpec[]>, filters?: Filters): Promise<void> {
    for (const [path, bps] of Object.entries(breakpoints)) {
      await this.dc.setBreakpointsRequest({ source: { path }, breakpoints: bps });
    }
    if (filters !== undefined) {
      await this.dc.setExceptionBreakpointsRequest(Array.isArray(filters) ? { filters } : filters);
    }
    await this.dc.configurationDoneRequest();
  }

  /** The frames of the thread that stopped. */
  async stack(threadId: number): Promise<DebugProtocol.StackFrame[]> {
    return (await this.dc.stackTraceRequest({ threadId })).body.stackFrames;
  }

  /** name -> value of the first scope called `scope` of a frame. */
  async scope(frameId: number, scope = "Locals"): Promise<Map<string, DebugProtocol.Variable>> {
    const scopes = (await this.dc.scopesRequest({ frameId })).body.scopes;
    const s = scopes.find((x) => x.name === scope);
    if (s === undefined) throw new Error(`no scope ${scope}: ${scopes.map((x) => x.name).join(", ")}`);
    return this.vars(s.variablesReference);
  }

  async vars(
    ref: number,
    extra: Partial<DebugProtocol.VariablesArguments> = {},
  ): Promise<Map<string, DebugProtocol.Variable>> {
    const vs = (await this.dc.variablesRequest({ variablesReference: ref, ...extra })).body.variables;
    return new Map(vs.map((v) => [v.name, v]));
  }

  async threadNames(): Promise<string[]> {
    return (await this.dc.threadsRequest()).body.threads.map((t) => t.name);
  }

  /** The pid the adapter reported in its `process` event. */
  async pid(): Promise<number> {
    const e = await this.until("process");
    return (e.body as { systemProcessId: number }).systemProcessId;
  }

  async stop(): Promise<void> {
    try {
      await this.dc.stop();
    } catch {
      // the adapter may already be gone
    }
  }
}

export async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await new Session().start();
  try {
    return await fn(s);
  } catch (err) {
    // What the program and the adapter said, for the failure report.
    console.error(`--- output of the failed session ---\n${s.output().slice(-4000)}\n---`);
    throw err;
  } finally {
    await s.stop();
  }
}

/** Is a process alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Error message of a rejected request. */
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error("expected the request to fail, it succeeded");
}

export function pyAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(PY_VERSION);
  if (!m) return true;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

/** The loop model as the extension's views see it so far: every loopscope/delta event folded. */
export function viewModel(s: Session): ModelMirror {
  const m = ModelMirror.fromSnapshot(new LoopModel().snapshot());
  for (const t of s.events) {
    if (t.event.event !== "loopscope/delta") continue;
    const delta = (t.event.body as { delta: ModelDelta }).delta;
    assert.ok(m.applyDelta(delta), `delta ${delta.seq} follows ${m.deltaSeq}`);
  }
  return m;
}

/** Every blocked-loop episode of every loop. */
export function episodes(m: ModelMirror): BlockedEpisode[] {
  return [...m.loops.values()].flatMap((l) => l.blocked);
}
