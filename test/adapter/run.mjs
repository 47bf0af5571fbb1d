#!/usr/bin/env node
// Runs the debug adapter tests (test/adapter/*.test.ts): the built
// dist/debugAdapter.js driven by @vscode/debugadapter-testsupport's DebugClient
// against real Python programs.
//
// Interpreters: the full suite on 3.11 and 3.13 (required), and on 3.12 when
// present; the smoke files (SMOKE below) once on 3.8. They come from pyenv
// (`pyenv root`/versions/X.Y.Z), else from LOOPSCOPE_ADAPTER_PYTHONS
// ("3.11=/path/python:3.13=/path/python"). Two node test processes run at a
// time; each prints its whole report when it ends. The last line is the sum:
// "adapter tests: N passed, N failed, N skipped".
//
// Usage: node test/adapter/run.mjs [substring filter of test file names]
// Environment: LOOPSCOPE_ADAPTER_JOBS (default 2).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const here = join(repo, "test/adapter");
const outDir = join(repo, ".loopscope-tmp/adapter");
const filter = process.argv[2] ?? "";
const jobs = Math.max(1, Number(process.env.LOOPSCOPE_ADAPTER_JOBS) || 2);
const SMOKE = ["launch.test.ts", "breakpoints.test.ts", "stepping.test.ts"];
const FULL_VERSIONS = ["3.11", "3.13", "3.12"];
const REQUIRED = ["3.8", "3.11", "3.13"];

function pythons() {
  const found = new Map();
  if (process.env.LOOPSCOPE_ADAPTER_PYTHONS) {
    for (const item of process.env.LOOPSCOPE_ADAPTER_PYTHONS.split(":")) {
      const [v, exe] = item.split("=");
      if (v && exe) found.set(v, exe);
    }
    return found;
  }
  const root = spawnSync("pyenv", ["root"], { encoding: "utf8" });
  if (root.status !== 0) return found;
  const versions = readdirSync(join(root.stdout.trim(), "versions")).sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  for (const v of versions) {
    const m = /^(\d+)\.(\d+)\.\d+$/.exec(v);
    const exe = join(root.stdout.trim(), "versions", v, "bin", "python");
    if (m && existsSync(exe)) found.set(`${m[1]}.${m[2]}`, exe); // the newest patch release wins
  }
  return found;
}

// The adapter under test is the built one.
const build = spawnSync(process.execPath, [join(repo, "scripts/build.mjs")], { cwd: repo, encoding: "utf8" });
if (build.status !== 0) {
  console.log(build.stdout + build.stderr);
  console.log("adapter tests: 0 passed, 1 failed, 0 skipped (the build failed)");
  process.exit(1);
}

const files = readdirSync(here)
  .filter((f) => f.endsWith(".test.ts") && f.includes(filter))
  .sort();
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: repo,
  entryPoints: files.map((f) => join(here, f)),
  outdir: outDir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});

const found = pythons();
const runs = [];
for (const v of FULL_VERSIONS) if (found.has(v)) runs.push({ version: v, exe: found.get(v), files });
if (found.has("3.8"))
  runs.push({ version: "3.8", exe: found.get("3.8"), files: files.filter((f) => SMOKE.includes(f)) });
// node --test given no file runs every test file it finds: a run with nothing to do is left out.
for (let i = runs.length - 1; i >= 0; i--) if (runs[i].files.length === 0) runs.splice(i, 1);
const missing = REQUIRED.filter((v) => !found.has(v));

function runOne(run) {
  return new Promise((done) => {
    const started = Date.now();
    const compiled = run.files.map((f) => join(outDir, f.replace(/\.ts$/, ".mjs")));
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", "--test", "--test-concurrency=1", "--test-reporter=spec", ...compiled],
      {
        cwd: repo,
        env: { ...process.env, LOOPSCOPE_TEST_PYTHON: run.exe, LOOPSCOPE_TEST_PY_VERSION: run.version },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      out += "\n(timed out after 600 s)\n";
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }, 600_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const num = (name) => Number((out.match(new RegExp(`^ℹ ${name} (\\d+)`, "m")) ?? [])[1] ?? 0);
      const r = { run, out, code, passed: num("pass"), failed: num("fail"), skipped: num("skipped") + num("todo") };
      if (code !== 0 && r.failed === 0) r.failed = 1; // crashed without a report
      r.seconds = (Date.now() - started) / 1000;
      done(r);
    });
  });
}

console.log(
  `adapter tests: ${files.length} files on Python ${runs.map((r) => `${r.version}${r.files.length < files.length ? " (smoke)" : ""}`).join(", ")}`,
);
const results = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, runs.length) }, async () => {
    while (next < runs.length) {
      const run = runs[next++];
      const r = await runOne(run);
      const header = `===== Python ${run.version} (${run.exe}) =====`;
      console.log(`${header}\n${r.out.replace(/\s+$/, "")}\n${"=".repeat(header.length)}`);
      results.push(r);
    }
  }),
);
let passed = 0;
let failed = 0;
let skipped = 0;
console.log("");
for (const r of results.sort((a, b) => runs.indexOf(a.run) - runs.indexOf(b.run))) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  console.log(
    `${r.failed ? "FAIL" : "ok  "} Python ${r.run.version.padEnd(5)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)}s)`,
  );
}
for (const v of missing) {
  console.log(`FAIL no Python ${v} found (pyenv or LOOPSCOPE_ADAPTER_PYTHONS): the adapter tests must run on it`);
  failed += 1;
}
console.log(`adapter tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
