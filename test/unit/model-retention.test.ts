// Retention of finished objects with exact counts, and the bounded timeline.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LoopEvent } from "../../protocol/index";
import { LoopModel, Timeline } from "../../model/index";
import {
  Batcher,
  futureCreated,
  futureDone,
  hello,
  loopCreated,
  queueSample,
  steps,
  syncSample,
  synthStream,
  taskCreated,
  taskDone,
} from "../../model/synth";

function fresh(config: ConstructorParameters<typeof LoopModel>[0] = {}): {
  m: LoopModel;
  send: (...e: LoopEvent[]) => void;
} {
  const m = new LoopModel(config);
  const b = new Batcher();
  m.apply(hello());
  return { m, send: (...e) => m.apply(b.batch(...e)) };
}

describe("retention of finished tasks", () => {
  test("default 1,000: the newest finished stay, older are evicted, counts stay exact", () => {
    const { m, send } = fresh();
    assert.equal(m.config.finishedTaskRetention, 1000);
    send(loopCreated(1), taskCreated(1, 1, 0, { name: "main" }));
    const states = ["done", "cancelled", "failed"] as const;
    for (let i = 0; i < 2500; i++) {
      const id = 1000 + i;
      send(
        taskCreated(id, 1, i * 10, { parent: 1 }),
        steps(1, [id, i * 10 + 1, i * 10 + 2, 0]),
        taskDone(id, i * 10 + 3, states[i % 3]!),
      );
    }
    const c = m.getCounts();
    // i % 3 over 0..2499: 834 zeros, 833 ones, 833 twos; evicted: the first 1500 (500 each).
    assert.deepEqual(c.tasks, { pending: 1, running: 0, done: 834, cancelled: 833, failed: 833 });
    assert.deepEqual(c.tasksEvicted, { done: 500, cancelled: 500, failed: 500 });
    assert.equal(m.tasks.size, 1001);
    assert.equal(m.task(1000 + 1499), null);
    assert.notEqual(m.task(1000 + 1500), null);
    assert.equal(m.task(1)!.children.length, 1000);
    assert.equal(m.task(1)!.children[0], 2500);
    assert.equal(m.timeline.count(1000), 0, "an evicted task's slices go with it");
    assert.equal(m.timeline.count(3499), 1);
    // A late event about an evicted task is ignored, not resurrected.
    send(steps(1, [1000, 99_999, 100_000, 0]), taskDone(1001, 100_001, "done"));
    assert.equal(m.task(1000), null);
    assert.equal(m.getCounts().anomalies.lateForEvicted, 2);
    assert.deepEqual(m.getCounts().tasks, c.tasks);
  });

  test("unfinished tasks are never evicted; a configured limit is honoured", () => {
    const { m, send } = fresh({ finishedTaskRetention: 5 });
    send(loopCreated(1));
    for (let i = 0; i < 10; i++) send(taskCreated(i + 1, 1, i));
    for (let i = 0; i < 50; i++) send(taskCreated(100 + i, 1, i), taskDone(100 + i, i + 1, "done"));
    assert.equal(m.tasks.size, 15);
    for (let i = 1; i <= 10; i++) assert.notEqual(m.task(i), null);
    for (let i = 145; i < 150; i++) assert.notEqual(m.task(i), null);
    assert.deepEqual(m.getCounts().tasks, { pending: 10, running: 0, done: 50, cancelled: 0, failed: 0 });
    assert.equal(m.getCounts().tasksEvicted.done, 45);
  });

  test("a task still awaiting an evicted one keeps the id; the graph shows it as unknown", () => {
    const { m, send } = fresh({ finishedTaskRetention: 1 });
    send(loopCreated(1), taskCreated(1, 1, 0), taskCreated(2, 1, 0), steps(1, [1, 1, 2, 2]), taskDone(2, 3, "done"));
    send(taskCreated(3, 1, 4), taskDone(3, 5, "done"));
    assert.equal(m.task(2), null);
    assert.equal(m.task(1)!.awaitingId, 2);
    assert.equal(m.task(1)!.awaitingKind, "task");
    const node = m.awaitGraph().nodes.find((n) => n.id === 2)!;
    assert.equal(node.type, "unknown");
    assert.equal(node.kind, "task");
    send(steps(1, [1, 6, 7, 0]));
    assert.equal(m.task(1)!.awaitingId, null);
  });
});

describe("retention of futures, queues and primitives", () => {
  test("finished futures beyond the limit, and pending futures beyond the hard cap", () => {
    const { m, send } = fresh({ finishedFutureRetention: 3, maxFutures: 5 });
    for (let i = 0; i < 10; i++) send(futureCreated(100 + i, i, "sleep"), futureDone(100 + i, i + 1, "done"));
    assert.equal(m.futures.size, 3);
    assert.deepEqual([...m.futures.keys()], [107, 108, 109]);
    for (let i = 0; i < 8; i++) send(futureCreated(200 + i, 20 + i, "future"));
    // The hard cap evicts in creation order whatever the state: 107–109 (done), then 200–202 (pending).
    assert.deepEqual([...m.futures.keys()], [203, 204, 205, 206, 207]);
    const c = m.getCounts();
    assert.deepEqual(c.futures, { pending: 8, done: 10, cancelled: 0, failed: 0 });
    assert.deepEqual(c.futuresEvicted, { pending: 3, done: 10, cancelled: 0, failed: 0 });
    send(futureCreated(300, 40, "future"), futureCreated(301, 41, "future"));
    assert.deepEqual(m.getCounts().futuresEvicted, { pending: 5, done: 10, cancelled: 0, failed: 0 });
    assert.deepEqual([...m.futures.keys()], [205, 206, 207, 300, 301]);
  });

  test("queues and primitives are capped, oldest first", () => {
    const { m, send } = fresh({ maxQueues: 2, maxSyncs: 3 });
    for (let i = 0; i < 5; i++) send(queueSample(10 + i, i, { size: i }), syncSample(20 + i, i, "unlocked", []));
    assert.deepEqual([...m.queues.keys()], [13, 14]);
    assert.deepEqual([...m.syncs.keys()], [22, 23, 24]);
    const c = m.getCounts();
    assert.equal(c.queues, 5);
    assert.equal(c.queuesEvicted, 3);
    assert.equal(c.syncs, 5);
    assert.equal(c.syncsEvicted, 2);
  });
});

describe("timeline", () => {
  test("slices and markers per task", () => {
    const { m, send } = fresh();
    send(loopCreated(1), taskCreated(1, 1, 5), steps(1, [1, 10, 20, 0], [1, 30, 45, 0]), taskDone(1, 46, "done"));
    assert.deepEqual(m.timeline.slices(1), [10, 20, 30, 45]);
    const seen: number[] = [];
    m.timeline.forEachSlice(1, 25, 100, (s, e) => seen.push(s, e));
    assert.deepEqual(seen, [30, 45]);
    assert.deepEqual(m.markers(1), [
      { type: "created", ts: 5 },
      { type: "done", ts: 46 },
    ]);
  });

  test("per-task ring keeps the newest slices", () => {
    const { m, send } = fresh({ slicesPerTask: 4 });
    send(loopCreated(1), taskCreated(1, 1, 0));
    for (let i = 0; i < 10; i++) send(steps(1, [1, i * 10, i * 10 + 5, 0]));
    assert.deepEqual(m.timeline.slices(1), [60, 65, 70, 75, 80, 85, 90, 95]);
    assert.equal(m.task(1)!.steps, 10, "step counts are not bounded by the ring");
    assert.equal(m.task(1)!.busyNs, 50);
  });

  test("the global cap keeps the newest slices over all tasks", () => {
    const t = new Timeline(4, 10);
    let ts = 0;
    for (const task of [1, 2, 3, 4, 5]) {
      for (let k = 0; k < 4; k++) {
        t.append(task, ts, ts + 1);
        ts += 2;
      }
    }
    assert.equal(t.size, 10);
    assert.equal(t.count(1), 0);
    assert.equal(t.count(2), 0);
    assert.deepEqual(t.slices(3), [20, 21, 22, 23]);
    assert.equal(t.count(4), 4);
    assert.equal(t.count(5), 4);
    // Stale entries (ring overflow of one busy task) never make the total exceed the cap.
    for (let k = 0; k < 100; k++) t.append(9, 1000 + k, 1000 + k);
    assert.equal(t.count(9), 4);
    assert.ok(t.size <= 10);
    t.drop(9);
    assert.equal(t.count(9), 0);
  });

  test("over 1M events memory stays bounded: slices, tasks and futures within their caps", () => {
    const { m } = fresh({ slicesTotal: 50_000, slicesPerTask: 16 });
    const s = synthStream({ tasks: 50_000, stepsPerTask: 10, concurrency: 2000, seed: 3 });
    for (const msg of s.messages) m.apply(msg);
    const c = m.getCounts();
    assert.ok(c.events >= 1_000_000, `synthesised ${c.events} events`);
    assert.equal(c.steps, s.steps);
    assert.ok(m.timeline.size <= 50_000);
    let live = 0;
    for (const t of m.tasks.keys()) live += m.timeline.count(t);
    assert.equal(live, m.timeline.size);
    assert.ok(m.tasks.size <= 1000 + 1, `retained tasks ${m.tasks.size}`);
    assert.ok(m.futures.size <= 1000 + 2000);
    assert.equal(c.tasks.pending + c.tasks.running, 0);
    assert.equal(c.tasks.done + c.tasks.cancelled + c.tasks.failed, 50_001);
    assert.equal(c.tasksEvicted.done + c.tasksEvicted.cancelled + c.tasksEvicted.failed, 49_001);
    assert.deepEqual(c.anomalies, {
      unknownTask: 0,
      unknownFuture: 0,
      unknownLoop: 0,
      unknownQueue: 0,
      unknownSync: 0,
      duplicate: 0,
      stepOverlap: 0,
      lateForEvicted: 0,
      badValue: 0,
      duplicateBatch: 0,
      seqGap: 0,
      unknownKind: 0,
    });
  });
});
