// The .vsix a user installs: packaged from the built dist/ with @vscode/vsce
// (offline), then listed from the zip's central directory. It holds what runs
// (the three bundles, the codicon font, the Python runtime, media, README, LICENSE, CHANGELOG)
// and nothing else: no tests, no TypeScript sources, no node_modules, no source
// maps, no Python caches; and it stays under 2 MB.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { packageVsix, REPO } from "../../scripts/code-server.mjs";

interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly compressed: number;
}

/** The entries of a zip file, read from its central directory. */
function listZip(file: string): ZipEntry[] {
  const buf = readFileSync(file);
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, "central directory entry");
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString("utf8", p + 46, p + 46 + nameLen), size, compressed });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const VSIX = join(REPO, ".loopscope-tmp/package-test/loopscope.vsix");
let entries: ZipEntry[] = [];
let names: string[] = [];

before(() => {
  for (const f of ["dist/extension.js", "dist/debugAdapter.js", "dist/webview.js"]) {
    assert.ok(existsSync(join(REPO, f)), `${f} is built (npm run build)`);
  }
  packageVsix(VSIX);
  entries = listZip(VSIX);
  names = entries.map((e) => e.name);
});

test("the .vsix holds the bundles, the codicon font, the whole Python runtime, media, README, LICENSE and CHANGELOG", () => {
  for (const f of [
    "extension/package.json",
    "extension/dist/extension.js",
    "extension/dist/debugAdapter.js",
    "extension/dist/webview.js",
    "extension/dist/webview.css",
    // The codicon font the view's CSS refers to (served through webview.asWebviewUri, CSP font-src).
    "extension/dist/codicon.ttf",
    "extension/media/loopscope.svg",
    "extension/media/empty-state.css",
    "extension/readme.md",
    "extension/changelog.md",
    "extension/LICENSE.txt",
  ]) {
    assert.ok(names.includes(f), `${f} is in the package`);
  }
  const runtime = (readdirSync(join(REPO, "runtime"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".py") && !f.includes("__pycache__"))
    .map((f) => f.split("\\").join("/"));
  assert.ok(runtime.includes("loopscope/__main__.py"), "the runtime has a __main__");
  for (const f of runtime) assert.ok(names.includes(`extension/runtime/${f}`), `runtime/${f} is packaged`);
  const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
    main: string;
    contributes: { viewsContainers: { activitybar: { icon: string }[] } };
  };
  assert.ok(names.includes(`extension/${manifest.main.replace(/^\.\//, "")}`), "package.json's main is packaged");
  for (const c of manifest.contributes.viewsContainers.activitybar) {
    assert.ok(names.includes(`extension/${c.icon}`), `${c.icon} is packaged`);
  }
});

test("the .vsix holds nothing that does not run: no tests, sources, node_modules, source maps or caches", () => {
  const bad = names.filter(
    (n) =>
      /(^|\/)node_modules\//.test(n) ||
      /(^|\/)(test|tests|bench|docs|examples|scripts|protocol|model|webview|\.tools|\.loopscope-tmp|test-results)\//.test(
        n.replace(/^extension\//, ""),
      ) ||
      /\.(ts|tsx|map|vsix|pyc|log)$/.test(n) ||
      /(^|\/)__pycache__\//.test(n) ||
      /(^|\/)(tsconfig[^/]*\.json|eslint\.config\.[a-z]+|\.prettierrc[^/]*|package-lock\.json)$/.test(n),
  );
  assert.deepEqual(bad, [], "files that should not ship");
  const allowedTop = new Set(["dist", "runtime", "media", "package.json", "readme.md", "changelog.md", "LICENSE.txt"]);
  for (const n of names) {
    if (!n.startsWith("extension/")) {
      assert.ok(["extension.vsixmanifest", "[Content_Types].xml"].includes(n), `unexpected top-level entry ${n}`);
      continue;
    }
    const top = n.slice("extension/".length).split("/")[0]!;
    assert.ok(allowedTop.has(top), `unexpected entry ${n}`);
  }
});

test("the .vsix is at most 2 MB", () => {
  const size = statSync(VSIX).size;
  const unpacked = entries.reduce((s, e) => s + e.size, 0);
  assert.ok(size <= 2 * 1024 * 1024, `${(size / 1024).toFixed(0)} KB`);
  assert.ok(unpacked > 100 * 1024, `the bundles are there (${(unpacked / 1024).toFixed(0)} KB unpacked)`);
});
