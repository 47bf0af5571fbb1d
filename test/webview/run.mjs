#!/usr/bin/env node
// Runs the webview tests (test/webview/*.test.ts) with node's test runner:
// builds dist/webview.js, bundles the tests with esbuild (they import the
// TypeScript model and the page helper), then runs them one file at a time
// (one headless Chromium per file, pages reused inside it). The runner's
// summary is the last output.
// Usage: node test/webview/run.mjs [substring filter]
//        node test/webview/run.mjs --screenshots   (writes docs/*.png instead)
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(repo, ".loopscope-tmp/webview");
const screenshots = process.argv.includes("--screenshots");
const filter = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "";

const build = spawnSync(process.execPath, [join(repo, "scripts/build.mjs")], {
  cwd: repo,
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) process.exit(build.status ?? 1);

const here = join(repo, "test/webview");
const entries = screenshots
  ? [join(here, "screenshots.ts")]
  : readdirSync(here)
      .filter((f) => f.endsWith(".test.ts") && f.includes(filter))
      .sort()
      .map((f) => join(here, f));
if (entries.length === 0) {
  console.error(`test:webview: no test files${filter ? ` matching ${JSON.stringify(filter)}` : ""}`);
  process.exit(1);
}
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: repo,
  entryPoints: entries,
  outdir: outDir,
  outbase: here,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});
const files = entries.map((f) => join(outDir, f.slice(here.length + 1)).replace(/\.ts$/, ".mjs"));
const env = { ...process.env, LOOPSCOPE_REPO: repo };
const args = screenshots
  ? ["--enable-source-maps", ...files, ...process.argv.slice(2).filter((a) => a.startsWith("--only="))]
  : ["--enable-source-maps", "--test", "--test-concurrency=1", ...files];
const r = spawnSync(process.execPath, args, { cwd: repo, stdio: "inherit", env });
process.exit(r.status ?? 1);
