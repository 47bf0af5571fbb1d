// Packed ints as base64 text (protocol 1.2): the decoder, and validation
// decoding them in place, against what runtime/loopscope/packed.py writes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { validateMessage } from "../../protocol/index";
import { decodePackedInts } from "../../protocol/packedBase64";
import { parseTrace } from "../../model/trace";

/** What Python's struct.pack('<Nq') + base64 gives, for the same values. */
const viaBuffer = (values: number[]): string => {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return b.toString("base64");
};

describe("decodePackedInts", () => {
  test("texts written by loopscope.packed.pack", () => {
    // PYTHONPATH=runtime python3 -c "from loopscope.packed import pack; print(pack([1,2,3,4]).text)"
    assert.deepEqual([...decodePackedInts("AQAAAAAAAAACAAAAAAAAAAMAAAAAAAAABAAAAAAAAAA=")!], [1, 2, 3, 4]);
    assert.deepEqual(
      [...decodePackedInts("//////////////////8fAAEAAAAAAOD/AAAAAAAAAADLBPtxHwEAAA==")!],
      [-1, 2 ** 53 - 1, -(2 ** 53 - 1), 0, 1234567890123],
    );
    assert.equal(decodePackedInts("")!.length, 0);
  });

  test("agrees with Node's own base64 and int64 reading", () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let n = 0; n < 40; n++) {
      const values = Array.from({ length: n }, () => (rand() % 2 ? -1 : 1) * rand() * (rand() % 4194304));
      assert.deepEqual([...decodePackedInts(viaBuffer(values))!], values);
    }
  });

  test("refuses what is not whole int64s in canonical base64", () => {
    for (const bad of ["AQAAAAAAAAA", "AQAAAA==", "AQAAAAAAAA*=", "A=AAAAAAAAA=", "AQAA=AAAAAAA", "AQAAAAAAAAAB"]) {
      assert.equal(decodePackedInts(bad), null, bad);
    }
  });
});

describe("validation of packed fields", () => {
  test("base64 data is decoded in place; a list of ints still passes", () => {
    const batch = {
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [
        { kind: "task/steps", loop: 1, data: viaBuffer([3, 100, 250, 0]) },
        { kind: "future/done-batch", data: [9, 300, 1] },
      ],
    };
    const r = validateMessage(batch);
    assert.ok(r.ok, r.ok ? "" : r.error);
    const data = (batch.events[0] as { data: unknown }).data;
    assert.ok(data instanceof Float64Array);
    assert.deepEqual([...data], [3, 100, 250, 0]);
    assert.deepEqual(batch.events[1]!.data, [9, 300, 1]);
  });

  test("bad packed text is an error naming the field", () => {
    const r = validateMessage({
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [{ kind: "task/steps", loop: 1, data: "nope" }],
    });
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.error, /task\/steps\.data: packed ints/);
    const r2 = validateMessage({
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [{ kind: "task/steps", loop: 1, data: 5 }],
    });
    assert.match(r2.ok ? "" : r2.error, /expected packed ints/);
  });

  test("a trace with packed base64 data folds into the model, validated or not", () => {
    const hello = {
      kind: "session/hello",
      protocol: "1.2",
      role: "runtime",
      token: "t",
      python: "3.11.7",
      pid: 1,
      origin_ns: 0,
    };
    const batch = {
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [
        { kind: "loop/created", loop: 1, ts: 1, thread: "MainThread", cls: "_UnixSelectorEventLoop" },
        { kind: "task/created-batch", loop: 1, names: ["Task-3"], coros: ["main"], data: viaBuffer([3, 10, 0, 0, 0]) },
        { kind: "task/steps", loop: 1, data: viaBuffer([3, 20, 30, 0, 3, 40, 55, 0]) },
      ],
    };
    const text = `${JSON.stringify(hello)}\n${JSON.stringify(batch)}\n`;
    for (const validate of [true, false]) {
      const task = parseTrace(text, { validate }).model.task(3);
      assert.ok(task, `validate: ${validate}`);
      assert.equal(task.name, "Task-3");
      assert.equal(task.steps, 2);
    }
  });
});
