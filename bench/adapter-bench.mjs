#!/usr/bin/env node
// Runs bench/adapter-bench.ts (the adapter's ingest rate and event latency):
// builds the adapter, bundles the bench with esbuild, runs it.
//
//   node bench/adapter-bench.mjs [--python PATH] [--runs N] [--latency-runs N] [--only ingest|latency]
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const build = spawnSync(process.execPath, [join(repo, "scripts/build.mjs"), "--production"], {
  cwd: repo,
  stdio: "inherit",
});
if (build.status !== 0) process.exit(build.status ?? 1);
const out = join(repo, ".loopscope-tmp", "bench", "adapter-bench.mjs");
mkdirSync(dirname(out), { recursive: true });
await esbuild.build({
  absWorkingDir: repo,
  entryPoints: [join(repo, "bench/adapter-bench.ts")],
  outfile: out,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
const r = spawnSync(process.execPath, [out], {
  cwd: repo,
  stdio: "inherit",
  env: {
    ...process.env,
    LOOPSCOPE_REPO: repo,
    LOOPSCOPE_BENCH_PYTHON: arg("--python") ?? process.env.LOOPSCOPE_BENCH_PYTHON ?? "python3",
    LOOPSCOPE_BENCH_RUNS: arg("--runs") ?? process.env.LOOPSCOPE_BENCH_RUNS ?? "5",
    LOOPSCOPE_BENCH_LATENCY_RUNS: arg("--latency-runs") ?? process.env.LOOPSCOPE_BENCH_LATENCY_RUNS ?? "3",
    LOOPSCOPE_BENCH_ONLY: arg("--only") ?? process.env.LOOPSCOPE_BENCH_ONLY ?? "",
  },
});
process.exit(r.status ?? 1);
