#!/usr/bin/env node
// Webview benchmark: builds dist/webview.js, bundles bench/webview-bench.ts
// (which reuses the test page of test/webview/harness.ts: the same CSP, the
// real LoopModel on the host side) and runs it in headless Chromium. Prints
// figures; no assertions. See bench/README.md for what it measures.
// Usage: node bench/webview-bench.mjs [--tasks N] [--updates N] [--events N]
//          [--only tasks,graph,layout,memory] [--profile] [--dev] [--shots DIR]
// --dev: the unminified bundle (function names in --profile's output).
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const build = spawnSync(process.execPath, [join(repo, "scripts/build.mjs"), ...(dev ? [] : ["--production"])], {
  cwd: repo,
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) process.exit(build.status ?? 1);
const outfile = join(repo, ".loopscope-tmp/bench/webview-bench.mjs");
await esbuild.build({
  absWorkingDir: repo,
  entryPoints: [join(repo, "bench/webview-bench.ts")],
  outfile,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {
  cwd: repo,
  stdio: "inherit",
  env: { ...process.env, LOOPSCOPE_REPO: repo },
});
process.exit(r.status ?? 1);
