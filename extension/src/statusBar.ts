// The status bar item while a Loopscope session runs: tasks pending and
// running, and the loop's state. Click: the Loopscope view.

import * as vscode from "vscode";
import { statusText, type LoopHub } from "./view/loopHub";
import { VIEW_ID } from "./ids";

export function registerStatusBar(context: vscode.ExtensionContext, hub: LoopHub): void {
  const item = vscode.window.createStatusBarItem("loopscope.status", vscode.StatusBarAlignment.Left, 10);
  item.name = "Loopscope";
  item.command = `${VIEW_ID}.focus`;
  context.subscriptions.push(item);
  const update = (): void => {
    const cur = hub.current;
    if (cur === null || cur.kind !== "live" || cur.ended) {
      item.hide();
      return;
    }
    const { text, tooltip } = statusText(cur);
    item.text = `$(pulse) ${text}`;
    item.tooltip = tooltip;
    item.show();
  };
  hub.onDidChange(update);
  update();
}
