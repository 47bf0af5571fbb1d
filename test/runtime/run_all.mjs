#!/usr/bin/env node
// Runs the Python runtime tests (test/runtime/test_*.py) on every CPython >= 3.8
// found: each `pyenv versions --bare` interpreter plus `python3` on PATH, deduped
// by their real version. Fails when none of them is 3.11.x. Interpreters run two
// at a time; each one's report is printed whole when it finishes. The last line
// is the sum over interpreters: "N passed, N failed, N skipped".
//
// Usage: node test/runtime/run_all.mjs [-k PATTERN] [test_file_glob]
// Environment: LOOPSCOPE_RUNTIME_JOBS (default 2), LOOPSCOPE_RUNTIME_TIMEOUT
// (seconds per interpreter, default 900), LOOPSCOPE_PYTHONS (a ':'-separated
// list of interpreters to use instead of the search).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const runner = join(repo, "test/runtime/_runner.py");
const jobs = Math.max(1, Number(process.env.LOOPSCOPE_RUNTIME_JOBS) || 2);
const timeoutMs = (Number(process.env.LOOPSCOPE_RUNTIME_TIMEOUT) || 900) * 1000;
const passArgs = process.argv.slice(2);

function candidates() {
  if (process.env.LOOPSCOPE_PYTHONS) return process.env.LOOPSCOPE_PYTHONS.split(":").filter(Boolean);
  const found = [];
  const pyenv = spawnSync("pyenv", ["root"], { encoding: "utf8" });
  if (pyenv.status === 0) {
    const root = pyenv.stdout.trim();
    const versions = spawnSync("pyenv", ["versions", "--bare"], { encoding: "utf8" });
    for (const v of (versions.stdout ?? "").split("\n").map((s) => s.trim())) {
      if (!v) continue;
      const exe = join(root, "versions", v, "bin", "python");
      if (existsSync(exe)) found.push(exe);
    }
  } else {
    console.log("runtime tests: pyenv not found, using python3 from PATH only");
  }
  found.push("python3");
  return found;
}

/** Asks an interpreter for its implementation, version and executable; null when it does not run. */
function probe(exe) {
  const r = spawnSync(
    exe,
    ["-c", "import sys, platform; sys.stdout.write(' '.join([platform.python_implementation(), '.'.join(map(str, sys.version_info[:3])), sys.executable]) + '\\n')"],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0 || !r.stdout) return null;
  const [impl, version, ...rest] = r.stdout.trim().split(" ");
  const [major, minor] = version.split(".").map(Number);
  return { exe, impl, version, major, minor, real: rest.join(" ") };
}

function interpreters() {
  const byVersion = new Map();
  for (const exe of candidates()) {
    const info = probe(exe);
    if (!info) {
      console.log(`runtime tests: ${exe} does not run, ignored`);
      continue;
    }
    if (info.impl !== "CPython" || info.major !== 3 || info.minor < 8) {
      console.log(`runtime tests: ${exe} is ${info.impl} ${info.version}, ignored (CPython >= 3.8 wanted)`);
      continue;
    }
    if (!byVersion.has(info.version)) byVersion.set(info.version, info);
  }
  return [...byVersion.values()].sort((a, b) => a.minor - b.minor || a.version.localeCompare(b.version));
}

function runOne(py) {
  return new Promise((done) => {
    const started = Date.now();
    const env = {
      ...process.env,
      PYTHONPATH: [join(repo, "runtime"), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
      PYTHONIOENCODING: "utf-8",
      LOOPSCOPE_TEST_PYTHON: py.exe,
    };
    // detached: the runner gets its own process group, so a timeout can end it and everything it started.
    const child = spawn(py.exe, [runner, ...passArgs], { cwd: repo, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    const finish = (code, signal, spawnError) => {
      clearTimeout(timer);
      const counts = [...out.matchAll(/^LOOPSCOPE-COUNTS passed=(\d+) failed=(\d+) skipped=(\d+)\s*$/gm)].pop();
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      let problem = null;
      if (counts) [passed, failed, skipped] = counts.slice(1).map(Number);
      if (spawnError) problem = `could not start: ${spawnError.message}`;
      else if (timedOut) problem = `timed out after ${timeoutMs / 1000}s`;
      else if (!counts) problem = `runner ended (${signal ?? `exit ${code}`}) without a count line`;
      else if (code !== 0 && failed === 0) problem = `runner exited ${code ?? signal} although no test failed`;
      if (problem) failed += 1; // a crashed, hung or silent run counts as one failure on top of what it reported
      done({ py, passed, failed, skipped, problem, out, seconds: (Date.now() - started) / 1000 });
    };
    child.on("error", (e) => finish(null, null, e));
    child.on("close", (code, signal) => finish(code, signal, null));
  });
}

async function main() {
  const pys = interpreters();
  if (pys.length === 0) {
    console.log("runtime tests: no CPython >= 3.8 found");
    console.log("0 passed, 1 failed");
    return 1;
  }
  console.log(`runtime tests on ${pys.map((p) => p.version).join(", ")} (${jobs} at a time)`);
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < pys.length) {
      const py = pys[next++];
      const r = await runOne(py);
      const header = `===== Python ${py.version} (${py.exe}) =====`;
      console.log(`${header}\n${r.out.replace(/\s+$/, "")}\n${"=".repeat(header.length)}`);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, pys.length) }, worker));
  results.sort((a, b) => pys.indexOf(a.py) - pys.indexOf(b.py));

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  console.log("");
  for (const r of results) {
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    const status = r.failed ? "FAIL" : "ok  ";
    console.log(
      `${status} Python ${r.py.version.padEnd(8)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)}s)${r.problem ? ` — ${r.problem}` : ""}`,
    );
  }
  if (!pys.some((p) => p.major === 3 && p.minor === 11)) {
    console.log("FAIL no Python 3.11.x found: the runtime tests must run on 3.11");
    failed += 1;
  }
  if (passed + failed === 0) {
    console.log("FAIL no runtime tests ran");
    failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
