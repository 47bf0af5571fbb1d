// Webview benchmark in headless Chromium (run by bench/webview-bench.mjs).
// Prints figures; asserts nothing about time.
//
// 1. Updates: 10,000 live tasks, then updates of 1,000 events each (steps of
//    random tasks that await new sleep futures, the futures they leave done,
//    a few tasks finishing and new ones starting). The host's LoopModel takes
//    a delta per update and posts it; the view applies it to its mirror and
//    renders. Figures: the view's own apply + render time per update (the
//    work, without waiting for the next frame), with the Tasks tab and with
//    the Graph tab showing.
// 2. Graph layout of ~5,000 nodes: (a) 2,500 tasks each awaiting its own
//    sleep (2,500 components of the same shape), (b) one component: a gather
//    of 2,500 tasks each awaiting a sleep, (c) one component of mixed shapes
//    (a server: handlers on queues, a lock, sleeps, small gathers). First
//    layout and a re-pack.
// 3. Memory over 1M events: model/synth's realistic stream (workers awaiting
//    sleep / queue / lock futures, 1,000 alive at a time, 50,000 created: ~1M events)
//    through the host model into the view, a delta every ~33k events; the
//    page's JS heap after a GC at checkpoints, and the tasks the mirror holds.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Harness, type HostedPage } from "../test/webview/harness";
import { LoopModel } from "../model/loopModel";
import { synthStream } from "../model/synth";
import {
  hello,
  loopCreated,
  queueCreated,
  queueSample,
  steps,
  syncCreated,
  syncSample,
  taskCreated,
  taskDone,
  Batcher,
} from "../model/synth";
import type { LoopEvent, WireMessage } from "../protocol/index";
import { VIEW_PROTOCOL_VERSION } from "../model/viewProtocol";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const TASKS = arg("tasks", 10_000);
const UPDATES = arg("updates", 20);
const PER_UPDATE = arg("events", 1_000);
/** --only tasks,graph,layout,memory: run these parts only. */
const ONLY = ((): string[] => {
  const i = process.argv.indexOf("--only");
  return i >= 0 ? process.argv[i + 1]!.split(",") : ["tasks", "graph", "layout", "memory"];
})();
/** --shots DIR: screenshots of each layout shape (as first shown, and after Fit) into DIR. */
const SHOTS = ((): string | null => {
  const i = process.argv.indexOf("--shots");
  return i >= 0 ? process.argv[i + 1]! : null;
})();
/** --profile: a CPU profile of the Graph tab's updates, its top functions by self time (build with --dev for names). */
const PROFILE = process.argv.includes("--profile");

/**
 * CPU time (user + system, ms) used so far by the browser's renderer processes
 * (those of this run's profile): the view's work, whatever else the machine is
 * doing (wall times on a shared 2-core machine swing by 2-3x with its load).
 */
function rendererCpuMs(h: Harness): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer") || !cmd.includes(h.userDataDir)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / CLK_TCK;
}
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2 === 1
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (x: number): string => x.toFixed(1);

/** Posts a delta and waits until the view rendered it; returns the view's apply and render ms. */
async function postDelta(p: HostedPage, model: LoopModel): Promise<{ apply: number; render: number; wall: number }> {
  const delta = model.takeDelta();
  const r = await p.page.evaluate(
    async (msg) => {
      const root = document.querySelector('[data-testid="root"]')!;
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent("message", { data: msg }));
      await new Promise<void>((ok) => {
        const done = (): boolean => root.getAttribute("data-delta-seq") === String(msg.delta.seq);
        if (done()) return ok();
        const mo = new MutationObserver(() => {
          if (done()) {
            mo.disconnect();
            ok();
          }
        });
        mo.observe(root, { attributes: true });
      });
      const wall = performance.now() - t0;
      // The timing attributes are set in a microtask after the render.
      await new Promise((ok) => setTimeout(ok, 0));
      return {
        wall,
        apply: Number(root.getAttribute("data-apply-ms")),
        render: Number(root.getAttribute("data-render-ms")),
      };
    },
    { v: VIEW_PROTOCOL_VERSION, kind: "delta" as const, delta },
  );
  return r;
}

/** A model with `n` live tasks, each awaiting its own sleep future. */
class LiveProgram {
  readonly model = new LoopModel();
  private readonly b = new Batcher();
  private now = 1_000;
  private nextId = 10;
  readonly live: number[] = [];
  private readonly waits = new Map<number, number>();
  constructor(readonly loop = 1) {
    this.model.apply(hello());
    this.model.apply(this.b.batch(loopCreated(loop, this.now)));
  }
  private batch(evs: LoopEvent[]): void {
    this.model.apply(this.b.batch(...evs));
  }
  /** Starts n tasks, each runs one step and awaits a new sleep. */
  start(n: number): void {
    const evs: LoopEvent[] = [];
    const futs: number[] = [];
    const st: [number, number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      const id = this.nextId++;
      evs.push(taskCreated(id, this.loop, this.now, { name: `worker-${id}`, coro: "worker" }));
      const f = this.nextId++;
      futs.push(f, this.now, 0, 0, 0, this.now + 5_000_000_000);
      st.push([id, this.now, this.now + 50, f]);
      this.now += 60;
      this.live.push(id);
      this.waits.set(id, f);
    }
    evs.push({ kind: "future/created-batch", loop: this.loop, types: ["sleep"], data: futs });
    evs.push(steps(this.loop, ...st));
    this.batch(evs);
  }
  /** About `events` events: steps of random live tasks (their sleep done, a new one awaited), a few finish, as many start. */
  update(events: number, rand: () => number): void {
    const evs: LoopEvent[] = [];
    const created: number[] = [];
    const done: number[] = [];
    const st: [number, number, number, number][] = [];
    let n = 0;
    const finishing: number[] = [];
    while (n < events) {
      const idx = Math.floor(rand() * this.live.length);
      const id = this.live[idx]!;
      const old = this.waits.get(id);
      if (old !== undefined) {
        done.push(old, this.now, 0);
        n++;
      }
      if (rand() < 0.02 && finishing.length < 20) {
        st.push([id, this.now, this.now + 40, 0]);
        finishing.push(id);
        this.live[idx] = this.live[this.live.length - 1]!;
        this.live.pop();
        this.waits.delete(id);
        n += 2;
      } else {
        const f = this.nextId++;
        created.push(f, this.now, 0, 0, 0, this.now + 5_000_000_000);
        st.push([id, this.now, this.now + 40, f]);
        this.waits.set(id, f);
        n += 2;
      }
      this.now += 50;
    }
    evs.push({ kind: "future/created-batch", loop: this.loop, types: ["sleep"], data: created });
    evs.push(steps(this.loop, ...st));
    for (const id of finishing) evs.push(taskDone(id, this.now, "done", { result: "None" }));
    evs.push({ kind: "future/done-batch", data: done });
    this.batch(evs);
    if (finishing.length > 0) this.start(finishing.length);
  }
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function updates(h: Harness, tab: "tasks" | "graph"): Promise<void> {
  const p = await h.newPage(1280, 800);
  await p.open(null);
  const prog = new LiveProgram();
  prog.start(TASKS);
  await p.post({
    v: VIEW_PROTOCOL_VERSION,
    kind: "state",
    snapshot: prog.model.snapshot(),
    session: { source: "live", label: "bench", canCancel: true, canReveal: true, ended: false },
  });
  await p.tab(tab);
  await p.page.waitForFunction(
    (n) => document.querySelector('[data-testid="count-task-pending"]')?.textContent?.replace(/\s/g, "") === String(n),
    TASKS,
    { timeout: 60_000 },
  );
  const rand = rng(7);
  const cdp = PROFILE && tab === "graph" ? await p.page.context().newCDPSession(p.page) : null;
  const apply: number[] = [];
  const render: number[] = [];
  const wall: number[] = [];
  let cpu0 = 0;
  for (let i = 0; i < UPDATES + 2; i++) {
    prog.update(PER_UPDATE, rand);
    if (i === 2) {
      cpu0 = rendererCpuMs(h);
      if (cdp !== null) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
        await cdp.send("Profiler.start");
      }
    }
    const r = await postDelta(p, prog.model);
    if (i < 2) continue; // warm-up
    apply.push(r.apply);
    render.push(r.render);
    wall.push(r.wall);
  }
  const cpuPerUpdate = (rendererCpuMs(h) - cpu0) / UPDATES;
  if (cdp !== null) printProfile(((await cdp.send("Profiler.stop")) as { profile: CpuProfile }).profile);
  const tot = apply.map((a, i) => a + render[i]!);
  console.log(
    `updates, ${tab} tab: ${TASKS} live tasks, ${PER_UPDATE} events/update, ${UPDATES} updates: ` +
      `apply+render median ${f1(median(tot))} ms, p90 ${f1(pct(tot, 90))} ms, max ${f1(Math.max(...tot))} ms ` +
      `(apply ${f1(median(apply))}, render ${f1(median(render))}); post-to-painted median ${f1(median(wall))} ms; ` +
      `renderer process CPU ${f1(cpuPerUpdate)} ms per update (every thread: the test driver's transfer of the ` +
      `delta into the page, the view's work, style, layout and software raster of the 1280x800 page)`,
  );
  if (tab === "graph") {
    const ms = await p.page.getAttribute(".graph-view", "data-layout-ms");
    const nodes = await p.page.getAttribute(".graph-view", "data-layout-nodes");
    console.log(
      `  (graph: last layout ${ms} ms for ${nodes} nodes; a big graph is laid out again at most every 1.5 s)`,
    );
  }
  await p.page.close();
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Top functions of a CPU profile by self time, and by total time (self + callees). */
function printProfile(prof: CpuProfile): void {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id: number): string => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
    all += dt;
    self.set(name(id), (self.get(name(id)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let v: number | undefined = id; v !== undefined; v = parent.get(v)) {
      const k = name(v);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([k, v]) => `    ${f1(v / UPDATES).padStart(7)} ms  ${k}`)
      .join("\n");
  // The call tree under the view's flush, two levels of children per node, by total time.
  const tree = new Map<number, number>();
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
    for (let v: number | undefined = id; v !== undefined; v = parent.get(v)) tree.set(v, (tree.get(v) ?? 0) + dt);
  });
  const lines: string[] = [];
  const walk = (id: number, depth: number): void => {
    const t = tree.get(id) ?? 0;
    if (t / UPDATES < 0.3 || depth > 7) return;
    lines.push(`    ${f1(t / UPDATES).padStart(7)} ms  ${"  ".repeat(depth)}${name(id)}`);
    for (const c of [...(byId.get(id)!.children ?? [])].sort((a, b) => (tree.get(b) ?? 0) - (tree.get(a) ?? 0)))
      walk(c, depth + 1);
  };
  for (const n of prof.nodes) if (n.callFrame.functionName === "flush") walk(n.id, 0);
  console.log(
    `  profile, per update (${f1(all / UPDATES)} ms sampled): self\n${top(self)}\n  total\n${top(total)}\n  tree\n${lines.join("\n")}`,
  );
}

const LAYOUT_SHAPES = {
  separate: "2,500 tasks each awaiting its own sleep",
  gather: "one component (a gather of 2,500 tasks, each awaiting a sleep)",
  server:
    "one component of mixed shapes (a gather of 1,670 handlers: awaiting a sleep, a get on one of 3 queues, " +
    "a lock, or a gather of 1-3 tasks with their sleeps)",
} as const;

/** The events of a layout shape (see LAYOUT_SHAPES). */
function layoutShape(shape: keyof typeof LAYOUT_SHAPES): LoopEvent[] {
  const evs: LoopEvent[] = [loopCreated(1, 0)];
  const main = 5;
  evs.push(taskCreated(main, 1, 1, { name: "main", coro: "main" }));
  const sleeps: number[] = [];
  const st: [number, number, number, number][] = [];
  const future = (id: number, type: string, owner: number | null, children: number[] = []): LoopEvent => ({
    kind: "future/created",
    future: id,
    loop: 1,
    ts: 5,
    type,
    site: null,
    owner,
    children,
    due_ns: null,
  });
  let id = 100;
  let ts = 10;
  const task = (name: string, parent: number | null, awaits: number): number => {
    const t = id++;
    evs.push(taskCreated(t, 1, ts++, { name, coro: name.replace(/-\d+$/, ""), parent }));
    st.push([t, ts, ts + 1, awaits]);
    ts += 2;
    return t;
  };
  const sleep = (): number => {
    const f = id++;
    sleeps.push(f, ts, 0, 0, 0, 1e12);
    return f;
  };
  const kids: number[] = [];
  if (shape !== "server") {
    for (let i = 0; i < 2_500; i++) kids.push(task(`fetch-${i}`, shape === "gather" ? main : null, sleep()));
  } else {
    const queues = [50, 51, 52];
    const lock = 60;
    const getters = new Map<number, number[]>(queues.map((q) => [q, []]));
    const waiters: number[] = [];
    for (const q of queues) evs.push(queueCreated(q, 2));
    evs.push(syncCreated(lock, 2, "Lock"));
    for (let i = 0; kids.length < 1_670; i++) {
      switch (i % 4) {
        case 0:
          kids.push(task(`sleeper-${i}`, main, sleep()));
          break;
        case 1: {
          const q = queues[i % 3]!;
          const f = id++;
          evs.push(future(f, "queue-get", q));
          getters.get(q)!.push(f);
          kids.push(task(`consumer-${i}`, main, f));
          break;
        }
        case 2: {
          const f = id++;
          evs.push(future(f, "lock-acquire", lock));
          waiters.push(f);
          kids.push(task(`locker-${i}`, main, f));
          break;
        }
        default: {
          const g = id++;
          const sub: number[] = [];
          const t = task(`fanout-${i}`, main, g);
          for (let j = 0; j <= i % 3; j++) sub.push(task(`part-${i}-${j}`, t, sleep()));
          evs.push(future(g, "gather", null, sub));
          kids.push(t);
        }
      }
    }
    for (const q of queues) evs.push(queueSample(q, ts, { getters: getters.get(q)! }));
    evs.push(syncSample(lock, ts, "locked", waiters, null));
  }
  evs.push({ kind: "future/created-batch", loop: 1, types: ["sleep"], data: sleeps });
  if (shape !== "separate") {
    const gather = id++;
    evs.push(future(gather, "gather", null, kids));
    st.unshift([main, 2, 3, gather]);
  }
  evs.push(steps(1, ...st));
  return evs;
}

async function layout(h: Harness): Promise<void> {
  for (const shape of Object.keys(LAYOUT_SHAPES) as (keyof typeof LAYOUT_SHAPES)[]) {
    const p = await h.newPage(1280, 800);
    await p.open(null);
    const m = new LoopModel();
    m.apply(hello());
    m.apply(new Batcher().batch(...layoutShape(shape)));
    await p.post({
      v: VIEW_PROTOCOL_VERSION,
      kind: "state",
      snapshot: m.snapshot(),
      session: { source: "live", label: "bench", canCancel: false, canReveal: false, ended: false },
    });
    await p.page.click('[data-tab="graph"]');
    await p.page.waitForSelector(".graph-view[data-layout-ms]", { timeout: 120_000 });
    const first = await p.page.getAttribute(".graph-view", "data-layout-ms");
    const nodes = await p.page.getAttribute(".graph-view", "data-layout-nodes");
    const comps = await p.page.getAttribute(".graph-view", "data-layout-components");
    const computed = await p.page.getAttribute(".graph-view", "data-layout-computed");
    if (SHOTS !== null) {
      await p.page.waitForTimeout(300);
      await p.page.screenshot({ path: `${SHOTS}/layout-${shape}.png` });
      await p.page.click('button:has-text("Fit")');
      await p.page.waitForTimeout(600);
      await p.page.screenshot({ path: `${SHOTS}/layout-${shape}-fit.png` });
    }
    // Re-layout: packing afresh, component layouts from the cache.
    await p.page.click('button:has-text("Re-layout")');
    await p.page.waitForTimeout(200);
    const again = await p.page.getAttribute(".graph-view", "data-layout-ms");
    const drawn = await p.page.$$eval("g.node", (g) => g.length);
    console.log(
      `graph layout, ${LAYOUT_SHAPES[shape]}: ` +
        `${nodes} nodes in ${comps} component(s), ${computed} laid out by d3-dag: first layout ${first} ms; re-pack ${again} ms; ${drawn} node elements in the DOM (a big graph has them only around the view)`,
    );
    await p.page.close();
  }
}

async function memory(h: Harness): Promise<void> {
  const p = await h.newPage(1280, 800);
  await p.open(null);
  const cdp = await p.page.context().newCDPSession(p.page);
  const heap = async (): Promise<number> => {
    await cdp.send("HeapProfiler.collectGarbage");
    const r = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
    return r.usedSize / 1024 / 1024;
  };
  const s = synthStream({ tasks: 50_000, stepsPerTask: 10, concurrency: 1000 });
  const model = new LoopModel();
  let sent = false;
  let events = 0;
  let sinceDelta = 0;
  const marks = [100_000, 250_000, 500_000, 750_000, 1_000_000];
  const out: string[] = [];
  for (const msg of s.messages as WireMessage[]) {
    model.apply(msg);
    if (msg.kind === "events/batch") {
      let n = 0;
      for (const e of msg.events)
        n +=
          e.kind === "task/steps"
            ? e.data.length / 4
            : e.kind === "future/created-batch"
              ? e.data.length / 6
              : e.kind === "future/done-batch"
                ? e.data.length / 3
                : 1;
      events += n;
      sinceDelta += n;
    }
    if (!sent) {
      await p.post({
        v: VIEW_PROTOCOL_VERSION,
        kind: "state",
        snapshot: model.snapshot(),
        session: { source: "live", label: "bench", canCancel: false, canReveal: false, ended: false },
      });
      sent = true;
      continue;
    }
    if (sinceDelta >= 33_000) {
      sinceDelta = 0;
      await postDelta(p, model);
      if (marks.length > 0 && events >= marks[0]!) {
        marks.shift();
        const mb = await heap();
        const held = await p.page.$eval('[data-testid="task-count"]', (e) => e.textContent);
        out.push(`${(events / 1e6).toFixed(2)}M events: heap ${f1(mb)} MB, ${held} in the view`);
      }
    }
  }
  await postDelta(p, model);
  out.push(
    `end (${(events / 1e6).toFixed(2)}M events, ${s.steps} steps): heap ${f1(await heap())} MB; model counts ${model.getCounts().tasks.done} done tasks, ${model.tasks.size} kept`,
  );
  console.log(
    `memory over ${(s.events / 1e6).toFixed(2)}M events (retention: 1,000 finished tasks):\n  ${out.join("\n  ")}`,
  );
  await p.page.close();
}

async function main(): Promise<void> {
  const h = new Harness();
  await h.start();
  try {
    if (ONLY.includes("tasks")) await updates(h, "tasks");
    if (ONLY.includes("graph")) await updates(h, "graph");
    if (ONLY.includes("layout")) await layout(h);
    if (ONLY.includes("memory")) await memory(h);
  } finally {
    await h.stop();
  }
}

await main();
