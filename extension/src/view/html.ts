// The webview's HTML: a strict Content-Security-Policy (nothing but our own
// script, by a crypto nonce, and our own stylesheet), no inline code, no
// remote URLs. Shared by the WebviewView and the WebviewPanel providers, and
// by the webview test page, which serves the same page on 127.0.0.1.
// No `vscode` import here, so it is unit-testable.

import { randomBytes } from "node:crypto";

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin the webview's own resources are served from. */
  readonly cspSource: string;
  /** URI of dist/webview.js, as the webview sees it (`webview.asWebviewUri`). */
  readonly scriptUri: string;
  /** URI of dist/webview.css. */
  readonly styleUri: string;
  /** A fresh nonce per render (makeNonce()); one is made when absent. */
  readonly nonce?: string;
  readonly title?: string;
}

/** 128 random bits from the OS's CSPRNG, base64: a CSP nonce. */
export function makeNonce(): string {
  return randomBytes(16).toString("base64");
}

const NONCE_RE = /^[A-Za-z0-9+/]{16,}={0,2}$/;
/** A CSP source expression must not be able to add directives or sources of its own. */
const SOURCE_RE = /^[A-Za-z][A-Za-z0-9+.-]*:(\/\/)?[^\s;,'"]*$|^https?:\/\/[^\s;,'"]+$/;

/** The policy: everything off, then our stylesheet (and fonts) by origin and our script by nonce. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  const sources = cspSource.split(/\s+/).filter((s) => s !== "");
  if (sources.length === 0 || !sources.every((s) => SOURCE_RE.test(s))) {
    throw new Error(`webview html: unusable cspSource ${JSON.stringify(cspSource)}`);
  }
  if (!NONCE_RE.test(nonce)) throw new Error("webview html: the nonce must be base64 of at least 12 random bytes");
  const src = sources.join(" ");
  return [
    "default-src 'none'",
    `style-src ${src}`,
    `font-src ${src}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function webviewHtml(opts: WebviewHtmlOptions): string {
  const nonce = opts.nonce ?? makeNonce();
  const csp = contentSecurityPolicy(opts.cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(opts.styleUri)}">
<title>${escapeHtml(opts.title ?? "Loopscope")}</title>
</head>
<body>
<noscript>Loopscope needs JavaScript in its view.</noscript>
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>
</body>
</html>
`;
}
