// Recorded traces: JSON lines parsed into a model; truncated tails tolerated, garbage refused by line.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoopModel, parseTrace, TraceError } from "../../model/index";
import { Batcher, hello, loopCreated, steps, synthStream, taskCreated, taskDone } from "../../model/synth";

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
    const v2 = smallTrace().replace('"protocol":"1.0"', '"protocol":"2.0"');
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
});
