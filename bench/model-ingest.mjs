#!/usr/bin/env node
// Loop model ingest throughput: how many protocol events per second the model
// folds, JSON parsing included (each packed task step counts as one event).
//
// Synthesises a realistic recorded stream (model/synth.ts: one loop, workers
// awaiting sleep / queue-get / lock futures, queue, lock and loop samples,
// some cancellations and failures), writes it as JSON lines, then times:
//   adapter  JSON.parse + LoopModel.apply with change tracking, a takeDelta()
//            every ~33k events (≈ 30 view updates/s at 1M events/s)
//   replay   JSON.parse + apply, no change tracking
//   trace    parseTrace(): the above plus schema validation of every message
// Prints the median of several runs, by wall time and by this process's CPU
// time (user + system, all threads: less disturbed by other processes on a
// shared machine, but it includes GC helper threads). No assertions: a
// benchmark, not a test.
//
// With --trace FILE, a trace recorded by the runtime (python -m loopscope
// record -o FILE -- bench/workloads.py sleep0) is measured instead.
//
// Usage: node --expose-gc bench/model-ingest.mjs [--tasks N] [--steps N] [--runs N] [--trace FILE]
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const TASKS = arg("tasks", 20_000);
const STEPS = arg("steps", 10);
const RUNS = arg("runs", 5);
const traceIdx = process.argv.indexOf("--trace");
const TRACE = traceIdx >= 0 ? process.argv[traceIdx + 1] : null;

const outDir = join(repo, ".loopscope-tmp/bench");
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, "model-ingest-entry.ts");
const outfile = join(outDir, "model-ingest.mjs");
await esbuild.build({
  stdin: {
    contents: 'export * from "../../model/index";\nexport { synthStream } from "../../model/synth";\n',
    resolveDir: outDir,
    sourcefile: entry,
    loader: "ts",
  },
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
const M = await import(pathToFileURL(outfile).href);

const t0 = performance.now();
let lines;
let text;
let events;
let steps;
if (TRACE === null) {
  const stream = M.synthStream({ tasks: TASKS, stepsPerTask: STEPS, concurrency: 1000, seed: 1 });
  lines = stream.messages.map((m) => JSON.stringify(m));
  text = lines.join("\n") + "\n";
  events = stream.events;
  steps = stream.steps;
  console.log(
    `stream: ${TASKS} tasks × ${STEPS} steps → ${events.toLocaleString("en")} events ` +
      `(${steps.toLocaleString("en")} steps) in ${lines.length} messages, ` +
      `${(text.length / 1e6).toFixed(1)} MB of JSON lines (synthesised in ${(performance.now() - t0).toFixed(0)} ms)`,
  );
} else {
  text = readFileSync(TRACE, "utf8");
  lines = text.split("\n").filter((l) => l.trim() !== "");
  const c = M.parseTrace(text).model.getCounts();
  events = c.events;
  steps = c.steps;
  console.log(
    `trace ${TRACE}: ${events.toLocaleString("en")} events (${steps.toLocaleString("en")} steps) ` +
      `in ${lines.length} messages, ${(text.length / 1e6).toFixed(1)} MB`,
  );
}

function adapterRun() {
  const m = new M.LoopModel();
  let sinceDelta = 0;
  let deltas = 0;
  const start = performance.now();
  for (let i = 0; i < lines.length; i++) {
    const msg = JSON.parse(lines[i]);
    m.apply(msg);
    if (msg.kind === "events/batch") {
      sinceDelta += msg.events.length === 0 ? 0 : countEvents(msg);
      if (sinceDelta >= 33_000) {
        m.takeDelta();
        deltas++;
        sinceDelta = 0;
      }
    }
  }
  m.takeDelta();
  const ms = performance.now() - start;
  check(m);
  return { ms, note: `${deltas + 1} deltas` };
}

function countEvents(batch) {
  let n = 0;
  for (const ev of batch.events) n += ev.kind === "task/steps" ? ev.data.length / 4 : 1;
  return n;
}

function replayRun() {
  const m = new M.LoopModel({ trackChanges: false });
  const start = performance.now();
  for (let i = 0; i < lines.length; i++) m.apply(JSON.parse(lines[i]));
  const ms = performance.now() - start;
  check(m);
  return { ms, note: "" };
}

function traceRun() {
  const start = performance.now();
  const r = M.parseTrace(text);
  const ms = performance.now() - start;
  check(r.model);
  return { ms, note: "" };
}

/** The run folded everything: guards the figures against a model that skips work. */
function check(m) {
  const c = m.getCounts();
  if (c.events !== events || c.steps !== steps) {
    throw new Error(`model folded ${c.events} events / ${c.steps} steps, expected ${events} / ${steps}`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, run] of [
  ["adapter (parse + apply + deltas)", adapterRun],
  ["replay  (parse + apply)", replayRun],
  ["trace   (parseTrace, validated)", traceRun],
]) {
  run(); // warm-up
  const times = [];
  const cpus = [];
  let note = "";
  for (let i = 0; i < RUNS; i++) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const r = run();
    const c = process.cpuUsage(c0);
    times.push(r.ms);
    cpus.push((c.user + c.system) / 1000);
    note = r.note;
  }
  const ms = median(times);
  const cpu = median(cpus);
  const rate = events / (ms / 1000);
  const cpuRate = events / (cpu / 1000);
  console.log(
    `${name}: ${(rate / 1e6).toFixed(2)} M events/s wall, ${(cpuRate / 1e6).toFixed(2)} M/s CPU ` +
      `(medians of ${RUNS} runs: ${ms.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU${note ? `; ${note}` : ""}; ` +
      `target ≥ 0.5 M/s: ${(rate / 500_000).toFixed(1)}× by wall)`,
  );
}
console.log(
  `load average while measuring: ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
const mem = process.memoryUsage();
console.log(`heap used after the runs: ${(mem.heapUsed / 1e6).toFixed(0)} MB`);
