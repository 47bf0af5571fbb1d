#!/usr/bin/env node
// Runs the unit tests (test/unit/**/*.test.{mjs,js,ts}) with node's own test runner.
// TypeScript tests are bundled by esbuild into .loopscope-tmp/unit/ first (so they
// can import the TypeScript sources of protocol/ and model/); .mjs/.js tests run as
// they are. Node's runner prints the summary last.
// Usage: node scripts/test-unit.mjs [substring filter of test file paths]
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const unitDir = join(repo, "test/unit");
const outDir = join(repo, ".loopscope-tmp/unit");
const filter = process.argv[2] ?? "";

function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const all = walk(unitDir)
  .filter((f) => /\.test\.(mjs|js|ts)$/.test(f))
  .filter((f) => relative(repo, f).includes(filter))
  .sort();
const tsTests = all.filter((f) => f.endsWith(".ts"));
const files = all.filter((f) => !f.endsWith(".ts"));

rmSync(outDir, { recursive: true, force: true });
if (tsTests.length) {
  await esbuild.build({
    absWorkingDir: repo,
    entryPoints: tsTests,
    outdir: outDir,
    outbase: unitDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    logLevel: "warning",
  });
  files.push(...tsTests.map((f) => join(outDir, relative(unitDir, f)).replace(/\.ts$/, ".mjs")));
}

if (files.length === 0) {
  console.error(`test:unit: no test files under test/unit${filter ? ` matching ${JSON.stringify(filter)}` : ""}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--enable-source-maps", "--test", ...files], { cwd: repo, stdio: "inherit" });
process.exit(r.status ?? 1);
