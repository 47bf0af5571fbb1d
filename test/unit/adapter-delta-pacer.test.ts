// DeltaPacer: at most 30 deltas a second; costly deltas space themselves out
// (a quarter of the time at most), never further apart than 100 ms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DELTA_RATE, DeltaPacer } from "../../extension/src/adapter/deltaPacer";

const GAP = Math.ceil(1000 / DELTA_RATE);

test("the gap after a delta: 1/30 s, four times its cost, at most 100 ms", () => {
  let now = 1000;
  const p = new DeltaPacer(() => now);
  assert.equal(p.wait(), 0, "the first delta goes at once");
  const take = (costMs: number): void =>
    p.send(() => {
      now += costMs;
    });
  take(1);
  assert.equal(p.wait(), GAP - 1, "a cheap delta: the 30-a-second gap");
  now += 40;
  assert.equal(p.wait(), 0);
  take(20);
  assert.equal(p.wait(), 80 - 20, "20 ms of work: 80 ms apart");
  now += 100;
  take(60);
  assert.equal(p.wait(), 100 - 60, "never more than 100 ms apart");
  assert.equal(
    p.send(() => "delta"),
    "delta",
  );
});
