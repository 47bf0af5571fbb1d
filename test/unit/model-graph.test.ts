// The await graph and wait-for cycles.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LoopEvent } from "../../protocol/index";
import { LoopModel, type AwaitGraph, type GraphEdge } from "../../model/index";
import {
  Batcher,
  futureCreated,
  futureDone,
  hello,
  loopCreated,
  queueCreated,
  queueSample,
  steps,
  syncCreated,
  syncSample,
  taskCreated,
  taskDone,
} from "../../model/synth";

function model(...events: LoopEvent[]): LoopModel {
  const m = new LoopModel();
  m.apply(hello());
  m.apply(new Batcher().batch(...events));
  return m;
}

const edgeKey = (e: GraphEdge): string => `${e.from}-${e.type}->${e.to}`;
const edges = (g: AwaitGraph): string[] => g.edges.map(edgeKey).sort();
const nodeIds = (g: AwaitGraph): number[] => g.nodes.map((n) => n.id).sort((a, b) => a - b);

describe("awaitGraph", () => {
  test("gather node with its children, created-by edges", () => {
    const m = model(
      loopCreated(1),
      taskCreated(300, 1, 0, { name: "main" }),
      taskCreated(301, 1, 1, { parent: 300 }),
      taskCreated(302, 1, 2, { parent: 300 }),
      futureCreated(400, 3, "gather", { children: [301, 302] }),
      steps(1, [300, 3, 4, 400]),
    );
    const g = m.awaitGraph();
    assert.deepEqual(nodeIds(g), [300, 301, 302, 400]);
    assert.deepEqual(edges(g), [
      "300-awaits->400",
      "301-created-by->300",
      "302-created-by->300",
      "400-gather-child->301",
      "400-gather-child->302",
    ]);
    const gather = g.nodes.find((n) => n.id === 400)!;
    assert.deepEqual(gather, {
      id: 400,
      type: "future",
      kind: "gather",
      label: "gather",
      state: "pending",
      loop: 1,
      dueNs: null,
    });
    assert.equal(g.nodes.find((n) => n.id === 300)!.label, "main");
    assert.deepEqual(edges(m.awaitGraph({ createdBy: false })), [
      "300-awaits->400",
      "400-gather-child->301",
      "400-gather-child->302",
    ]);
  });

  test("a task blocked on queue-get is linked to the queue", () => {
    const m = model(
      loopCreated(1),
      queueCreated(500, 0, 10),
      taskCreated(502, 1, 1),
      futureCreated(501, 2, "queue-get", { owner: 500 }),
      steps(1, [502, 2, 3, 501]),
      queueSample(500, 4, { getters: [501] }),
    );
    const g = m.awaitGraph();
    assert.deepEqual(edges(g), ["501-owned-by->500", "502-awaits->501"]);
    const q = g.nodes.find((n) => n.id === 500)!;
    assert.equal(q.type, "queue");
    assert.equal(q.state, "0/10");
    assert.equal(m.task(502)!.awaitingKind, "queue-get");
  });

  test("queue getters and lock waiters given as task ids link the task directly", () => {
    const m = model(
      loopCreated(1),
      queueCreated(500, 0),
      syncCreated(600, 0, "Lock"),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      queueSample(500, 1, { putters: [1] }),
      syncSample(600, 1, "locked", [2]),
    );
    const g = m.awaitGraph();
    assert.deepEqual(edges(g), ["1-awaits->500", "2-awaits->600"]);
    assert.equal(g.nodes.find((n) => n.id === 600)!.state, "locked");
    assert.equal(g.nodes.find((n) => n.id === 500)!.state, "0/∞");
  });

  test("sleep futures are timer nodes; unknown awaited ids are unknown nodes", () => {
    const m = model(
      loopCreated(1),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      futureCreated(10, 1, "sleep", { due_ns: 5000 }),
      steps(1, [1, 1, 2, 10], [2, 3, 4, 99]),
    );
    const g = m.awaitGraph();
    assert.deepEqual(
      g.nodes.find((n) => n.id === 10),
      {
        id: 10,
        type: "timer",
        kind: "sleep",
        label: "sleep",
        state: "pending",
        loop: 1,
        dueNs: 5000,
      },
    );
    assert.deepEqual(
      g.nodes.find((n) => n.id === 99),
      {
        id: 99,
        type: "unknown",
        kind: "unknown",
        label: "unknown #99",
        state: "",
        loop: null,
        dueNs: null,
      },
    );
  });

  test("finished tasks seed only with includeDone; roots, depth, loop and maxNodes", () => {
    const m = model(
      loopCreated(1),
      loopCreated(2),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      taskCreated(3, 1, 0),
      taskCreated(4, 2, 0),
      taskCreated(5, 1, 0),
      steps(1, [1, 1, 2, 2], [2, 3, 4, 3]),
      steps(2, [4, 1, 2, 0]),
      steps(1, [5, 5, 6, 0]),
      taskDone(5, 7, "done"),
    );
    assert.deepEqual(nodeIds(m.awaitGraph()), [1, 2, 3, 4]);
    assert.deepEqual(nodeIds(m.awaitGraph({ includeDone: true })), [1, 2, 3, 4, 5]);
    assert.deepEqual(nodeIds(m.awaitGraph({ loop: 2 })), [4]);
    assert.deepEqual(nodeIds(m.awaitGraph({ roots: [1] })), [1, 2, 3]);
    assert.deepEqual(nodeIds(m.awaitGraph({ roots: [1], depth: 1 })), [1, 2]);
    assert.deepEqual(edges(m.awaitGraph({ roots: [1], depth: 1 })), ["1-awaits->2"]);
    const cut = m.awaitGraph({ maxNodes: 2 });
    assert.equal(cut.truncated, true);
    assert.equal(cut.nodes.length, 2);
    for (const e of cut.edges)
      assert.ok(cut.nodes.some((n) => n.id === e.from) && cut.nodes.some((n) => n.id === e.to));
    assert.equal(m.awaitGraph().truncated, false);
  });

  test("a graph cut at maxNodes keeps tasks with what they await (whole neighbourhoods, by id)", () => {
    const evs: LoopEvent[] = [loopCreated(1)];
    const st: [number, number, number, number][] = [];
    for (let i = 0; i < 10; i++) {
      evs.push(taskCreated(10 + i, 1, 0), futureCreated(100 + i, 1, "sleep"));
      st.push([10 + i, 2, 3, 100 + i]);
    }
    evs.push(steps(1, ...st));
    const m = model(...evs);
    const cut = m.awaitGraph({ maxNodes: 6 });
    assert.equal(cut.truncated, true);
    assert.deepEqual(nodeIds(cut), [10, 11, 12, 100, 101, 102]);
    assert.deepEqual(edges(cut), ["10-awaits->100", "11-awaits->101", "12-awaits->102"]);
    const all = m.awaitGraph({ maxNodes: 20 });
    assert.equal(all.truncated, false);
    assert.equal(all.nodes.length, 20);
  });
});

describe("deadlockCycles", () => {
  test("A awaits B, B awaits a gather collecting A: one cycle, through the gather", () => {
    const m = model(
      loopCreated(1),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      futureCreated(10, 0, "gather", { children: [1] }),
      steps(1, [1, 1, 2, 2], [2, 3, 4, 10]),
    );
    assert.deepEqual(m.deadlockCycles(), [{ tasks: [1, 2], via: [null, 10] }]);
  });

  test("a task awaiting itself, nested gathers, and two disjoint cycles", () => {
    const m = model(
      loopCreated(1),
      taskCreated(1, 1, 0),
      taskCreated(5, 1, 0),
      taskCreated(6, 1, 0),
      taskCreated(7, 1, 0),
      futureCreated(20, 0, "shield", { children: [7] }),
      futureCreated(21, 0, "gather", { children: [20, 99] }),
      steps(1, [1, 1, 2, 1], [5, 3, 4, 6], [6, 5, 6, 21], [7, 7, 8, 5]),
    );
    assert.deepEqual(m.deadlockCycles(), [
      { tasks: [1], via: [null] },
      { tasks: [5, 6, 7], via: [null, 21, null] },
    ]);
  });

  test("no cycle once the future in between is done, or a task finished", () => {
    const m = model(
      loopCreated(1),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      futureCreated(10, 0, "gather", { children: [1] }),
      steps(1, [1, 1, 2, 2], [2, 3, 4, 10]),
      futureDone(10, 5, "done"),
    );
    assert.deepEqual(m.deadlockCycles(), []);
    const m2 = model(loopCreated(1), taskCreated(1, 1, 0), taskCreated(2, 1, 0), steps(1, [1, 1, 2, 2], [2, 3, 4, 1]));
    assert.equal(m2.deadlockCycles().length, 1);
    m2.apply({ kind: "events/batch", seq: 99, dropped: 0, events: [taskDone(2, 9, "cancelled")] });
    assert.deepEqual(m2.deadlockCycles(), []);
  });

  test("two tasks each holding the lock the other waits for: one cycle, through the lock waits", () => {
    const m = model(
      loopCreated(1),
      syncCreated(100, 0, "Lock"),
      syncCreated(200, 0, "Lock"),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      futureCreated(11, 1, "lock", { owner: 200 }),
      futureCreated(12, 1, "lock", { owner: 100 }),
      steps(1, [1, 1, 2, 11], [2, 3, 4, 12]),
      syncSample(100, 5, "locked", [2], 1),
      syncSample(200, 5, "locked", [1], 2),
    );
    assert.deepEqual(m.deadlockCycles(), [{ tasks: [1, 2], via: [11, 12] }]);
    assert.equal(m.sync(100)!.holder, 1);
  });

  test("limit: without holders (an older runtime) a deadlock through two locks is not seen", () => {
    const m = model(
      loopCreated(1),
      syncCreated(100, 0, "Lock"),
      syncCreated(200, 0, "Lock"),
      taskCreated(1, 1, 0),
      taskCreated(2, 1, 0),
      futureCreated(11, 1, "lock", { owner: 200 }),
      futureCreated(12, 1, "lock", { owner: 100 }),
      steps(1, [1, 1, 2, 11], [2, 3, 4, 12]),
      syncSample(100, 5, "locked", [12]),
      syncSample(200, 5, "locked", [11]),
    );
    assert.deepEqual(m.deadlockCycles(), []);
    // …but the graph shows both waits.
    assert.deepEqual(edges(m.awaitGraph()), ["1-awaits->11", "11-owned-by->200", "12-owned-by->100", "2-awaits->12"]);
  });

  test("a long chain without a cycle, and a 2000-task ring, are handled iteratively", () => {
    const n = 2000;
    const evs: LoopEvent[] = [loopCreated(1)];
    for (let i = 1; i <= n; i++) evs.push(taskCreated(i, 1, 0));
    const chain: [number, number, number, number][] = [];
    for (let i = 1; i <= n; i++) chain.push([i, i, i, i < n ? i + 1 : 0]);
    evs.push(steps(1, ...chain));
    const m = model(...evs);
    assert.deepEqual(m.deadlockCycles(), []);
    m.apply({ kind: "events/batch", seq: 2, dropped: 0, events: [steps(1, [n, n + 1, n + 2, 1])] });
    const cycles = m.deadlockCycles();
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]!.tasks.length, n);
    assert.equal(cycles[0]!.tasks[0], 1);
    assert.equal(cycles[0]!.tasks[n - 1], n);
  });

  test("a gather of 20,000 tasks, one of which awaits the gatherer", () => {
    const n = 20_000;
    const evs: LoopEvent[] = [loopCreated(1), taskCreated(1, 1, 0)];
    const children: number[] = [];
    for (let i = 0; i < n; i++) {
      evs.push(taskCreated(10 + i, 1, 1, { parent: 1 }));
      children.push(10 + i);
    }
    evs.push(futureCreated(5, 2, "gather", { children }), steps(1, [1, 3, 4, 5]));
    const data: [number, number, number, number][] = children.map((c, i) => [c, 10 + i, 10 + i, 0]);
    data[n - 1]![3] = 1;
    evs.push(steps(1, ...data));
    const m = model(...evs);
    assert.deepEqual(m.deadlockCycles(), [{ tasks: [1, 10 + n - 1], via: [5, null] }]);
    const g = m.awaitGraph({ maxNodes: 100_000 });
    assert.equal(g.nodes.length, n + 2);
    assert.equal(g.edges.filter((e) => e.type === "gather-child").length, n);
    const cut = m.awaitGraph();
    assert.equal(cut.nodes.length, 5000, "the default maxNodes");
    assert.equal(cut.truncated, true);
  });
});
