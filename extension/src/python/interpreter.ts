// Which Python runs the program: the launch configuration's `python`, else
// the Python extension's active interpreter (when that extension is
// installed), else python3 / python on PATH; and is it usable (CPython 3.8+).
// No `vscode` import: the Python extension is reached through a function the
// caller passes (pythonExtension.ts), so the order and the errors are unit-tested.

import { probePython, type PythonInfo } from "../adapter/launcher";
import { delimiter, join } from "node:path";
import { statSync } from "node:fs";

export type InterpreterSource = "launch configuration" | "Python extension" | "PATH";

export interface ResolvedInterpreter {
  readonly path: string;
  readonly source: InterpreterSource;
  readonly info: PythonInfo;
}

/** What went wrong, and what the user can do about it. */
export type InterpreterProblem = "none-found" | "unusable" | "too-old";

export class InterpreterError extends Error {
  constructor(
    readonly problem: InterpreterProblem,
    message: string,
    /** One sentence: how to fix it. */
    readonly fix: string,
    /** The interpreter that was tried, when there was one. */
    readonly path: string | null,
    readonly source: InterpreterSource | null,
  ) {
    super(message);
    this.name = "InterpreterError";
  }
}

export interface InterpreterLookup {
  /** The launch configuration's `python`, if set. */
  readonly configured?: string;
  /** The Python extension's active interpreter; undefined when it is not installed or has none. */
  readonly fromPythonExtension: () => Promise<string | undefined>;
  /** python3, then python, on PATH; null when neither is there. */
  readonly onPath?: () => string | null;
  /** Runs the interpreter to learn its version; rejects with a message when it is missing, broken or older than 3.8. */
  readonly probe?: (path: string) => Promise<PythonInfo>;
}

/** python3, else python, found on PATH (as a shell would, without running anything). */
export function pythonOnPath(pathVar: string = process.env["PATH"] ?? ""): string | null {
  for (const name of ["python3", "python"]) {
    for (const dir of pathVar.split(delimiter)) {
      if (!dir) continue;
      const p = join(dir, name);
      try {
        if (statSync(p).isFile()) return p;
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

const FIX_SET_PYTHON = 'Set "python" in the launch configuration to a CPython 3.8 or newer';
const FIX_INSTALL =
  'Install CPython 3.8 or newer (python3 on PATH), select it with the Python extension, or set "python" in the launch configuration';

/** Finds the interpreter in the documented order and checks it; throws InterpreterError with a fix. */
export async function resolveInterpreter(lookup: InterpreterLookup): Promise<ResolvedInterpreter> {
  const probe = lookup.probe ?? ((p: string) => probePython(p));
  let path: string | undefined;
  let source: InterpreterSource;
  if (lookup.configured !== undefined && lookup.configured.trim() !== "") {
    path = lookup.configured;
    source = "launch configuration";
  } else {
    let fromExtension: string | undefined;
    try {
      fromExtension = await lookup.fromPythonExtension();
    } catch {
      fromExtension = undefined; // the Python extension failed: fall back to PATH as if it were absent
    }
    if (fromExtension !== undefined && fromExtension.trim() !== "") {
      path = fromExtension;
      source = "Python extension";
    } else {
      path = (lookup.onPath ?? (() => pythonOnPath()))() ?? undefined;
      source = "PATH";
    }
  }
  if (path === undefined) {
    throw new InterpreterError(
      "none-found",
      "Loopscope found no Python: neither python3 nor python is on PATH, and no interpreter is selected in the Python extension.",
      FIX_INSTALL + ".",
      null,
      null,
    );
  }
  let info: PythonInfo;
  try {
    info = await probe(path);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const tooOld = /too old/.test(text);
    const fix =
      source === "launch configuration"
        ? FIX_SET_PYTHON + "."
        : source === "Python extension"
          ? 'Select a CPython 3.8 or newer with the Python extension (Python: Select Interpreter), or set "python" in the launch configuration.'
          : FIX_INSTALL + ".";
    throw new InterpreterError(
      tooOld ? "too-old" : "unusable",
      `${/[.!?]$/.test(text) ? text : text + "."} It came from the ${source}.`,
      fix,
      path,
      source,
    );
  }
  return { path, source, info };
}
