// Recorded traces: JSON lines parsed into a model; truncated tails tolerated, garbage refused by line.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoopModel, NO_ANOMALIES, parseTrace, TraceError } from "../../model/index";
import { Batcher, hello, loopCreated, steps, synthStream, taskCreated, taskDone } from "../../model/synth";

// Recorded by the real runtime (python -m loopscope record, CPython 3.11) from
// test/fixtures/seeds/gather_two_tasks.py and foo_task_not_awaited.py.
const GATHER_TWO_TASKS: string[] = [
  '{"kind":"session/hello","protocol":"1.0","token":"","role":"recording","python":"3.11.7","pid":5483,"origin_ns":1437951083695,"argv":["/work/main/runtime/loopscope/__main__.py","record","-o","/tmp/mtraces/gather_two_tasks.jsonl","--","gather_two_tasks.py"]}',
  '{"kind":"events/batch","seq":1,"events":[{"kind":"loop/created","loop":1,"ts":1171119,"thread":"","cls":"_UnixSelectorEventLoop"},{"kind":"loop/sample","loop":1,"ts":1302677,"iterations":0,"ready":[],"timers":[],"ready_total":0,"timers_total":0}],"dropped":0}',
  '{"kind":"events/batch","seq":2,"events":[{"kind":"site/def","site":3,"file":"/work/main/test/fixtures/seeds/gather_two_tasks.py","line":18,"func":"<module>"},{"kind":"task/created","task":2,"loop":1,"ts":1756176,"name":"Task-1","coro":"main","site":3,"parent":null,"eager":false},{"kind":"site/def","site":5,"file":"/work/main/test/fixtures/seeds/gather_two_tasks.py","line":14,"func":"main"},{"kind":"site/def","site":8,"file":"/work/main/test/fixtures/seeds/gather_two_tasks.py","line":6,"func":"task1"},{"kind":"site/def","site":10,"file":"/work/main/test/fixtures/seeds/gather_two_tasks.py","line":10,"func":"task2"},{"kind":"future/created-batch","loop":1,"types":["future","sleep","queue-get","queue-put","lock","event","semaphore","condition","wait","wait_for","shield","executor","taskgroup","stream-read","gather"],"data":[9,2010015,1,8,0,51996910,11,2041568,1,10,0,102035713]},{"kind":"task/created","task":4,"loop":1,"ts":1916181,"name":"Task-2","coro":"task1","site":5,"parent":2,"eager":false},{"kind":"task/created","task":6,"loop":1,"ts":1933911,"name":"Task-3","coro":"task2","site":5,"parent":2,"eager":false},{"kind":"future/created","future":7,"loop":1,"ts":1952478,"type":"gather","site":5,"owner":null,"children":[4,6],"due_ns":null},{"kind":"task/steps","loop":1,"data":[2,1889623,1952479,7,4,1987185,2028316,9,6,2031129,2050062,11]}],"dropped":0}',
  '{"kind":"events/batch","seq":3,"events":[{"kind":"task/steps","loop":1,"data":[4,52407516,52437214,0]},{"kind":"task/done","task":4,"ts":52437214,"state":"done","result":"\'Task 1 done\'","exception":null,"cancel_message":null},{"kind":"future/done-batch","data":[9,52394618,0]}],"dropped":0}',
  '{"kind":"events/batch","seq":4,"events":[{"kind":"loop/sample","loop":1,"ts":103499044,"iterations":14,"ready":[],"timers":[],"ready_total":0,"timers_total":0}],"dropped":0}',
  '{"kind":"events/batch","seq":5,"events":[{"kind":"task/steps","loop":1,"data":[6,102780643,102810441,0]},{"kind":"task/done","task":6,"ts":102810441,"state":"done","result":"\'Task 2 done\'","exception":null,"cancel_message":null},{"kind":"task/steps","loop":1,"data":[2,102861389,102905039,0]},{"kind":"task/done","task":2,"ts":102905039,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"task/created","task":12,"loop":1,"ts":103208884,"name":"Task-4","coro":"BaseEventLoop.shutdown_asyncgens","site":3,"parent":null,"eager":false},{"kind":"task/steps","loop":1,"data":[12,103254408,103262760,0]},{"kind":"task/done","task":12,"ts":103262760,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"task/created","task":13,"loop":1,"ts":103304827,"name":"Task-5","coro":"BaseEventLoop.shutdown_default_executor","site":3,"parent":null,"eager":false},{"kind":"task/steps","loop":1,"data":[13,103336085,103346040,0]},{"kind":"task/done","task":13,"ts":103346040,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"loop/closed","loop":1,"ts":103875899},{"kind":"future/done-batch","data":[11,102776601,0,7,102859374,0]}],"dropped":0}',
  '{"kind":"program/exit","code":0,"ts":104730995}',
];
const FOO_TASK_NOT_AWAITED: string[] = [
  '{"kind":"session/hello","protocol":"1.0","token":"","role":"recording","python":"3.11.7","pid":5174,"origin_ns":1435718406803,"argv":["/work/main/runtime/loopscope/__main__.py","record","-o","/tmp/mtraces/foo_task_not_awaited.jsonl","--","foo_task_not_awaited.py"]}',
  '{"kind":"events/batch","seq":1,"events":[{"kind":"loop/created","loop":1,"ts":1214713,"thread":"","cls":"_UnixSelectorEventLoop"},{"kind":"loop/sample","loop":1,"ts":1477832,"iterations":0,"ready":[],"timers":[],"ready_total":0,"timers_total":0}],"dropped":0}',
  '{"kind":"events/batch","seq":2,"events":[{"kind":"site/def","site":3,"file":"/work/main/test/fixtures/seeds/foo_task_not_awaited.py","line":18,"func":"<module>"},{"kind":"task/created","task":2,"loop":1,"ts":2062643,"name":"Task-1","coro":"main","site":3,"parent":null,"eager":false}],"dropped":0}',
  '{"kind":"events/batch","seq":3,"events":[{"kind":"site/def","site":5,"file":"/work/main/test/fixtures/seeds/foo_task_not_awaited.py","line":11,"func":"main"},{"kind":"site/def","site":6,"file":"/work/main/test/fixtures/seeds/foo_task_not_awaited.py","line":16,"func":"foo"},{"kind":"future/created-batch","loop":1,"types":["future","sleep","queue-get","queue-put","lock","event","semaphore","condition","wait","wait_for","shield","executor","taskgroup","stream-read","gather"],"data":[7,2408780,1,6,0,102391722]},{"kind":"task/created","task":4,"loop":1,"ts":2294218,"name":"Task-2","coro":"foo","site":5,"parent":2,"eager":false},{"kind":"task/steps","loop":1,"data":[2,2245653,2343227,0]},{"kind":"task/done","task":2,"ts":2343227,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"task/steps","loop":1,"data":[4,2371091,2435709,7]},{"kind":"task/cancel-requested","task":4,"ts":2618043,"by_task":null,"by_site":3,"message":null},{"kind":"task/steps","loop":1,"data":[4,2684554,2705099,0]},{"kind":"task/done","task":4,"ts":2705099,"state":"cancelled","result":null,"exception":null,"cancel_message":null},{"kind":"task/created","task":8,"loop":1,"ts":2797592,"name":"Task-3","coro":"BaseEventLoop.shutdown_asyncgens","site":3,"parent":null,"eager":false},{"kind":"task/steps","loop":1,"data":[8,2820815,2831727,0]},{"kind":"task/done","task":8,"ts":2831727,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"task/created","task":9,"loop":1,"ts":2879672,"name":"Task-4","coro":"BaseEventLoop.shutdown_default_executor","site":3,"parent":null,"eager":false},{"kind":"task/steps","loop":1,"data":[9,2910563,2914883,0]},{"kind":"task/done","task":9,"ts":2914883,"state":"done","result":"None","exception":null,"cancel_message":null},{"kind":"loop/closed","loop":1,"ts":3258127},{"kind":"future/done-batch","data":[7,2682296,1]}],"dropped":0}',
  '{"kind":"program/exit","code":0,"ts":4037549}',
];

const toLines = (msgs: readonly unknown[]): string => msgs.map((m) => JSON.stringify(m) + "\n").join("");

function smallTrace(): string {
  const b = new Batcher();
  return toLines([
    hello(),
    b.batch(loopCreated(1), taskCreated(1, 1, 0, { name: "main" })),
    b.batch(steps(1, [1, 1, 5, 0])),
    b.batch(taskDone(1, 6, "done", { result: "None" })),
    { kind: "program/exit", code: 0, ts: 7 },
  ]);
}

/** Asserts fn throws a TraceError for the given line whose message matches re. */
function throwsAt(fn: () => unknown, line: number, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TraceError, `a TraceError, got ${String(e)}`);
    assert.equal(e.line, line);
    assert.match(e.message, new RegExp(`^trace line ${line}: `));
    assert.match(e.message, re);
    return true;
  });
}

describe("parseTrace", () => {
  test("folds every message into the same state as live application", () => {
    const s = synthStream({ tasks: 300, stepsPerTask: 5, concurrency: 50, seed: 11 });
    const { model, messages, truncated } = parseTrace(toLines(s.messages));
    assert.equal(messages, s.messages.length);
    assert.equal(truncated, false);
    const live = new LoopModel({ trackChanges: false });
    for (const m of s.messages) live.apply(m);
    assert.deepEqual(model.snapshot(), live.snapshot());
    assert.equal(model.getMeta().exit?.code, 0);
    assert.equal(model.getCounts().steps, s.steps);
  });

  test("futures sent one event each fold to the same state as packed ones", () => {
    const packed = parseTrace(toLines(synthStream({ tasks: 200, stepsPerTask: 6, concurrency: 40, seed: 5 }).messages));
    const single = parseTrace(
      toLines(synthStream({ tasks: 200, stepsPerTask: 6, concurrency: 40, seed: 5, packedFutures: false }).messages),
    );
    const a = packed.model.snapshot();
    const b = single.model.snapshot();
    assert.deepEqual(a.tasks, b.tasks);
    assert.deepEqual(a.futures, b.futures);
    assert.deepEqual(a.counts.futures, b.counts.futures);
    assert.equal(a.counts.events, b.counts.events);
  });

  test("a partial last line (killed while writing) is dropped and reported", () => {
    const full = smallTrace();
    const cut = full.slice(0, full.length - 12); // inside program/exit, no newline after it
    const r = parseTrace(cut);
    assert.equal(r.truncated, true);
    assert.equal(r.messages, 4);
    assert.equal(r.model.task(1)!.state, "done");
    assert.equal(r.model.getMeta().exit, null);
  });

  test("blank lines and CRLF line ends are accepted", () => {
    const text = smallTrace().replace(/\n/g, "\r\n").replace(/\r\n/, "\r\n\r\n   \r\n");
    const r = parseTrace(text);
    assert.equal(r.messages, 5);
    assert.equal(r.truncated, false);
  });

  test("garbage in the middle names its line", () => {
    const lines = smallTrace().split("\n");
    lines.splice(2, 0, "this is not json");
    throwsAt(() => parseTrace(lines.join("\n")), 3, /not JSON.*"this is not json"/);
  });

  test("a broken line that is complete (newline after it) is garbage, not truncation", () => {
    const text = smallTrace() + '{"kind":"events/batch","seq":9\n';
    throwsAt(() => parseTrace(text), 6, /not JSON/);
  });

  test("JSON that is not a valid message names its line and field", () => {
    const text = smallTrace().replace('"seq":2', '"seq":"two"');
    throwsAt(() => parseTrace(text), 3, /seq: expected int, got str/);
    const bad = smallTrace().replace('"kind":"task/done"', '"kind":"task/vanished"');
    throwsAt(() => parseTrace(bad), 4, /unknown event kind "task\/vanished"/);
    throwsAt(() => parseTrace(smallTrace() + "[1,2,3]\n"), 6, /must be an object/);
  });

  test("a trace must start with session/hello of this major version", () => {
    const noHello = smallTrace().split("\n").slice(1).join("\n");
    throwsAt(() => parseTrace(noHello), 1, /starts with session\/hello, not "events\/batch"/);
    const v2 = smallTrace().replace(/"protocol":"[^"]*"/, '"protocol":"2.0"');
    assert.notEqual(v2, smallTrace());
    throwsAt(() => parseTrace(v2), 1, /protocol mismatch.*2\.0/);
    throwsAt(() => parseTrace(""), 1, /empty trace/);
    throwsAt(() => parseTrace("\n\n"), 2, /empty trace/);
  });

  test("validation can be turned off for trusted input; non-objects are still refused", () => {
    const r = parseTrace(smallTrace(), { validate: false });
    assert.equal(r.messages, 5);
    throwsAt(() => parseTrace(smallTrace() + "42\n", { validate: false }), 6, /not a message object/);
  });

  test("model configuration passes through", () => {
    const r = parseTrace(smallTrace(), { config: { finishedTaskRetention: 0 } });
    assert.equal(r.model.task(1), null);
    assert.equal(r.model.getCounts().tasksEvicted.done, 1);
  });

  test("a real recording: gather of two tasks, each sleeping", () => {
    // State after the third message: main awaits the gather, both children sleep.
    const mid = parseTrace(GATHER_TWO_TASKS.slice(0, 3).join("\n") + "\n").model;
    assert.equal(mid.getMeta().session.python, "3.11.7");
    assert.equal(mid.task(2)!.awaitingKind, "gather");
    assert.deepEqual(mid.future(7)!.children, [4, 6]);
    assert.equal(mid.task(4)!.awaitingKind, "sleep");
    assert.equal(mid.task(6)!.awaitingKind, "sleep");
    const g = mid.awaitGraph({ createdBy: false });
    assert.deepEqual(g.edges.map((e) => `${e.from}-${e.type}->${e.to}`).sort(), [
      "2-awaits->7",
      "4-awaits->9",
      "6-awaits->11",
      "7-gather-child->4",
      "7-gather-child->6",
    ]);
    assert.deepEqual(
      g.nodes.filter((n) => n.type === "timer").map((n) => n.id),
      [9, 11],
    );
    const end = parseTrace(GATHER_TWO_TASKS.join("\n") + "\n");
    const c = end.model.getCounts();
    assert.deepEqual(c.tasks, { pending: 0, running: 0, done: 5, cancelled: 0, failed: 0 });
    assert.deepEqual(c.anomalies, { ...NO_ANOMALIES });
    assert.equal(end.model.task(4)!.result, "'Task 1 done'");
    assert.equal(end.model.getMeta().exit?.code, 0);
  });

  test("a real recording: a task cancelled by asyncio.run's cleanup, attributed to the module-level site", () => {
    const { model } = parseTrace(FOO_TASK_NOT_AWAITED.join("\n") + "\n");
    const t = model.task(4)!;
    assert.equal(t.coro, "foo");
    assert.equal(t.state, "cancelled");
    assert.deepEqual(t.cancelRequest, { ts: 2618043, byTask: null, bySite: 3, message: null });
    assert.equal(model.siteOf(t.cancelRequest!.bySite)!.func, "<module>");
    assert.equal(model.future(7)!.type, "sleep");
    assert.equal(model.future(7)!.state, "cancelled");
    assert.equal(t.awaitingId, null);
    assert.deepEqual(model.getCounts().tasks, { pending: 0, running: 0, done: 3, cancelled: 1, failed: 0 });
    assert.equal(model.loop(1)!.state, "closed");
  });
});
