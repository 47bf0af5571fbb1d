// The loop view in VS Code: the "Loopscope" sidebar view (a WebviewView) and
// "Open loop view in editor" (a WebviewPanel). Both show what the LoopHub
// shows, with the page of html.ts (strict CSP, nonce'd dist/webview.js). With
// nothing to show yet, the view is a short page of its own with a "Debug
// current file" button (a command link: that page runs no script at all).

import * as vscode from "vscode";
import { parseViewMessage } from "../../../model/viewProtocol";
import { EMPTY_STATE_COMMANDS, emptyStateHtml, resourceOrigins } from "./emptyState";
import { webviewHtml } from "./html";
import { PANEL_TYPE, VIEW_ID } from "../ids";
import type { LoopHub, ViewClient } from "./loopHub";

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: EMPTY_STATE_COMMANDS,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist"), vscode.Uri.joinPath(extensionUri, "media")],
  };
}

/** One webview (sidebar view or editor panel) kept in step with the hub. */
class LoopWebview implements ViewClient {
  private showing: "empty" | "view" | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    private readonly extensionUri: vscode.Uri,
    private readonly hub: LoopHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const r = parseViewMessage(raw);
        if (!r.ok) {
          this.log.warn(`ignored a message from the loop view: ${r.error}`);
          return;
        }
        this.hub.receive(this, r.msg);
      }),
    );
    this.render();
  }

  post(msg: Parameters<ViewClient["post"]>[0]): void {
    void this.webview.postMessage(msg);
  }

  /** Shows the view page once there is something to show, the empty state before. */
  render(): void {
    const want = this.hub.current === null ? "empty" : "view";
    if (want === this.showing) return;
    this.showing = want;
    const asUri = (...p: string[]): string =>
      this.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    this.hub.detach(this);
    if (want === "empty") {
      this.webview.html = emptyStateHtml(resourceOrigins(this.webview.cspSource), asUri("media", "empty-state.css"));
      return;
    }
    this.hub.attach(this); // ready, then state, when the page has loaded
    this.webview.html = webviewHtml({
      cspSource: resourceOrigins(this.webview.cspSource),
      scriptUri: asUri("dist", "webview.js"),
      styleUri: asUri("dist", "webview.css"),
    });
  }

  dispose(): void {
    this.hub.detach(this);
    for (const d of this.disposables) d.dispose();
  }
}

export class LoopViewProvider implements vscode.WebviewViewProvider, vscode.WebviewPanelSerializer {
  private readonly views = new Set<LoopWebview>();
  private panel: vscode.WebviewPanel | null = null;
  private sidebar: vscode.WebviewView | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: LoopHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    hub.onDidChange(() => {
      for (const v of this.views) v.render();
      this.updateTitles();
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.sidebar = view;
    const lw = this.track(view.webview);
    view.onDidDispose(() => {
      this.sidebar = null;
      lw.dispose();
      this.views.delete(lw);
    });
    this.updateTitles();
  }

  /** Restores an editor panel VS Code kept across a reload. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.adoptPanel(panel);
  }

  /** "Open loop view in editor": one panel, revealed when it exists. */
  openPanel(): void {
    if (this.panel !== null) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_TYPE,
      "Loopscope",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(this.extensionUri), retainContextWhenHidden: true },
    );
    this.adoptPanel(panel);
  }

  /** Shows the sidebar view (the Loopscope activity bar container). */
  async revealSidebar(): Promise<void> {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  private adoptPanel(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "loopscope.svg");
    const lw = this.track(panel.webview);
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = null;
      lw.dispose();
      this.views.delete(lw);
    });
    this.updateTitles();
  }

  private track(webview: vscode.Webview): LoopWebview {
    const lw = new LoopWebview(webview, this.extensionUri, this.hub, this.log);
    this.views.add(lw);
    return lw;
  }

  private updateTitles(): void {
    const cur = this.hub.current;
    const label = cur === null ? undefined : cur.label.split(/[\\/]/).pop();
    if (this.sidebar !== null) this.sidebar.description = label;
    if (this.panel !== null) this.panel.title = label === undefined ? "Loopscope" : `Loopscope: ${label}`;
  }
}
