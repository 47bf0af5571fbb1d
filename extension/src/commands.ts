// The `loopscope.*` commands (package.json `contributes.commands`).

import * as vscode from "vscode";
import { basename } from "node:path";
import { parseTrace, TraceError } from "../../model/index";
import type { TaskView } from "../../model/index";
import { DEBUG_TYPE, launchForFile } from "./debug/configurations";
import { COMMANDS } from "./ids";
import type { LoopHub } from "./view/loopHub";
import type { LoopViewProvider } from "./view/loopViewProvider";
import { readSettings } from "./vscodeSettings";

const isPython = (doc: vscode.TextDocument): boolean => doc.languageId === "python" || doc.uri.path.endsWith(".py");

/** The Python file to debug: the one given (editor title, explorer), the active editor's, a visible one, or one picked. */
async function pythonFileToDebug(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && arg.path.endsWith(".py")) return arg;
  const active = vscode.window.activeTextEditor?.document;
  if (active !== undefined && isPython(active)) return active.uri;
  const visible = vscode.window.visibleTextEditors.map((e) => e.document).find(isPython);
  if (visible !== undefined) return visible.uri;
  const files = await vscode.workspace.findFiles("**/*.py", "**/{node_modules,.venv,venv,.git,__pycache__}/**", 500);
  if (files.length === 0) {
    void vscode.window.showInformationMessage("Loopscope: open a Python file to debug it.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    files
      .map((uri) => {
        const rel = vscode.workspace.asRelativePath(uri);
        const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
        return { label: basename(uri.fsPath), description: dir, rel, uri };
      })
      .sort((a, b) => a.rel.localeCompare(b.rel)),
    { title: "Debug with Loopscope", placeHolder: "Which Python file?" },
  );
  return picked?.uri;
}

async function debugCurrentFile(arg: unknown): Promise<boolean> {
  const uri = await pythonFileToDebug(arg);
  if (uri === undefined) return false;
  if (uri.scheme !== "file") {
    void vscode.window.showErrorMessage(`Loopscope: ${uri.toString()} is not a file on disk; save it first.`);
    return false;
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return vscode.debug.startDebugging(folder, launchForFile(uri.fsPath));
}

async function openTrace(hub: LoopHub, provider: LoopViewProvider, arg: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (uri === undefined) {
    const picked = await vscode.window.showOpenDialog({
      title: "Open a recorded Loopscope trace",
      canSelectMany: false,
      filters: { "Loopscope traces": ["jsonl"], "All files": ["*"] },
      openLabel: "Open trace",
    });
    uri = picked?.[0];
  }
  if (uri === undefined) return;
  const name = basename(uri.fsPath || uri.path);
  let text: string;
  try {
    text = new TextDecoder("utf-8").decode(await vscode.workspace.fs.readFile(uri));
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Loopscope: cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
    return;
  }
  try {
    const trace = parseTrace(text, { config: { finishedTaskRetention: readSettings().retainedFinishedTasks } });
    hub.showTrace(name, trace.model.snapshot());
    await provider.revealSidebar();
    if (trace.truncated) {
      void vscode.window.showWarningMessage(
        `Loopscope: ${name} ends in a partial line (the recording was cut short); showing the ${trace.messages} complete messages.`,
      );
    }
  } catch (err) {
    const what =
      err instanceof TraceError
        ? `${name}, ${err.message}`
        : `${name}: ${err instanceof Error ? err.message : String(err)}`;
    void vscode.window.showErrorMessage(`Loopscope: not a trace Loopscope can read (${what}).`);
  }
}

const LIVE = (t: TaskView): boolean => t.state === "pending" || t.state === "running";

/** A task id from the argument, the view's selection, or a pick among the current source's tasks. */
async function pickTask(hub: LoopHub, arg: unknown, purpose: string, onlyLive: boolean): Promise<number | undefined> {
  if (typeof arg === "number") return arg;
  const m = hub.currentMirror;
  if (m === null) {
    void vscode.window.showInformationMessage("Loopscope: no session or trace is shown in the loop view.");
    return undefined;
  }
  const selected = hub.selectedTask;
  if (selected !== null && (!onlyLive || LIVE(m.tasks.get(selected)!))) return selected;
  const tasks = [...m.tasks.values()].filter((t) => !onlyLive || LIVE(t));
  if (tasks.length === 0) {
    void vscode.window.showInformationMessage(`Loopscope: no ${onlyLive ? "live " : ""}task to ${purpose}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    tasks.map((t) => ({ label: t.name, description: `${t.coro}() · ${t.state}`, id: t.id })),
    { title: `Loopscope: ${purpose} which task?`, matchOnDescription: true },
  );
  return picked?.id;
}

async function revealLocation(file: string, line: number): Promise<void> {
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  try {
    await vscode.window.showTextDocument(vscode.Uri.file(file), {
      selection: new vscode.Range(pos, pos),
      preview: true,
      viewColumn: vscode.ViewColumn.One,
    });
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Loopscope: cannot open ${file}:${line}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Pause/Resume act on the focused debug session when it is a Loopscope one, with VS Code's own commands. */
async function loopControl(which: "pause" | "continue"): Promise<void> {
  const s = vscode.debug.activeDebugSession;
  if (s === undefined || s.type !== DEBUG_TYPE) {
    void vscode.window.showInformationMessage("Loopscope: the focused debug session is not a Loopscope session.");
    return;
  }
  await vscode.commands.executeCommand(`workbench.action.debug.${which}`);
}

export function registerCommands(context: vscode.ExtensionContext, hub: LoopHub, provider: LoopViewProvider): void {
  const reg = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };
  reg(COMMANDS.debugCurrentFile, (arg) => debugCurrentFile(arg));
  reg(COMMANDS.openLoopView, () => provider.openPanel());
  reg(COMMANDS.openTrace, (arg) => openTrace(hub, provider, arg));
  reg(COMMANDS.pauseLoop, () => loopControl("pause"));
  reg(COMMANDS.resumeLoop, () => loopControl("continue"));
  reg(COMMANDS.cancelTask, async (arg) => {
    if (hub.currentLive === null) {
      void vscode.window.showInformationMessage(
        "Loopscope: tasks can be cancelled only while their debug session runs.",
      );
      return;
    }
    const task = await pickTask(hub, arg, "cancel", true);
    if (task !== undefined) await hub.cancelTask(task);
  });
  reg(COMMANDS.revealTask, async (arg) => {
    const task = await pickTask(hub, arg, "reveal", false);
    if (task === undefined) return;
    const at = await hub.locateTask(task);
    if (at === null) {
      void vscode.window.showInformationMessage(`Loopscope: no source location is known for task ${task}.`);
      return;
    }
    await revealLocation(at.file, at.line);
  });
}

export { revealLocation };
