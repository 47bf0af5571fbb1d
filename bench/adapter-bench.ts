// The debug adapter's two figures (run through bench/adapter-bench.mjs):
//
// 1. Ingest: events/s the adapter folds into the loop model from a recorded
//    stream, through its own code as a session runs it: bytes in 64 KiB
//    'data' chunks, one an event-loop turn -> its RuntimeChannel
//    (LineSplitter -> parseWireLine: packed lists read into typed arrays,
//    JSON.parse and the schema check for the rest) -> LoopModel.apply, and
//    deltas taken by a timer as LoopscopeSession takes them (DeltaPacer: at
//    most 30 a second, at most a quarter of the time). Events as the model
//    counts them (a packed step, task or future is one). The first run is
//    reported apart (cold: the JIT has not compiled the path yet), then the
//    median of the next RUNS (a short stream gets warm-up runs before them:
//    ~1 s of runs in all, at most 25); wall time and this process's CPU
//    time (all its threads, the collector's included). Then the same
//    path with each delta made into its event's JSON (what
//    DebugSession.sendEvent does), and the fold alone (messages parsed
//    already). Target: >= 500k events/s.
// 2. Latency: a real session (built adapter, DebugClient, real Python): from
//    the runtime's timestamp of a task's creation to the moment the client
//    receives the loopscope/delta that first carries the task. Both clocks are
//    CLOCK_MONOTONIC (Python's time.monotonic_ns, Node's hrtime). Several
//    sessions (LATENCY_RUNS), each reported, then all tasks together.
//    Target: <= 100 ms.
//
// LOOPSCOPE_BENCH_ONLY=ingest|latency runs one part.

import { DebugClient } from "@vscode/debugadapter-testsupport";
import { spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import type { Socket } from "node:net";
import { join } from "node:path";
import { DeltaPacer } from "../extension/src/adapter/deltaPacer";
import { RuntimeChannel } from "../extension/src/adapter/runtimeChannel";
import type { ModelDelta } from "../model/index";
import { LoopModel } from "../model/index";
import { PROTOCOL_VERSION, type WireMessage } from "../protocol/index";

const REPO = process.env["LOOPSCOPE_REPO"] ?? process.cwd();
const PYTHON = process.env["LOOPSCOPE_BENCH_PYTHON"] ?? "python3";
const RUNS = Number(process.env["LOOPSCOPE_BENCH_RUNS"] ?? 5);
const LATENCY_RUNS = Number(process.env["LOOPSCOPE_BENCH_LATENCY_RUNS"] ?? 3);
const ONLY = process.env["LOOPSCOPE_BENCH_ONLY"] ?? "";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

function record(workload: string): string {
  const dir = join(REPO, ".loopscope-tmp", "bench");
  mkdirSync(dir, { recursive: true });
  const version = spawnSync(PYTHON, ["-c", "import sys;print('%d.%d.%d' % sys.version_info[:3])"], {
    encoding: "utf8",
  }).stdout.trim();
  // Recorded once per workload, Python and protocol version (the wire format changes with it).
  const trace = join(dir, `adapter-ingest-${workload}-${version}-p${PROTOCOL_VERSION}.jsonl`);
  if (!existsSync(trace)) {
    const r = spawnSync(
      PYTHON,
      ["-m", "loopscope", "record", "-o", trace, "--", join(REPO, "bench/workloads.py"), workload],
      {
        env: { ...process.env, PYTHONPATH: join(REPO, "runtime") },
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`recording ${workload} failed: ${r.stderr}`);
  }
  return trace;
}

interface Ingest {
  events: number;
  bytes: number;
  coldMs: number;
  fullMs: number;
  /** CPU time of those runs (user + system, this process): less moved by other processes than wall time. */
  cpuMs: number;
  runsMs: number[];
  /** Deltas taken in the last run. */
  deltas: number;
  /** The whole path with each delta's JSON made too. */
  sendMs: number;
  foldMs: number;
}

/** Between runs: a pause, so that a run does not start inside the collector's or the OS's tail of the last. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
}

/** What RuntimeChannel uses of its socket; the bench feeds it the recorded bytes as 'data' events. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  setNoDelay(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  write(): boolean {
    return true;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

/**
 * The adapter's whole path over the recorded bytes, as a session runs it: its
 * RuntimeChannel reading 64 KiB 'data' chunks, one an event-loop turn (as
 * sockets deliver them), each message folded, and deltas taken by a timer
 * the way LoopscopeSession takes them (scheduleDelta, DeltaPacer). `keep`
 * collects the messages and deltas (an untimed run: the adapter itself keeps
 * neither).
 */
async function fullPath(
  data: Buffer,
  send: boolean,
  keep?: { messages: WireMessage[]; deltas: ModelDelta[] },
): Promise<{ ms: number; events: number; deltas: number }> {
  const model = new LoopModel();
  const pacer = new DeltaPacer();
  let deltas = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    pacer.send(() => {
      const d = model.takeDelta();
      // With `send`, each delta is also made into its event's JSON, as DebugSession.sendEvent does.
      if (send) JSON.stringify({ seq: 1, type: "event", event: "loopscope/delta", body: { delta: d } });
      keep?.deltas.push(d);
      deltas++;
    });
  };
  const socket = new FakeSocket();
  const channel = new RuntimeChannel(socket as unknown as Socket);
  channel.onMessage = (msg) => {
    keep?.messages.push(msg);
    model.apply(msg);
    if (timer === null) timer = setTimeout(flush, pacer.wait());
  };
  channel.onMalformed = (reason) => {
    throw new Error(reason);
  };
  channel.start();
  const t0 = performance.now();
  for (let i = 0; i < data.length; i += 65536) {
    socket.emit("data", data.subarray(i, Math.min(data.length, i + 65536)));
    await new Promise((r) => setImmediate(r));
  }
  flush();
  return { ms: performance.now() - t0, events: model.getCounts().events, deltas };
}

async function ingest(trace: string): Promise<Ingest> {
  const data = readFileSync(trace);
  const full: number[] = [];
  const cpu: number[] = [];
  const withSend: number[] = [];
  let events = 0;
  let deltas = 0;
  // A short stream gets warm-up runs first (up to ~1 s of runs in all, at most 25):
  // its few milliseconds a run are too few for the JIT to settle, and one stall
  // of the machine doubles them. The figure is the median of the last RUNS.
  let runs = RUNS;
  for (let run = 0; run <= runs; run++) {
    await settle();
    const c0 = process.cpuUsage();
    const r = await fullPath(data, false);
    const c = process.cpuUsage(c0);
    full.push(r.ms);
    cpu.push((c.user + c.system) / 1000);
    events = r.events;
    deltas = r.deltas;
    if (run === 0) runs = Math.max(RUNS, Math.min(25, Math.ceil(1000 / Math.max(1, r.ms))));
  }
  // The same with each delta made into its event's JSON, as DebugSession.sendEvent does.
  for (let run = 0; run < RUNS; run++) {
    await settle();
    withSend.push((await fullPath(data, true)).ms);
  }
  // The fold alone, on messages parsed already.
  const kept = { messages: [] as WireMessage[], deltas: [] as ModelDelta[] };
  await fullPath(data, false, kept);
  const fold: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await settle();
    const m2 = new LoopModel();
    const t1 = performance.now();
    for (const msg of kept.messages) m2.apply(msg);
    m2.takeDelta();
    fold.push(performance.now() - t1);
  }
  return {
    events,
    bytes: data.length,
    coldMs: full[0]!,
    fullMs: median(full.slice(-RUNS)),
    cpuMs: median(cpu.slice(-RUNS)),
    runsMs: full.slice(1),
    deltas,
    sendMs: median(withSend),
    foldMs: median(fold),
  };
}

const LATENCY_PROGRAM = `
import asyncio

async def short(n):
    await asyncio.sleep(0.05)
    return n

async def main():
    tasks = []
    for i in range(600):
        tasks.append(asyncio.create_task(short(i), name="t%d" % i))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)

asyncio.run(main())
`;

async function latency(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "loopscope-bench-"));
  const program = join(dir, "latency.py");
  writeFileSync(program, LATENCY_PROGRAM);
  const dc = new DebugClient("node", join(REPO, "dist/debugAdapter.js"), "loopscope", {}, true);
  dc.defaultTimeout = 60_000;
  await dc.start();
  const seen = new Set<number>();
  const out: number[] = [];
  dc.on("loopscope/delta", (e: { body: { delta: ModelDelta } }) => {
    const now = Number(process.hrtime.bigint());
    const d = e.body.delta;
    const origin = d.meta.session.originNs;
    if (origin === null) return;
    const tasks = d.full !== null ? d.full.tasks : d.tasks;
    for (const t of tasks) {
      if (seen.has(t.id) || t.createdNs === null || !t.name.startsWith("t")) continue;
      seen.add(t.id);
      out.push((now - (origin + t.createdNs)) / 1e6);
    }
  });
  const terminated = dc.waitForEvent("terminated", 120_000);
  await Promise.all([dc.configurationSequence(), dc.launch({ program, python: PYTHON })]);
  await terminated;
  await dc.stop();
  return out;
}

const rate = (events: number, ms: number): string =>
  Math.round(events / (ms / 1000))
    .toLocaleString("en")
    .padStart(10);

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

async function main(): Promise<void> {
  const version = spawnSync(PYTHON, ["-c", "import sys;print('%d.%d.%d' % sys.version_info[:3])"], {
    encoding: "utf8",
  }).stdout.trim();
  console.log(`adapter bench: Python ${version} (${PYTHON}); load average ${load()}`);
  if (ONLY !== "latency") {
    console.log(
      `ingest (recorded stream -> RuntimeChannel (LineSplitter, parseWireLine) -> LoopModel.apply, deltas paced as the adapter paces them): ` +
        `the first (cold) run, then the median of the last ${RUNS} (all runs listed)`,
    );
    console.log(
      `${"workload".padEnd(9)} ${"events".padStart(9)} ${"MiB".padStart(6)} ${"cold ms".padStart(8)} ${"cold ev/s".padStart(10)} ` +
        `${"full ms".padStart(8)} ${"events/s".padStart(10)} ${"cpu ms".padStart(7)} ${"ev/cpu-s".padStart(10)} ${"deltas".padStart(6)} ${"w/ send".padStart(8)} ${"ev/s".padStart(10)} ${"fold ms".padStart(8)} ${"fold ev/s".padStart(10)}  runs (ms)`,
    );
    for (const w of ["sleep0", "queue", "futures"]) {
      const r = await ingest(record(w));
      console.log(
        `${w.padEnd(9)} ${String(r.events).padStart(9)} ${(r.bytes / 2 ** 20).toFixed(1).padStart(6)} ` +
          `${r.coldMs.toFixed(0).padStart(8)} ${rate(r.events, r.coldMs)} ${r.fullMs.toFixed(0).padStart(8)} ${rate(r.events, r.fullMs)} ` +
          `${r.cpuMs.toFixed(0).padStart(7)} ${rate(r.events, r.cpuMs)} ` +
          `${String(r.deltas).padStart(6)} ${r.sendMs.toFixed(0).padStart(8)} ${rate(r.events, r.sendMs)} ${r.foldMs.toFixed(0).padStart(8)} ${rate(r.events, r.foldMs)}  ${r.runsMs.map((x) => x.toFixed(0)).join(" ")}`,
      );
    }
    console.log(`load average after ingest: ${load()}`);
  }
  if (ONLY !== "ingest") {
    console.log("latency: runtime event (task created) -> loopscope/delta received by the client");
    const all: number[] = [];
    for (let run = 0; run < LATENCY_RUNS; run++) {
      const lat = await latency();
      all.push(...lat);
      console.log(
        `session ${run + 1}: tasks ${lat.length}, median ${median(lat).toFixed(1)} ms, p95 ${percentile(lat, 95).toFixed(1)} ms, ` +
          `max ${Math.max(...lat).toFixed(1)} ms (load ${load()})`,
      );
    }
    console.log(
      `all ${LATENCY_RUNS} sessions: tasks ${all.length}, median ${median(all).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms, ` +
        `p99 ${percentile(all, 99).toFixed(1)} ms, max ${Math.max(...all).toFixed(1)} ms`,
    );
  }
}

await main();
