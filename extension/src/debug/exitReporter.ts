// The program's exit code, written in the Debug Console when a launched
// Loopscope program ends (VS Code shows the `exited` event nowhere else).
// Observes the session's DAP traffic with a tracker; writes only when the
// adapter has not said it itself and the session's console is the one shown.

import * as vscode from "vscode";
import { DEBUG_TYPE } from "./configurations";
import { exitLine } from "./labels";

interface DapMessage {
  readonly type?: string;
  readonly event?: string;
  readonly body?: { readonly exitCode?: unknown; readonly output?: unknown };
}

export function registerExitReporter(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
        let said = false;
        return {
          onDidSendMessage(raw: unknown): void {
            const m = raw as DapMessage;
            if (m.type !== "event") return;
            if (m.event === "output" && typeof m.body?.output === "string" && /exited with code/.test(m.body.output)) {
              said = true;
            } else if (m.event === "exited" && typeof m.body?.exitCode === "number" && !said) {
              said = true;
              if (vscode.debug.activeDebugSession?.id === session.id) {
                vscode.debug.activeDebugConsole.appendLine(exitLine(m.body.exitCode));
              }
            }
          },
        };
      },
    }),
  );
}
