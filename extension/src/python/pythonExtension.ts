// The Python extension's active interpreter, through its public API, when
// that extension is installed. Loopscope does not depend on it: without it
// (or when its API answers nothing) the caller falls back to PATH.

import * as vscode from "vscode";

export const PYTHON_EXTENSION_ID = "ms-python.python";

/** The parts of ms-python.python's exported API read here (its `environments` API, and the older `settings`). */
interface PythonApi {
  readonly environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { readonly id: string; readonly path: string };
    resolveEnvironment(
      env: { readonly id: string; readonly path: string } | string,
    ): Promise<{ readonly executable: { readonly uri?: vscode.Uri } } | undefined>;
  };
  readonly settings?: {
    getExecutionDetails(resource?: vscode.Uri): { readonly execCommand: readonly string[] | undefined };
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

export function pythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The active interpreter's executable for `resource`'s folder, or undefined. */
export async function activeInterpreterFromPythonExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<unknown>(PYTHON_EXTENSION_ID);
  if (ext === undefined) return undefined;
  const exported: unknown = ext.isActive ? ext.exports : await ext.activate();
  if (!isObject(exported)) return undefined;
  // The API's shape is checked field by field below before any call.
  const api = exported as PythonApi;
  if (isObject(api.environments) && typeof api.environments.getActiveEnvironmentPath === "function") {
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(envPath);
    const exe = resolved?.executable.uri?.fsPath;
    if (exe) return exe;
    if (envPath.path) return envPath.path;
  }
  if (isObject(api.settings) && typeof api.settings.getExecutionDetails === "function") {
    const cmd = api.settings.getExecutionDetails(resource).execCommand;
    // A conda "run" prefix is not an interpreter path: only a single-word command is used.
    if (cmd !== undefined && cmd.length === 1 && cmd[0]) return cmd[0];
  }
  return undefined;
}
