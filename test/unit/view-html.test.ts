// The webview's HTML and CSP (extension/src/view/html.ts) and the view message
// parsers (model/viewProtocol.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { contentSecurityPolicy, makeNonce, webviewHtml } from "../../extension/src/view/html";
import { VIEW_PROTOCOL_VERSION, parseHostMessage, parseViewMessage } from "../../model/viewProtocol";
import { LoopModel } from "../../model/loopModel";

const SRC = "https://file+.vscode-resource.vscode-cdn.net";

test("nonces are fresh base64 of 16 random bytes", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = makeNonce();
    assert.match(n, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(Buffer.from(n, "base64").length, 16);
    seen.add(n);
  }
  assert.equal(seen.size, 200);
});

test("the policy allows only our script by nonce and our styles by origin", () => {
  const csp = contentSecurityPolicy(SRC, "AAAAAAAAAAAAAAAAAAAAAA==");
  const dirs = new Map(csp.split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1).join(" ")]));
  assert.equal(dirs.get("default-src"), "'none'");
  assert.equal(dirs.get("script-src"), "'nonce-AAAAAAAAAAAAAAAAAAAAAA=='");
  assert.equal(dirs.get("style-src"), SRC);
  assert.equal(dirs.get("base-uri"), "'none'");
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
});

test("a cspSource or nonce that could smuggle in directives is refused", () => {
  const nonce = makeNonce();
  assert.throws(() => contentSecurityPolicy("https://a.example; script-src *", nonce), /cspSource/);
  assert.throws(() => contentSecurityPolicy("'unsafe-inline'", nonce), /cspSource/);
  assert.throws(() => contentSecurityPolicy("", nonce), /cspSource/);
  assert.throws(() => contentSecurityPolicy(SRC, "abc' 'unsafe-inline"), /nonce/);
});

test("the page loads one nonce'd script and one stylesheet, with attributes escaped", () => {
  const html = webviewHtml({
    cspSource: SRC,
    scriptUri: `${SRC}/dist/webview.js?x="><script>`,
    styleUri: `${SRC}/dist/webview.css`,
    nonce: "BBBBBBBBBBBBBBBBBBBBBB==",
    title: "<b>t</b>",
  });
  assert.equal(html.match(/<script\b/g)?.length, 1);
  assert.match(html, /<script nonce="BBBBBBBBBBBBBBBBBBBBBB==" src="[^"]*&quot;&gt;&lt;script&gt;"><\/script>/);
  assert.match(
    html,
    /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/dist\/webview\.css">/,
  );
  assert.match(html, /<title>&lt;b&gt;t&lt;\/b&gt;<\/title>/);
  assert.match(html, /http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; /);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/);
});

test("host messages: state, delta, session, stack and select parse; anything else is refused with a reason", () => {
  const m = new LoopModel();
  const snapshot = m.snapshot();
  const session = { source: "trace", label: "x.jsonl", canCancel: false, canReveal: true, ended: true } as const;
  const v = VIEW_PROTOCOL_VERSION;
  assert.equal(parseHostMessage({ v, kind: "state", snapshot, session }).ok, true);
  assert.equal(parseHostMessage({ v, kind: "delta", delta: m.takeDelta() }).ok, true);
  assert.equal(parseHostMessage({ v, kind: "session", session }).ok, true);
  assert.equal(
    parseHostMessage({ v, kind: "stack", task: 3, frames: [{ file: "a.py", line: 1, func: "f" }] }).ok,
    true,
  );
  assert.equal(parseHostMessage({ v, kind: "select", id: null }).ok, true);
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    ["state", /not an object/],
    [{ v: 99, kind: "state", snapshot, session }, /version 99/],
    [{ v, kind: "explode" }, /unknown kind "explode"/],
    [{ v, kind: "state", snapshot: {}, session }, /bad snapshot/],
    [{ v, kind: "state", snapshot, session: { ...session, source: "web" } }, /bad session/],
    [{ v, kind: "delta", delta: { seq: "1" } }, /bad delta/],
    [{ v, kind: "stack", task: 1, frames: [{ file: 1 }] }, /bad task or frames/],
    [{ v, kind: "select", id: "7" }, /bad id/],
  ];
  for (const [msg, why] of bad) {
    const r = parseHostMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg)?.slice(0, 80));
    if (!r.ok) assert.match(r.error, why);
  }
});

test("view messages: ready, resync, select, reveal and cancelTask parse to clean copies; bad ones are refused", () => {
  const v = VIEW_PROTOCOL_VERSION;
  assert.deepEqual(parseViewMessage({ v, kind: "ready", extra: 1 }), { ok: true, msg: { v, kind: "ready" } });
  assert.deepEqual(parseViewMessage({ v, kind: "reveal", file: "/a.py", line: 3 }), {
    ok: true,
    msg: { v, kind: "reveal", file: "/a.py", line: 3 },
  });
  assert.deepEqual(parseViewMessage({ v, kind: "cancelTask", task: 12 }), {
    ok: true,
    msg: { v, kind: "cancelTask", task: 12 },
  });
  assert.deepEqual(parseViewMessage({ v, kind: "select", id: 5 }), { ok: true, msg: { v, kind: "select", id: 5 } });
  assert.deepEqual(parseViewMessage({ v, kind: "resync", reason: "gap" }), {
    ok: true,
    msg: { v, kind: "resync", reason: "gap" },
  });
  for (const msg of [
    { v, kind: "reveal", file: "", line: 3 },
    { v, kind: "reveal", file: "/a.py", line: -1 },
    { v, kind: "cancelTask", task: 1.5 },
    { v, kind: "resync" },
    { v: 0, kind: "ready" },
    { kind: "ready" },
  ]) {
    assert.equal(parseViewMessage(msg).ok, false, JSON.stringify(msg));
  }
});
