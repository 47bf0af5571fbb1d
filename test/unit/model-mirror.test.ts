// Delta / snapshot round trip: a mirror rebuilt from snapshot + deltas equals the model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LoopEvent, WireMessage } from "../../protocol/index";
import {
  LoopModel,
  MODEL_VERSION,
  ModelMirror,
  ModelVersionError,
  type ModelConfig,
  type ModelDelta,
  type ModelSnapshot,
} from "../../model/index";
import {
  Batcher,
  cancelRequested,
  futureCreated,
  futureDone,
  hello,
  loopBlocked,
  loopCreated,
  loopSample,
  queueCreated,
  queueSample,
  rng,
  site,
  steps,
  syncCreated,
  syncSample,
  taskCreated,
  taskDone,
} from "../../model/synth";

/** Through JSON, as postMessage would carry it. */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A random but plausible stream: messages in order, ids from a small space so they collide, repeat and go missing. */
function randomMessages(seed: number, count: number): WireMessage[] {
  const r = rng(seed);
  const b = new Batcher();
  const out: WireMessage[] = [hello()];
  let now = 0;
  let nextId = 1;
  const tasks: number[] = [];
  const futures: number[] = [];
  const pick = (a: number[]): number => (a.length === 0 ? 0 : a[Math.floor(r() * a.length)]!);
  const states = ["done", "cancelled", "failed"];
  out.push(b.batch(loopCreated(1, 0), loopCreated(2, 0, "worker"), site(1, "/a.py", 1, "f"), queueCreated(900, 0)));
  out.push(b.batch(syncCreated(901, 0, "Event")));
  for (let i = 0; i < count; i++) {
    const evs: LoopEvent[] = [];
    const n = 1 + Math.floor(r() * 8);
    for (let k = 0; k < n; k++) {
      now += 1 + Math.floor(r() * 50);
      const loop = r() < 0.8 ? 1 : 2;
      const x = r();
      if (x < 0.18) {
        const id = nextId++;
        tasks.push(id);
        evs.push(
          taskCreated(id, loop, now, { parent: r() < 0.6 ? pick(tasks) || null : null, site: r() < 0.5 ? 1 : null }),
        );
      } else if (x < 0.5) {
        const data: [number, number, number, number][] = [];
        const m = 1 + Math.floor(r() * 6);
        for (let j = 0; j < m; j++) {
          const start = now;
          now += 1 + Math.floor(r() * 20);
          const y = r();
          const wait = y < 0.4 ? 0 : y < 0.7 ? pick(futures) : y < 0.9 ? pick(tasks) : 10_000 + Math.floor(r() * 5);
          data.push([r() < 0.97 ? pick(tasks) || 1 : 5000 + Math.floor(r() * 3), start, now, wait]);
        }
        evs.push(steps(loop, ...data));
      } else if (x < 0.6) {
        evs.push(taskDone(pick(tasks) || 1, now, states[Math.floor(r() * 3)]!, { result: r() < 0.5 ? "1" : null }));
      } else if (x < 0.72) {
        const id = nextId++;
        futures.push(id);
        const y = r();
        const type = y < 0.3 ? "sleep" : y < 0.5 ? "gather" : y < 0.7 ? "queue-get" : "future";
        evs.push(
          futureCreated(id, now, type, {
            loop,
            children: type === "gather" ? [pick(tasks), pick(futures)].filter((c) => c !== 0) : [],
            owner: type === "queue-get" ? 900 : null,
            due_ns: type === "sleep" ? now + 1000 : null,
          }),
        );
      } else if (x < 0.74) {
        const a = nextId++;
        const c = nextId++;
        futures.push(a, c);
        const data = [a, now, 0, 1, 0, now + 100, c, now, 1, 0, 900, -1];
        evs.push({ kind: "future/created-batch", loop, types: ["sleep", "queue-get"], data });
      } else if (x < 0.77) {
        evs.push({ kind: "future/done-batch", data: [pick(futures), now, Math.floor(r() * 3), pick(futures), now, 0] });
      } else if (x < 0.8) {
        evs.push(futureDone(pick(futures) || 1, now, states[Math.floor(r() * 3)]!));
      } else if (x < 0.84) {
        evs.push(cancelRequested(pick(tasks) || 1, now, pick(tasks) || null, r() < 0.5 ? 1 : null, "why"));
      } else if (x < 0.88) {
        evs.push(queueSample(900, now, { size: Math.floor(r() * 4), getters: [pick(futures)], items: ["x"] }));
      } else if (x < 0.91) {
        evs.push(syncSample(901, now, r() < 0.5 ? "set" : "clear", [pick(futures), pick(tasks)]));
      } else if (x < 0.95) {
        evs.push(
          loopSample(loop, now, i, {
            ready: [{ kind: "task", task: pick(tasks), func: "step" }],
            ready_total: 1,
            timers: [{ due_ns: now + 5, func: "sleep", task: null, cancelled: r() < 0.2 }],
            timers_total: 1,
          }),
        );
      } else if (x < 0.97) {
        evs.push(loopBlocked(loop, now, 100 + Math.floor(r() * 100), r() < 0.8 ? pick(tasks) : null));
      } else {
        evs.push(site(2 + Math.floor(r() * 5), "/b.py", Math.floor(r() * 3), "g"));
      }
    }
    const batch = b.batch(...evs);
    out.push(batch);
    const z = r();
    if (z < 0.04) out.push({ kind: "loop/paused", loop: r() < 0.8 ? 1 : 2, reason: "pause", ts: now });
    else if (z < 0.08) out.push({ kind: "loop/resumed", loop: r() < 0.8 ? 1 : 2, ts: now });
    else if (z < 0.09)
      out.push(b.batch(...evs)); // the same events again: duplicates
    else if (z < 0.1) out.push(batch); // the same batch again: its seq repeats
  }
  out.push({ kind: "program/exit", code: 1, ts: now + 1 });
  return out;
}

const SMALL: Partial<ModelConfig> = {
  finishedTaskRetention: 15,
  finishedFutureRetention: 10,
  maxFutures: 40,
  maxQueues: 5,
  maxSyncs: 5,
  slicesPerTask: 5,
  slicesTotal: 60,
  blockedEpisodesPerLoop: 4,
  everAwaitedByCap: 3,
  evictedMemory: 30,
};

describe("delta / snapshot round trip", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random sequence ${seed}: mirror from the first snapshot plus every delta equals the model`, () => {
      const m = new LoopModel(SMALL);
      const mirror = ModelMirror.fromSnapshot(wire(m.snapshot()));
      let late: ModelMirror | null = null;
      const r = rng(seed * 101);
      const msgs = randomMessages(seed, 400);
      for (let i = 0; i < msgs.length; i++) {
        m.apply(msgs[i]!);
        if (r() < 0.3) {
          const d = wire(m.takeDelta());
          assert.equal(mirror.applyDelta(d), true);
          if (late !== null) assert.equal(late.applyDelta(d), true);
        }
        // A second view joins mid-stream, with changes pending since the last delta.
        if (i === 150) late = ModelMirror.fromSnapshot(wire(m.snapshot()));
        if (i % 97 === 0) {
          const d = wire(m.takeDelta());
          mirror.applyDelta(d);
          late?.applyDelta(d);
          assert.deepEqual(mirror.snapshot(), m.snapshot(), `after message ${i}`);
        }
      }
      const d = wire(m.takeDelta());
      assert.equal(mirror.applyDelta(d), true);
      assert.equal(late!.applyDelta(d), true);
      const want = m.snapshot();
      assert.deepEqual(mirror.snapshot(), want);
      assert.deepEqual(late!.snapshot(), want);
      // The views answer the same queries.
      assert.deepEqual(mirror.awaitGraph({ includeDone: true }), m.awaitGraph({ includeDone: true }));
      assert.deepEqual(mirror.deadlockCycles(), m.deadlockCycles());
      for (const id of m.tasks.keys()) {
        assert.deepEqual(mirror.timeline.slices(id), m.timeline.slices(id));
        assert.deepEqual(mirror.markers(id), m.markers(id));
      }
      // The sequence did exercise the interesting paths.
      const c = m.getCounts();
      assert.ok(c.tasksEvicted.done + c.tasksEvicted.cancelled + c.tasksEvicted.failed > 0, "evictions");
      assert.ok(c.anomalies.unknownTask > 0, "placeholders");
      assert.ok(m.timeline.opSeq > 60 && m.timeline.size <= 60, "timeline past its cap");
    });
  }

  test("too many changes between deltas: the next delta carries a full snapshot", () => {
    const m = new LoopModel({ ...SMALL, maxPendingChanges: 20 });
    const mirror = ModelMirror.fromSnapshot(wire(m.snapshot()));
    const msgs = randomMessages(9, 200);
    for (const msg of msgs.slice(0, 120)) m.apply(msg);
    const d = wire(m.takeDelta());
    assert.notEqual(d.full, null);
    assert.equal(d.tasks.length, 0);
    assert.equal(mirror.applyDelta(d), true);
    assert.deepEqual(mirror.snapshot(), m.snapshot());
    for (const msg of msgs.slice(120)) {
      m.apply(msg);
      assert.equal(mirror.applyDelta(wire(m.takeDelta())), true);
    }
    assert.deepEqual(mirror.snapshot(), m.snapshot());
  });

  test("a missing delta is detected; a fresh snapshot recovers", () => {
    const m = new LoopModel();
    const b = new Batcher();
    m.apply(hello());
    const mirror = ModelMirror.fromSnapshot(m.snapshot());
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0)));
    m.takeDelta(); // lost on the way
    m.apply(b.batch(steps(1, [1, 1, 2, 0])));
    const before = mirror.snapshot();
    assert.equal(mirror.applyDelta(m.takeDelta()), false);
    assert.deepEqual(mirror.snapshot(), before, "nothing applied");
    mirror.reset(wire(m.snapshot()));
    assert.deepEqual(mirror.snapshot(), m.snapshot());
    m.apply(b.batch(taskDone(1, 3, "done")));
    assert.equal(mirror.applyDelta(m.takeDelta()), true);
    assert.equal(mirror.tasks.get(1)!.state, "done");
  });

  test("a delta holds exactly what changed", () => {
    const m = new LoopModel();
    const b = new Batcher();
    m.apply(hello());
    m.takeDelta();
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0), taskCreated(2, 1, 0), steps(1, [1, 5, 9, 2])));
    const d = m.takeDelta();
    assert.equal(d.v, MODEL_VERSION);
    assert.equal(d.seq, 2);
    assert.deepEqual(
      d.tasks.map((t) => t.id),
      [1, 2],
    );
    assert.deepEqual(d.tasks[1]!.awaitedBy, [1]);
    assert.deepEqual(
      d.loops.map((l) => l.id),
      [1],
    );
    assert.equal(d.timelineFrom, 0);
    assert.deepEqual(d.timeline, [1, 5, 9]);
    assert.equal(d.counts.tasks.pending, 2);
    const empty = m.takeDelta();
    assert.equal(empty.tasks.length + empty.loops.length + empty.futures.length + empty.timeline.length, 0);
    assert.equal(empty.timelineFrom, 1);
    m.apply(b.batch(taskDone(2, 10, "done")));
    const d3 = m.takeDelta();
    assert.deepEqual(
      d3.tasks.map((t) => [t.id, t.state]),
      [[2, "done"]],
    );
  });

  test("a task that only stepped goes as compact step figures, not a whole view", () => {
    const m = new LoopModel();
    const b = new Batcher();
    m.apply(hello());
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0), futureCreated(9, 0, "sleep"), steps(1, [1, 5, 9, 0])));
    const mirror = ModelMirror.fromSnapshot(wire(m.snapshot()));
    assert.equal(mirror.applyDelta(wire(m.takeDelta())), true);
    m.apply(b.batch(steps(1, [1, 10, 14, 9], [1, 20, 21, 0])));
    m.apply(b.batch(steps(1, [1, 30, 32, 9])));
    const d = wire(m.takeDelta());
    assert.deepEqual(
      d.tasks.map((t) => t.id),
      [],
    );
    assert.deepEqual(d.taskStats, [1, 4, 11, 5, 30, 32, 9]);
    assert.deepEqual(d.taskStatKinds, ["sleep"]);
    assert.deepEqual(
      d.futures.map((f) => [f.id, f.awaitedBy]),
      [[9, [1]]],
    );
    assert.equal(mirror.applyDelta(d), true);
    assert.deepEqual(mirror.snapshot(), m.snapshot());
    assert.equal(mirror.tasks.get(1)!.awaitingKind, "sleep");
    assert.equal(mirror.tasks.get(1)!.firstStepNs, 5);
  });

  test("evicted objects are listed as removed; the mirror drops them and their slices", () => {
    const m = new LoopModel({ finishedTaskRetention: 1 });
    const b = new Batcher();
    m.apply(hello());
    const mirror = ModelMirror.fromSnapshot(m.snapshot());
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0), steps(1, [1, 1, 2, 0]), taskDone(1, 3, "done")));
    mirror.applyDelta(m.takeDelta());
    assert.deepEqual(mirror.timeline.slices(1), [1, 2]);
    m.apply(b.batch(taskCreated(2, 1, 4), taskDone(2, 5, "done")));
    const d = m.takeDelta();
    assert.deepEqual(d.removed.tasks, [1]);
    assert.deepEqual(d.timeline, [1, -1, -1]);
    mirror.applyDelta(d);
    assert.equal(mirror.tasks.has(1), false);
    assert.equal(mirror.timeline.count(1), 0);
    assert.deepEqual(mirror.counts.tasksEvicted, { done: 1, cancelled: 0, failed: 0 });
  });

  test("objects born and evicted between two deltas appear in neither list", () => {
    const m = new LoopModel({ finishedTaskRetention: 1, finishedFutureRetention: 1 });
    const b = new Batcher();
    m.apply(hello());
    const mirror = ModelMirror.fromSnapshot(m.snapshot());
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0), taskDone(1, 1, "done"), futureCreated(5, 0, "future")));
    m.apply(b.batch(futureDone(5, 1, "done")));
    assert.equal(mirror.applyDelta(m.takeDelta()), true);
    m.apply(b.batch(taskCreated(2, 1, 2), taskDone(2, 3, "done"), taskCreated(3, 1, 4), taskDone(3, 5, "done")));
    m.apply(b.batch(futureCreated(6, 2, "future"), futureDone(6, 3, "done")));
    m.apply(b.batch(futureCreated(7, 4, "future"), futureDone(7, 5, "done")));
    const d = m.takeDelta();
    assert.deepEqual(d.removed.tasks, [1], "task 2 was never sent");
    assert.deepEqual(d.removed.futures, [5], "future 6 was never sent");
    assert.deepEqual(
      d.tasks.map((t) => t.id),
      [3],
    );
    assert.deepEqual(
      d.futures.map((f) => f.id),
      [7],
    );
    assert.equal(mirror.applyDelta(d), true);
    assert.deepEqual(mirror.snapshot(), m.snapshot());
  });

  test("another payload version is refused loudly", () => {
    const m = new LoopModel();
    const s = m.snapshot();
    assert.throws(() => ModelMirror.fromSnapshot({ ...s, v: 99 } as unknown as ModelSnapshot), ModelVersionError);
    const mirror = ModelMirror.fromSnapshot(s);
    const d = m.takeDelta();
    assert.throws(() => mirror.applyDelta({ ...d, v: 2 } as unknown as ModelDelta), ModelVersionError);
  });

  test("takeDelta needs change tracking", () => {
    const m = new LoopModel({ trackChanges: false });
    assert.throws(() => m.takeDelta(), /trackChanges/);
  });
});
