// Codicons in the webview: the code points it draws in SVG text (where the
// font's CSS classes cannot reach) are the font's own, and the built
// stylesheet loads the font from beside itself (dist/codicon.ttf, which
// VS Code serves through webview.asWebviewUri under the CSP's font-src).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CODICON_CHARS } from "../../webview/src/codicons";

const REPO = process.cwd();

test("the code points drawn in SVG are those of @vscode/codicons' table", () => {
  const csv = readFileSync(join(REPO, "node_modules/@vscode/codicons/dist/codicon.csv"), "utf8");
  const table = new Map<string, number>();
  for (const line of csv.split("\n").slice(1)) {
    const [name, , hex] = line.trim().split(",");
    if (name !== undefined && hex !== undefined && hex !== "") table.set(name, parseInt(hex, 16));
  }
  for (const [name, cp] of Object.entries(CODICON_CHARS)) {
    assert.equal(table.get(name), cp, `codicon ${name}`);
  }
});

test("the built stylesheet carries the codicon classes and loads the font relative to itself", () => {
  const css = join(REPO, "dist/webview.css");
  assert.ok(existsSync(css), "dist/webview.css is built (npm run build)");
  const text = readFileSync(css, "utf8");
  assert.match(text, /\.codicon-watch:before/);
  const urls = [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]!);
  assert.deepEqual(
    urls.map((u) => u.replace(/[?#].*$/, "")),
    ["./codicon.ttf"],
    "one font, beside the stylesheet, no remote URL",
  );
  assert.ok(existsSync(join(REPO, "dist/codicon.ttf")), "dist/codicon.ttf is built");
});
