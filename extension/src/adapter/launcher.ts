// Starting the user's program under the runtime: which Python, is it new
// enough, the command line, the environment, and ending the whole process
// group so nothing is left behind.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";

/** The directory holding the `loopscope` Python package (shipped next to dist/). */
export function runtimeDir(): string {
  const fromEnv = process.env["LOOPSCOPE_RUNTIME_DIR"];
  if (fromEnv) return fromEnv;
  return resolve(__dirname, "..", "runtime");
}

export interface PythonInfo {
  readonly path: string;
  readonly version: string;
  readonly major: number;
  readonly minor: number;
}

/** A launch problem worth a clear sentence to the user. */
export class LaunchError extends Error {}

function onPath(name: string): string | null {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The interpreter to use: the configured one, else python3, else python on PATH. */
export function choosePython(configured: string | undefined): string {
  if (configured) return configured;
  const found = onPath("python3") ?? onPath("python");
  if (found === null) {
    throw new LaunchError(
      'No Python found: neither python3 nor python is on PATH. Set "python" in the launch configuration.',
    );
  }
  return found;
}

/** Runs the interpreter once to learn its version; throws LaunchError when it is missing, broken or too old. */
export function probePython(python: string, timeoutMs = 15_000): Promise<PythonInfo> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      python,
      ["-c", "import sys; sys.stdout.write('%d.%d.%d' % tuple(sys.version_info[:3]))"],
      { timeout: timeoutMs, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ENOENT") {
            reject(
              new LaunchError(
                `No Python at ${python}: the file does not exist. Check "python" in the launch configuration.`,
              ),
            );
          } else if (code === "EACCES") {
            reject(
              new LaunchError(`Cannot run ${python}: permission denied. Check "python" in the launch configuration.`),
            );
          } else if (err.killed) {
            reject(new LaunchError(`${python} did not answer within ${timeoutMs / 1000} s when asked its version.`));
          } else {
            const why = String(stderr).trim().split("\n").slice(-3).join("\n") || err.message;
            reject(new LaunchError(`${python} is not a working Python: ${why}`));
          }
          return;
        }
        const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(stdout).trim());
        if (!m) {
          reject(
            new LaunchError(
              `${python} is not a CPython interpreter Loopscope understands (it printed ${JSON.stringify(String(stdout).slice(0, 80))}).`,
            ),
          );
          return;
        }
        const info: PythonInfo = {
          path: python,
          version: `${m[1]}.${m[2]}.${m[3]}`,
          major: Number(m[1]),
          minor: Number(m[2]),
        };
        if (info.major < 3 || (info.major === 3 && info.minor < 8)) {
          reject(
            new LaunchError(`Python ${info.version} at ${python} is too old: Loopscope needs Python 3.8 or newer.`),
          );
          return;
        }
        resolvePromise(info);
      },
    );
  });
}

export interface ProgramSpec {
  readonly program?: string;
  readonly module?: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | null>>;
  /** The runtime's slow-callback threshold in ms (its own default when absent). */
  readonly slowCallbackMs?: number;
}

/** Where the program is, checked before anything starts. */
export function resolveProgram(program: string, cwd: string): string {
  const path = isAbsolute(program) ? program : resolve(cwd, program);
  if (!existsSync(path)) throw new LaunchError(`Program not found: ${path}`);
  if (statSync(path).isDirectory()) throw new LaunchError(`Program is a directory, not a Python file: ${path}`);
  return path;
}

export function programEnv(spec: ProgramSpec): NodeJS.ProcessEnv {
  const removed = new Set(Object.entries(spec.env).flatMap(([k, v]) => (v === null ? [k] : [])));
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !removed.has(k)));
  for (const [k, v] of Object.entries(spec.env)) if (v !== null) env[k] = v;
  const rt = runtimeDir();
  env["PYTHONPATH"] = env["PYTHONPATH"] ? rt + delimiter + env["PYTHONPATH"] : rt;
  // Output reaches the Debug Console as it is written, not when a pipe buffer fills.
  if (env["PYTHONUNBUFFERED"] === undefined) env["PYTHONUNBUFFERED"] = "1";
  return env;
}

export function runtimeArgs(spec: ProgramSpec, port: number, token: string): string[] {
  const head = ["-m", "loopscope", "run", "--connect", `127.0.0.1:${port}`, "--token", token, "--hold"];
  if (spec.slowCallbackMs !== undefined) head.push("--slow-callback-ms", String(spec.slowCallbackMs));
  if (spec.module) return [...head, "-m", spec.module, ...spec.args];
  return [...head, "--", spec.program ?? "", ...spec.args];
}

export interface RunningProgram {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited and its output streams are drained. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last bytes the program wrote to stderr (for error messages). */
  stderrTail(): string;
  /** Ends the process group: SIGTERM, then SIGKILL after graceMs. Resolves when it is gone. */
  kill(graceMs?: number): Promise<void>;
  readonly done: boolean;
}

const TAIL = 8 * 1024;

/** Starts python with the runtime; stdout/stderr go to onOutput as they come. */
export function startProgram(
  python: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onOutput: (category: "stdout" | "stderr", text: string) => void,
): Promise<RunningProgram> {
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(cwd)) {
      reject(new LaunchError(`The working directory does not exist: ${cwd}`));
      return;
    }
    // A process group of its own, so ending the session ends whatever the program started too.
    const child = spawn(python, args, {
      cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: process.platform !== "win32",
      windowsHide: true,
    });
    let tail = "";
    let done = false;
    let streams = 2;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settleExit: (v: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (settleExit = r));
    const maybeDone = (): void => {
      if (exit !== null && streams === 0 && !done) {
        done = true;
        settleExit(exit);
      }
    };
    for (const [stream, category] of [
      [child.stdout, "stdout"],
      [child.stderr, "stderr"],
    ] as const) {
      const decoder = new StringDecoder("utf8");
      stream.on("data", (chunk: Buffer) => {
        const text = decoder.write(chunk);
        if (category === "stderr") tail = (tail + text).slice(-TAIL);
        if (text) onOutput(category, text);
      });
      stream.on("close", () => {
        const text = decoder.end();
        if (text) onOutput(category, text);
        streams--;
        maybeDone();
      });
    }
    child.stdin.on("error", () => undefined);
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        reject(
          new LaunchError(
            err.code === "ENOENT"
              ? `No Python at ${python}: the file does not exist.`
              : `Cannot start ${python}: ${err.message}`,
          ),
        );
      }
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Output pipes may be held open by the program's own children: do not wait on them forever.
      setTimeout(() => {
        if (!done) {
          child.stdout.destroy();
          child.stderr.destroy();
          streams = 0;
          maybeDone();
        }
      }, 2000).unref();
      maybeDone();
    });
    child.once("spawn", () => {
      const pid = child.pid!;
      const signalGroup = (sig: NodeJS.Signals): void => {
        try {
          if (process.platform === "win32") child.kill(sig);
          else process.kill(-pid, sig);
        } catch {
          // already gone
        }
      };
      const running: RunningProgram = {
        child,
        pid,
        exited,
        stderrTail: () => tail,
        get done() {
          return done;
        },
        kill: async (graceMs = 2000) => {
          if (exit === null) {
            signalGroup("SIGTERM");
            const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
            await exited;
            clearTimeout(timer);
          }
          // Whatever the program left in its group goes too.
          signalGroup("SIGKILL");
        },
      };
      resolvePromise(running);
    });
  });
}

/** The runtime's own last words on stderr ("loopscope: ..."), if any. */
export function loopscopeMessage(stderr: string): string | null {
  const lines = stderr.split(/\r?\n/).filter((l) => l.startsWith("loopscope: "));
  const last = lines[lines.length - 1];
  return last === undefined ? null : last.slice("loopscope: ".length);
}

/** The default working directory: the program's folder, else the adapter's. */
export function defaultCwd(program: string | undefined): string {
  if (program && isAbsolute(program)) return dirname(program);
  return process.cwd();
}
