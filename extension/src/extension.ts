import * as vscode from "vscode";
import { PROTOCOL_VERSION } from "../../protocol";

/** Called by VS Code when one of package.json's activation events fires. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand("loopscope.debugCurrentFile", async () => {
      const editor = vscode.window.activeTextEditor;
      const file = editor?.document.uri.fsPath ?? "no file open";
      await vscode.window.showInformationMessage(
        `Loopscope (protocol ${PROTOCOL_VERSION}): debugging asyncio programs is not wired up yet (${file}).`,
      );
    }),
  );
}

export function deactivate(): void {
  // Nothing to release yet: every disposable is in context.subscriptions.
}
