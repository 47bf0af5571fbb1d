// The loop view's page while there is no session and no trace: what
// Loopscope is and a "Debug current file" button (a command link: the page
// runs no script), plus the webview's resource origins as html.ts accepts
// them. No `vscode` import, so it is unit-tested.

import { contentSecurityPolicy, makeNonce } from "./html";

/** The commands the empty state's links may run. */
export const EMPTY_STATE_COMMANDS = ["loopscope.debugCurrentFile", "loopscope.openTrace"] as const;

/**
 * The webview's resource origins as html.ts accepts them. code-server's
 * `cspSource` is "'self' https://*.vscode-cdn.net": html.ts refuses keyword
 * sources, and our resources come through asWebviewUri's vscode-cdn.net
 * URLs anyway, so the keyword is left out (never widened).
 */
export function resourceOrigins(cspSource: string): string {
  const kept = cspSource.split(/\s+/).filter((s) => s !== "" && !s.startsWith("'"));
  return kept.length > 0 ? kept.join(" ") : cspSource;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The page shown while there is no session and no trace: what Loopscope is and the button to start. */
export function emptyStateHtml(cspSource: string, styleUri: string): string {
  // No script: the CSP's script-src is a nonce that nothing on the page carries.
  const csp = contentSecurityPolicy(cspSource, makeNonce());
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(styleUri)}">
<title>Loopscope</title>
</head>
<body>
<main class="empty-state" data-testid="empty-state">
<p>No Loopscope session is running.</p>
<p>Debug a Python asyncio program to watch its event loop here: every task with its state, what it awaits, the queues and their items, the await graph and a timeline.</p>
<a class="button" role="button" href="command:loopscope.debugCurrentFile" data-testid="debug-current-file">Debug current file</a>
<p class="secondary">or <a href="command:loopscope.openTrace">open a recorded trace…</a></p>
<p class="secondary">Record one with <code>python -m loopscope record -o trace.jsonl -- program.py</code>.</p>
</main>
</body>
</html>
`;
}
