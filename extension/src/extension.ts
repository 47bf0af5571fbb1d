// Loopscope's extension host side: the `loopscope` debugger (configuration
// provider, adapter process), the loop views (sidebar and editor), the
// commands and the status bar. The debug adapter itself is dist/debugAdapter.js
// (extension/src/adapter), the view is dist/webview.js (webview/), the Python
// runtime is runtime/ (all shipped inside the extension).

import * as vscode from "vscode";
import { registerCommands, revealLocation } from "./commands";
import { DEBUG_TYPE } from "./debug/configurations";
import { registerConfigurationProviders } from "./debug/configurationProvider";
import { LoopscopeAdapterFactory } from "./debug/descriptorFactory";
import { registerExitReporter } from "./debug/exitReporter";
import { registerSessions } from "./debug/sessions";
import { registerStatusBar } from "./statusBar";
import { LoopHub } from "./view/loopHub";
import { PANEL_TYPE, VIEW_ID } from "./ids";
import { LoopViewProvider } from "./view/loopViewProvider";
import { readSettings } from "./vscodeSettings";

/** Called by VS Code when one of package.json's activation events fires. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("Loopscope", { log: true });
  context.subscriptions.push(log);

  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(
      DEBUG_TYPE,
      new LoopscopeAdapterFactory(
        vscode.Uri.joinPath(context.extensionUri, "dist", "debugAdapter.js").fsPath,
        vscode.Uri.joinPath(context.extensionUri, "runtime").fsPath,
      ),
    ),
  );
  registerConfigurationProviders(context, log);
  registerExitReporter(context);

  const hub = new LoopHub(
    {
      reveal: (file, line) => void revealLocation(file, line),
      warn: (text) => void vscode.window.showWarningMessage(text),
      log: (text) => log.info(text),
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
    readSettings().updateRate,
  );
  context.subscriptions.push({ dispose: () => hub.dispose() });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("loopscope.updateRate")) hub.setUpdateRate(readSettings().updateRate);
    }),
  );

  const provider = new LoopViewProvider(context.extensionUri, hub, log);
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerWebviewPanelSerializer(PANEL_TYPE, provider),
  );

  registerSessions(context, hub);
  registerStatusBar(context, hub);
  registerCommands(context, hub, provider);
}

export function deactivate(): void {
  // Every disposable is in context.subscriptions; VS Code ends the adapter processes itself.
}
