// LoopModel: every event kind folded into exact state, running semantics,
// cancel attribution, counts, robustness against broken input.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PROTOCOL_VERSION, type EventsBatchMessage, type LoopEvent, type WireMessage } from "../../protocol/index";
import { LoopModel, type TaskView } from "../../model/index";
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

/** A model fed with hello and the given events, one batch each call. */
function feed(...events: LoopEvent[]): { m: LoopModel; b: Batcher; more: (...e: LoopEvent[]) => void } {
  const m = new LoopModel();
  const b = new Batcher();
  m.apply(hello());
  m.apply(b.batch(...events));
  return { m, b, more: (...e) => m.apply(b.batch(...e)) };
}

const baseTask = (over: Partial<TaskView> & Pick<TaskView, "id">): TaskView => ({
  name: `Task-${over.id}`,
  coro: `coro${over.id}`,
  loop: 1,
  state: "pending",
  eager: false,
  placeholder: false,
  createdNs: null,
  site: null,
  parent: null,
  children: [],
  steps: 0,
  busyNs: 0,
  firstStepNs: null,
  lastStepStartNs: null,
  lastStepEndNs: null,
  awaitingId: null,
  awaitingKind: null,
  awaitedBy: [],
  everAwaitedBy: [],
  everAwaitedByOverflow: 0,
  cancelRequest: null,
  cancelRequests: 0,
  doneNs: null,
  cancelMessage: null,
  result: null,
  exception: null,
  ...over,
});

describe("session and program messages", () => {
  test("hello records python, pid, origin and argv; welcome keeps what it does not carry", () => {
    const m = new LoopModel();
    m.apply(hello());
    assert.deepEqual(m.getMeta().session, {
      protocol: PROTOCOL_VERSION,
      role: "runtime",
      python: "3.12.3",
      pid: 4242,
      originNs: 5_000_000,
      argv: ["prog.py", "--x"],
    });
    m.apply({ kind: "session/welcome", protocol: PROTOCOL_VERSION, role: "adapter" });
    assert.deepEqual(m.getMeta().session, {
      protocol: PROTOCOL_VERSION,
      role: "adapter",
      python: "3.12.3",
      pid: 4242,
      originNs: 5_000_000,
      argv: ["prog.py", "--x"],
    });
  });

  test("program/exit, runtime/error and the dropped counter", () => {
    const { m, b } = feed();
    b.dropped = 17;
    m.apply(b.batch({ kind: "runtime/error", ts: 50, message: "boom", traceback: "Traceback..." }));
    m.apply({ kind: "program/exit", code: 3, ts: 99 });
    const meta = m.getMeta();
    assert.deepEqual(meta.exit, { code: 3, ts: 99 });
    assert.deepEqual(meta.runtimeError, { ts: 50, message: "boom", traceback: "Traceback..." });
    assert.equal(meta.lastTs, 99);
    assert.equal(meta.lastSeq, 2);
    assert.equal(m.getCounts().dropped, 17);
    // dropped is cumulative on the wire: a smaller figure never lowers it.
    b.dropped = 3;
    m.apply(b.batch());
    assert.equal(m.getCounts().dropped, 17);
  });

  test("control messages and session/refused leave the state alone", () => {
    const { m } = feed(loopCreated(1));
    const before = m.snapshot();
    m.apply({ kind: "control/request", id: 1, command: "pause", args: null });
    m.apply({ kind: "control/response", id: 1, ok: true });
    m.apply({ kind: "session/refused", reason: "bad token" });
    assert.deepEqual(m.snapshot(), before);
  });
});

describe("tasks", () => {
  test("created, steps, awaiting a task, done: exact views", () => {
    const { m, more } = feed(
      site(7, "/app/a.py", 12, "main"),
      loopCreated(1, 10),
      taskCreated(100, 1, 20, { name: "main", coro: "main()", site: 7 }),
      taskCreated(101, 1, 30, { parent: 100, site: 7, eager: true }),
      steps(1, [100, 40, 50, 101], [101, 60, 75, 0], [101, 80, 90, 0]),
    );
    assert.deepEqual(
      m.task(100),
      baseTask({
        id: 100,
        name: "main",
        coro: "main()",
        createdNs: 20,
        site: 7,
        children: [101],
        steps: 1,
        busyNs: 10,
        firstStepNs: 40,
        lastStepStartNs: 40,
        lastStepEndNs: 50,
        awaitingId: 101,
        awaitingKind: "task",
      }),
    );
    assert.deepEqual(
      m.task(101),
      baseTask({
        id: 101,
        createdNs: 30,
        site: 7,
        parent: 100,
        eager: true,
        steps: 2,
        busyNs: 25,
        firstStepNs: 60,
        lastStepStartNs: 80,
        lastStepEndNs: 90,
        awaitedBy: [100],
        everAwaitedBy: [100],
      }),
    );
    assert.deepEqual(m.siteOf(7), { id: 7, file: "/app/a.py", line: 12, func: "main" });

    more(taskDone(101, 95, "done", { result: "42" }));
    const t101 = m.task(101)!;
    assert.equal(t101.state, "done");
    assert.equal(t101.doneNs, 95);
    assert.equal(t101.result, "42");
    assert.deepEqual(t101.awaitedBy, [100], "main has not run since: it still awaits 101");

    more(steps(1, [100, 100, 110, 0]), taskDone(100, 111, "done", { result: "None" }));
    assert.equal(m.task(100)!.awaitingId, null);
    assert.equal(m.task(100)!.awaitingKind, null);
    assert.deepEqual(m.task(101)!.awaitedBy, []);
    assert.deepEqual(m.task(101)!.everAwaitedBy, [100]);
    const c = m.getCounts();
    assert.deepEqual(c.tasks, { pending: 0, running: 0, done: 2, cancelled: 0, failed: 0 });
    assert.equal(c.steps, 4);
    // 1 site + 1 loop + 2 created + 3 steps, then 1 done, then 1 step + 1 done.
    assert.equal(c.events, 10);
    assert.deepEqual(m.markers(100), [
      { type: "created", ts: 20 },
      { type: "done", ts: 111 },
    ]);
  });

  test("failed task keeps its exception; a finished task awaits nothing", () => {
    const exc = { type: "ValueError", message: "bad", traceback: [{ file: "/app/w.py", line: 3, func: "w" }] };
    const { m } = feed(
      loopCreated(1),
      taskCreated(5, 1, 1),
      futureCreated(6, 1, "sleep", { due_ns: 1000 }),
      steps(1, [5, 2, 3, 6]),
      taskDone(5, 4, "failed", { exception: exc }),
    );
    const t = m.task(5)!;
    assert.equal(t.state, "failed");
    assert.deepEqual(t.exception, exc);
    assert.equal(t.awaitingId, null);
    assert.deepEqual(m.future(6)!.awaitedBy, []);
    assert.deepEqual(m.getCounts().tasks, { pending: 0, running: 0, done: 0, cancelled: 0, failed: 1 });
  });

  test("cancel attribution: first request kept, all counted, message and markers", () => {
    const { m } = feed(
      site(9, "/app/main.py", 40, "shutdown"),
      loopCreated(1),
      taskCreated(1, 1, 1, { name: "main" }),
      taskCreated(2, 1, 2, { parent: 1 }),
      cancelRequested(2, 10, 1, 9, "stop now"),
      cancelRequested(2, 12, null, null, null),
      taskDone(2, 15, "cancelled", { cancel_message: "stop now" }),
      cancelRequested(2, 20, 1, 9, "again"),
    );
    const t = m.task(2)!;
    assert.deepEqual(t.cancelRequest, { ts: 10, byTask: 1, bySite: 9, message: "stop now" });
    assert.equal(t.cancelRequests, 2, "a cancel() after the task finished has no effect and is not counted");
    assert.equal(t.cancelMessage, "stop now");
    assert.equal(t.state, "cancelled");
    assert.deepEqual(m.siteOf(t.cancelRequest!.bySite), { id: 9, file: "/app/main.py", line: 40, func: "shutdown" });
    assert.deepEqual(m.markers(2), [
      { type: "created", ts: 2 },
      { type: "cancel-requested", ts: 10 },
      { type: "cancelled", ts: 15 },
    ]);
    assert.deepEqual(m.getCounts().tasks, { pending: 1, running: 0, done: 0, cancelled: 1, failed: 0 });
  });

  test("everAwaitedBy is capped and counts the overflow", () => {
    const m = new LoopModel({ everAwaitedByCap: 2 });
    const b = new Batcher();
    m.apply(hello());
    m.apply(b.batch(loopCreated(1), taskCreated(1, 1, 0)));
    for (let w = 10; w < 15; w++) m.apply(b.batch(taskCreated(w, 1, w), steps(1, [w, w * 10, w * 10 + 1, 1])));
    const t = m.task(1)!;
    assert.deepEqual(t.awaitedBy, [10, 11, 12, 13, 14]);
    assert.deepEqual(t.everAwaitedBy, [10, 11]);
    assert.equal(t.everAwaitedByOverflow, 3);
  });
});

describe("futures", () => {
  test("awaiting a future links both ways; the awaited kind is the future's type", () => {
    const { m, more } = feed(
      loopCreated(1),
      taskCreated(1, 1, 0),
      futureCreated(50, 5, "sleep", { due_ns: 1_000_005, site: null }),
      steps(1, [1, 1, 6, 50]),
    );
    assert.equal(m.task(1)!.awaitingId, 50);
    assert.equal(m.task(1)!.awaitingKind, "sleep");
    assert.deepEqual(m.future(50), {
      id: 50,
      type: "sleep",
      state: "pending",
      placeholder: false,
      loop: 1,
      createdNs: 5,
      doneNs: null,
      site: null,
      owner: null,
      children: [],
      dueNs: 1_000_005,
      awaitedBy: [1],
    });
    more(futureDone(50, 1_000_010, "done"), steps(1, [1, 1_000_020, 1_000_030, 0]));
    assert.equal(m.future(50)!.state, "done");
    assert.equal(m.future(50)!.doneNs, 1_000_010);
    assert.deepEqual(m.future(50)!.awaitedBy, []);
    assert.equal(m.task(1)!.awaitingId, null);
    assert.deepEqual(m.getCounts().futures, { pending: 0, done: 1, cancelled: 0, failed: 0 });
  });

  test("a future announced after the step that awaits it: kind fixed up, link made", () => {
    const { m, more } = feed(loopCreated(1), taskCreated(1, 1, 0), steps(1, [1, 1, 2, 77]));
    assert.equal(m.task(1)!.awaitingKind, "unknown");
    more(futureCreated(77, 3, "queue-get", { owner: 500 }));
    assert.equal(m.task(1)!.awaitingKind, "queue-get");
    assert.deepEqual(m.future(77)!.awaitedBy, [1]);
    assert.equal(m.getCounts().anomalies.unknownFuture, 0, "only late, not unknown");
  });

  test("a task announced after the step that awaits it gets the awaiter", () => {
    const { m, more } = feed(loopCreated(1), taskCreated(1, 1, 0), steps(1, [1, 1, 2, 2]));
    more(taskCreated(2, 1, 3));
    assert.equal(m.task(1)!.awaitingKind, "task");
    assert.deepEqual(m.task(2)!.awaitedBy, [1]);
  });

  test("cancelled and failed futures; done before created fills a placeholder", () => {
    const { m, more } = feed(
      loopCreated(1),
      futureCreated(60, 1, "future"),
      futureDone(60, 2, "cancelled"),
      futureDone(61, 3, "failed"),
    );
    assert.equal(m.future(60)!.state, "cancelled");
    assert.equal(m.future(61)!.placeholder, true);
    assert.equal(m.future(61)!.type, "unknown");
    assert.equal(m.getCounts().anomalies.unknownFuture, 1);
    more(futureCreated(61, 1, "executor"));
    const f = m.future(61)!;
    assert.equal(f.placeholder, false);
    assert.equal(f.type, "executor");
    assert.equal(f.state, "failed");
    assert.equal(f.createdNs, 1);
    assert.equal(f.doneNs, 3);
    assert.deepEqual(m.getCounts().futures, { pending: 0, done: 0, cancelled: 1, failed: 1 });
    more(futureDone(60, 9, "done"));
    assert.equal(m.future(60)!.state, "cancelled", "a second done is ignored");
    assert.equal(m.getCounts().anomalies.duplicate, 1);
  });

  test("packed future/created-batch and future/done-batch: each entry exact, each counted as an event", () => {
    const { m, more } = feed(
      loopCreated(1),
      {
        kind: "future/created-batch",
        loop: 1,
        types: ["sleep", "queue-get", "lock"],
        // id, ts, type index, site (0: none), owner (0: none), due (-1: none)
        data: [70, 5, 0, 3, 0, 1005, 71, 6, 1, 0, 500, -1, 72, 7, 9, 0, 0, -1],
      },
      taskCreated(1, 1, 0),
      steps(1, [1, 8, 9, 71]),
    );
    assert.deepEqual(m.future(70), {
      id: 70,
      type: "sleep",
      state: "pending",
      placeholder: false,
      loop: 1,
      createdNs: 5,
      doneNs: null,
      site: 3,
      owner: null,
      children: [],
      dueNs: 1005,
      awaitedBy: [],
    });
    assert.equal(m.future(71)!.owner, 500);
    assert.equal(m.future(71)!.dueNs, null);
    assert.equal(m.future(71)!.site, null);
    assert.equal(m.task(1)!.awaitingKind, "queue-get");
    assert.equal(m.future(72)!.type, "unknown", "a type index outside 'types'");
    assert.equal(m.getCounts().anomalies.badValue, 1);
    // 1 loop + 3 futures + 1 task + 1 step
    assert.equal(m.getCounts().events, 6);
    more({ kind: "future/done-batch", data: [70, 20, 0, 71, 21, 1, 72, 22, 2, 73, 23, 7] });
    assert.equal(m.future(70)!.state, "done");
    assert.equal(m.future(70)!.doneNs, 20);
    assert.equal(m.future(71)!.state, "cancelled");
    assert.equal(m.future(72)!.state, "failed");
    assert.equal(m.future(73)!.state, "done", "state code 7 is read as done");
    const c = m.getCounts();
    assert.deepEqual(c.futures, { pending: 0, done: 2, cancelled: 1, failed: 1 });
    assert.equal(c.anomalies.badValue, 2);
    assert.equal(c.anomalies.unknownFuture, 1);
    assert.equal(c.events, 10);
    assert.equal(m.getMeta().lastTs, 23);
    more({ kind: "future/done-batch", data: [70, 30, 1, 99] });
    assert.equal(m.future(70)!.state, "done", "already done");
    assert.equal(m.getCounts().anomalies.duplicate, 1);
    assert.equal(m.getCounts().anomalies.badValue, 3, "data not a multiple of 3");
  });

  test("many tasks awaiting one: awaiter sets grow past the small-array form and keep order", () => {
    const { m, more } = feed(loopCreated(1), taskCreated(1, 1, 0));
    const evs: LoopEvent[] = [];
    for (let w = 100; w < 140; w++) evs.push(taskCreated(w, 1, 1), steps(1, [w, 2, 3, 1]));
    more(...evs);
    assert.equal(m.task(1)!.awaitedBy.length, 40);
    const moveOn: LoopEvent[] = [];
    for (let w = 100; w < 140; w += 2) moveOn.push(steps(1, [w, 10, 11, 0]));
    more(...moveOn);
    assert.deepEqual(
      m.task(1)!.awaitedBy,
      Array.from({ length: 20 }, (_, i) => 101 + 2 * i),
    );
  });

  test("gather future keeps its children", () => {
    const { m } = feed(
      loopCreated(1),
      taskCreated(300, 1, 0),
      taskCreated(301, 1, 1, { parent: 300 }),
      taskCreated(302, 1, 2, { parent: 300 }),
      futureCreated(400, 3, "gather", { children: [301, 302] }),
      steps(1, [300, 3, 4, 400]),
    );
    assert.deepEqual(m.future(400)!.children, [301, 302]);
    assert.equal(m.task(300)!.awaitingKind, "gather");
    assert.deepEqual(m.task(300)!.children, [301, 302]);
  });
});

describe("queues and primitives", () => {
  test("queue created and sampled: replacing samples, exact view", () => {
    const { m, more } = feed(
      queueCreated(500, 1, 10),
      queueSample(500, 5, { size: 2, items: ["'a'", "'b'"], getters: [], putters: [], puts: 2, gets: 0 }),
    );
    more(queueSample(500, 9, { size: 0, items: [], getters: [501], putters: [], puts: 2, gets: 2 }));
    assert.deepEqual(m.queue(500), {
      id: 500,
      type: "Queue",
      maxsize: 10,
      site: null,
      placeholder: false,
      createdNs: 1,
      sampledNs: 9,
      size: 0,
      items: [],
      getters: [501],
      putters: [],
      puts: 2,
      gets: 2,
    });
    more(queueSample(500, 7, { size: 5 }));
    assert.equal(m.queue(500)!.size, 0, "an older sample does not replace a newer one");
    assert.equal(m.getCounts().queues, 1);
  });

  test("sync primitive created and sampled", () => {
    const { m } = feed(syncCreated(700, 1, "Semaphore"), syncSample(700, 2, "0", [701, 702]));
    assert.deepEqual(m.sync(700), {
      id: 700,
      type: "Semaphore",
      site: null,
      placeholder: false,
      createdNs: 1,
      sampledNs: 2,
      state: "0",
      waiters: [701, 702],
      holder: null,
    });
    assert.equal(m.getCounts().syncs, 1);
  });

  test("samples for unknown queues / primitives make placeholders and count", () => {
    const { m } = feed(queueSample(1, 1, { size: 1 }), syncSample(2, 1, "locked", []));
    assert.equal(m.queue(1)!.placeholder, true);
    assert.equal(m.sync(2)!.placeholder, true);
    const a = m.getCounts().anomalies;
    assert.equal(a.unknownQueue, 1);
    assert.equal(a.unknownSync, 1);
  });
});

describe("loops and the running task", () => {
  test("loop created, sampled, closed: exact view and iteration count", () => {
    const { m, more } = feed(
      loopCreated(1, 3, "MainThread"),
      loopSample(1, 10, 7, {
        ready: [{ kind: "task", task: 5, func: "Task.__step" }],
        ready_total: 3,
        timers: [{ due_ns: 900, func: "sleep", task: 6, cancelled: false }],
        timers_total: 1,
      }),
    );
    more(loopSample(1, 20, 12), { kind: "loop/closed", loop: 1, ts: 30 });
    assert.deepEqual(m.loop(1), {
      id: 1,
      thread: "MainThread",
      cls: "_UnixSelectorEventLoop",
      state: "closed",
      placeholder: false,
      createdNs: 3,
      closedNs: 30,
      iterations: 12,
      sampledNs: 20,
      ready: [],
      readyTotal: 0,
      timers: [],
      timersTotal: 0,
      pausedNs: null,
      pauseReason: null,
      runningTask: null,
      blocked: [],
      blockedCount: 0,
    });
    const c = m.getCounts();
    assert.equal(c.iterations, 12);
    assert.equal(c.loops, 1);
  });

  test("paused: the task of the latest step runs; a late step moves it; resumed: none", () => {
    const { m, more } = feed(
      loopCreated(1),
      taskCreated(10, 1, 0),
      taskCreated(11, 1, 0),
      steps(1, [10, 100, 200, 0], [11, 210, 300, 0]),
    );
    assert.equal(m.task(11)!.state, "pending");
    m.apply({ kind: "loop/paused", loop: 1, reason: "breakpoint", ts: 310 });
    assert.equal(m.loop(1)!.state, "paused");
    assert.equal(m.loop(1)!.pauseReason, "breakpoint");
    assert.equal(m.loop(1)!.runningTask, 11);
    assert.equal(m.task(11)!.state, "running");
    assert.deepEqual(m.getCounts().tasks, { pending: 1, running: 1, done: 0, cancelled: 0, failed: 0 });
    // A step flushed after the pause message, ending later: it is what the loop stands in.
    more(steps(1, [10, 301, 308, 0]));
    assert.equal(m.loop(1)!.runningTask, 10);
    assert.equal(m.task(10)!.state, "running");
    assert.equal(m.task(11)!.state, "pending");
    m.apply({ kind: "loop/resumed", loop: 1, ts: 400 });
    assert.equal(m.loop(1)!.state, "running");
    assert.equal(m.loop(1)!.pausedNs, null);
    assert.equal(m.loop(1)!.runningTask, null);
    assert.deepEqual(m.getCounts().tasks, { pending: 2, running: 0, done: 0, cancelled: 0, failed: 0 });
  });

  test("a running task that finishes stops running", () => {
    const { m, more } = feed(loopCreated(1), taskCreated(10, 1, 0), steps(1, [10, 1, 2, 0]));
    m.apply({ kind: "loop/paused", loop: 1, reason: "step", ts: 3 });
    assert.equal(m.task(10)!.state, "running");
    more(taskDone(10, 4, "done"));
    assert.equal(m.task(10)!.state, "done");
    assert.equal(m.loop(1)!.runningTask, null);
    assert.deepEqual(m.getCounts().tasks, { pending: 0, running: 0, done: 1, cancelled: 0, failed: 0 });
  });

  test("blocked: the task runs until a step ends past the report; repeated reports merge", () => {
    const { m, more } = feed(loopCreated(1), taskCreated(10, 1, 0), steps(1, [10, 100, 200, 0]));
    more(loopBlocked(1, 1000, 150_000_000, 10));
    assert.equal(m.task(10)!.state, "running");
    more(loopBlocked(1, 1000 + 100_000_000, 120_000_000, 10));
    const l = m.loop(1)!;
    assert.equal(l.blockedCount, 1);
    assert.equal(l.blocked.length, 1);
    assert.equal(l.blocked[0]!.ts, 1000);
    assert.equal(l.blocked[0]!.durationNs, 220_000_000);
    assert.deepEqual(l.blocked[0]!.stack, [{ file: "/app/x.py", line: 7, func: "busy" }]);
    more(steps(1, [10, 500, 300_000_000, 0]));
    assert.equal(m.task(10)!.state, "pending");
    assert.equal(m.loop(1)!.runningTask, null);
    more(loopBlocked(1, 400_000_000, 200_000_000, null));
    assert.equal(m.loop(1)!.blockedCount, 2);
    assert.equal(m.loop(1)!.runningTask, null, "a block outside any task shows no running task");
  });

  test("blocked episodes per loop are capped, newest kept", () => {
    const m = new LoopModel({ blockedEpisodesPerLoop: 3 });
    const b = new Batcher();
    m.apply(hello());
    for (let i = 0; i < 10; i++) m.apply(b.batch(loopBlocked(1, i * 1000, 10, null)));
    const l = m.loop(1)!;
    assert.equal(l.blockedCount, 10);
    assert.deepEqual(
      l.blocked.map((e) => e.ts),
      [7000, 8000, 9000],
    );
  });
});

describe("robustness: broken input is counted, never thrown", () => {
  test("a step for a task never created makes a placeholder; task/created fills it in", () => {
    const { m, more } = feed(loopCreated(1), steps(1, [42, 10, 20, 0]));
    const p = m.task(42)!;
    assert.equal(p.placeholder, true);
    assert.equal(p.loop, 1);
    assert.equal(p.steps, 1);
    assert.equal(m.getCounts().anomalies.unknownTask, 1);
    more(taskCreated(42, 1, 5, { name: "late" }));
    const t = m.task(42)!;
    assert.equal(t.placeholder, false);
    assert.equal(t.name, "late");
    assert.equal(t.steps, 1);
    assert.equal(m.getCounts().tasks.pending, 1);
  });

  test("done before created, duplicate created, duplicate done", () => {
    const { m, more } = feed(loopCreated(1), taskDone(8, 50, "done", { result: "1" }));
    assert.equal(m.task(8)!.state, "done");
    more(taskCreated(8, 1, 10, { name: "eight" }));
    assert.equal(m.task(8)!.name, "eight");
    assert.equal(m.task(8)!.state, "done");
    more(taskCreated(8, 1, 11, { name: "again" }), taskDone(8, 60, "failed"));
    assert.equal(m.task(8)!.name, "eight");
    assert.equal(m.task(8)!.state, "done");
    assert.equal(m.task(8)!.doneNs, 50);
    const c = m.getCounts();
    assert.deepEqual(c.tasks, { pending: 0, running: 0, done: 1, cancelled: 0, failed: 0 });
    assert.equal(c.anomalies.duplicate, 2);
    assert.equal(c.anomalies.unknownTask, 1);
  });

  test("repeated and out-of-order batches, seq gaps", () => {
    const m = new LoopModel();
    m.apply(hello());
    const b1: EventsBatchMessage = {
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [loopCreated(1), taskCreated(1, 1, 0)],
    };
    m.apply(b1);
    m.apply(b1);
    m.apply({ kind: "events/batch", seq: 4, dropped: 0, events: [steps(1, [1, 1, 2, 0])] });
    m.apply({ kind: "events/batch", seq: 3, dropped: 0, events: [steps(1, [1, 3, 4, 0])] });
    const c = m.getCounts();
    assert.equal(c.anomalies.duplicateBatch, 2);
    assert.equal(c.anomalies.seqGap, 2);
    assert.equal(m.task(1)!.steps, 1);
    // A new hello (reconnect) restarts the numbering.
    m.apply(hello());
    m.apply({ kind: "events/batch", seq: 1, dropped: 0, events: [steps(1, [1, 5, 6, 0])] });
    assert.equal(m.task(1)!.steps, 2);
  });

  test("overlapping, reversed and negative steps, ragged step data, unknown states", () => {
    const { m } = feed(
      loopCreated(1),
      taskCreated(1, 1, 0),
      steps(1, [1, 10, 20, 0], [1, 15, 25, 0], [1, 30, 29, 0], [1, -5, 1, 0]),
      { kind: "task/steps", loop: 1, data: [1, 40, 41, 0, 1] },
      taskDone(1, 50, "exploded"),
      futureDone(3, 50, "weird"),
    );
    const t = m.task(1)!;
    assert.equal(t.steps, 2);
    assert.equal(t.busyNs, 11);
    assert.equal(t.state, "done");
    assert.equal(m.future(3)!.state, "done");
    const a = m.getCounts().anomalies;
    assert.equal(a.stepOverlap, 1);
    assert.equal(a.badValue, 5, "reversed, negative, ragged data, 2 unknown states");
  });

  test("unknown event and message kinds are counted and ignored", () => {
    const { m } = feed(loopCreated(1));
    // Deliberately outside the protocol's types: what a newer runtime might send.
    m.applyEvent({ kind: "task/teleported", task: 1 } as unknown as LoopEvent);
    m.apply({ kind: "debug/whatever" } as unknown as WireMessage);
    assert.equal(m.getCounts().anomalies.unknownKind, 2);
  });

  test("events naming unknown loops make placeholder loops", () => {
    const { m } = feed(taskCreated(1, 9, 0), loopSample(9, 5, 3));
    assert.equal(m.loop(9)!.placeholder, true);
    assert.equal(m.loop(9)!.iterations, 3);
    assert.equal(m.getCounts().anomalies.unknownLoop, 1);
    assert.equal(m.getCounts().loops, 1);
  });

  test("random well-formed but meaningless events never throw and counts stay consistent", () => {
    const r = rng(7);
    const m = new LoopModel({ finishedTaskRetention: 5, finishedFutureRetention: 5, maxFutures: 20 });
    const b = new Batcher();
    m.apply(hello());
    const id = (): number => 1 + Math.floor(r() * 40);
    const ts = (): number => Math.floor(r() * 1000);
    const states = ["done", "cancelled", "failed", "bogus"];
    for (let i = 0; i < 3000; i++) {
      const k = Math.floor(r() * 9);
      const ev: LoopEvent =
        k === 0
          ? taskCreated(id(), 1 + Math.floor(r() * 2), ts(), { parent: r() < 0.5 ? id() : null })
          : k === 1
            ? steps(1, [id(), ts(), ts(), r() < 0.5 ? 0 : id()])
            : k === 2
              ? taskDone(id(), ts(), states[Math.floor(r() * 4)]!)
              : k === 3
                ? futureCreated(id(), ts(), "gather", { children: [id(), id()] })
                : k === 4
                  ? futureDone(id(), ts(), states[Math.floor(r() * 4)]!)
                  : k === 5
                    ? cancelRequested(id(), ts(), id(), null, null)
                    : k === 6
                      ? loopBlocked(1, ts(), 10, id())
                      : k === 7
                        ? queueSample(id(), ts(), { getters: [id()] })
                        : syncSample(id(), ts(), "locked", [id()]);
      m.apply(b.batch(ev));
      if (r() < 0.05) m.apply({ kind: "loop/paused", loop: 1, reason: "x", ts: ts() });
      if (r() < 0.05) m.apply({ kind: "loop/resumed", loop: 1, ts: ts() });
    }
    const c = m.getCounts();
    const byState = { pending: 0, running: 0, done: 0, cancelled: 0, failed: 0 };
    for (const t of m.tasks.values()) byState[t.state]++;
    assert.equal(byState.pending, c.tasks.pending);
    assert.equal(byState.running, c.tasks.running);
    for (const s of ["done", "cancelled", "failed"] as const) assert.equal(byState[s] + c.tasksEvicted[s], c.tasks[s]);
    const fByState = { pending: 0, done: 0, cancelled: 0, failed: 0 };
    for (const f of m.futures.values()) fByState[f.state]++;
    for (const s of ["pending", "done", "cancelled", "failed"] as const)
      assert.equal(fByState[s] + c.futuresEvicted[s], c.futures[s]);
    assert.ok(m.futures.size <= 20);
    let running = 0;
    for (const l of m.loops.values()) if (l.runningTask !== null) running++;
    assert.equal(running, c.tasks.running);
    // awaitedBy agrees with what tasks await.
    for (const t of m.tasks.values()) {
      for (const w of t.awaitedBy ?? []) assert.equal(m.tasks.get(w)?.awaitingId, t.id);
    }
    for (const f of m.futures.values()) {
      for (const w of f.awaitedBy ?? []) assert.equal(m.tasks.get(w)?.awaitingId, f.id);
    }
  });
});
