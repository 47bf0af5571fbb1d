// The timeline's slot FIFO against a plain reference: the same slices kept,
// the same snapshot, and the ops takeOps() rebuilds equal to a log of every op.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Timeline } from "../../model/index";
import { rng } from "../../model/synth";

/** The timeline's semantics written the obvious way (arrays per task, a FIFO of [task, gseq]). */
class Reference {
  opSeq = 0;
  readonly log: number[] = [];
  private readonly rings = new Map<number, [number, number, number][]>();
  private readonly fifo: [number, number][] = [];
  constructor(
    private readonly perTask: number,
    private readonly total: number,
  ) {}
  append(task: number, start: number, end: number): void {
    const gseq = this.opSeq++;
    this.log.push(task, start, end);
    let r = this.rings.get(task);
    if (r === undefined) this.rings.set(task, (r = []));
    if (r.length === this.perTask) r.shift();
    if (this.fifo.length === this.total) {
      const [t, g] = this.fifo.shift()!;
      const rr = this.rings.get(t);
      if (rr !== undefined && rr.length > 0 && rr[0]![2] === g) rr.shift();
    }
    r.push([start, end, gseq]);
    this.fifo.push([task, gseq]);
  }
  drop(task: number): void {
    this.opSeq++;
    this.log.push(task, -1, -1);
    this.rings.delete(task);
  }
  slices(task: number): number[] {
    return (this.rings.get(task) ?? []).flatMap(([s, e]) => [s, e]);
  }
  get size(): number {
    let n = 0;
    for (const r of this.rings.values()) n += r.length;
    return n;
  }
}

describe("timeline slots", () => {
  test("random appends and drops: same slices, snapshots and rebuilt ops as the reference", () => {
    const r = rng(11);
    let rebuilt = 0;
    let lost = 0;
    for (let trial = 0; trial < 200; trial++) {
      const perTask = 1 + Math.floor(r() * 6);
      const total = 1 + Math.floor(r() * 40);
      const tasks = 1 + Math.floor(r() * 8);
      const t = new Timeline(perTask, total);
      const ref = new Reference(perTask, total);
      t.keepOps();
      let logFrom = 0;
      let ts = 0;
      for (let op = 0; op < 300; op++) {
        const task = Math.floor(r() * tasks);
        if (r() < 0.1) {
          t.drop(task);
          ref.drop(task);
        } else {
          t.append(task, ts, ts + 1);
          ref.append(task, ts, ts + 1);
          ts += 2;
        }
        assert.equal(t.size, ref.size);
        assert.equal(t.pendingOps, ref.opSeq - logFrom);
        if (r() < 0.1) {
          if (t.opsLost) {
            lost++;
            t.keepOps();
          } else {
            assert.deepEqual(t.takeOps(), ref.log.slice(logFrom * 3));
            rebuilt++;
          }
          logFrom = ref.opSeq;
        }
        if (op % 50 === 0) {
          const copy = Timeline.fromSnapshot(t.snapshot());
          assert.deepEqual(copy.snapshot(), t.snapshot());
          for (let k = 0; k < tasks; k++) assert.deepEqual(copy.slices(k), ref.slices(k));
        }
      }
      for (let k = 0; k < tasks; k++) {
        assert.deepEqual(t.slices(k), ref.slices(k));
        assert.equal(t.count(k), ref.slices(k).length / 2);
      }
    }
    assert.ok(rebuilt > 1000 && lost > 100, `both cases exercised (${rebuilt} rebuilt, ${lost} lost)`);
  });

  test("ops are lost only past what the FIFO holds", () => {
    const t = new Timeline(2, 4);
    t.keepOps();
    for (let i = 0; i < 4; i++) t.append(i, i, i + 1);
    t.drop(0);
    assert.equal(t.opsLost, false);
    assert.deepEqual(t.takeOps(), [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 0, -1, -1]);
    for (let i = 0; i < 5; i++) t.append(9, 10 + i, 11 + i);
    assert.equal(t.opsLost, true);
    t.dropOps();
    assert.equal(t.pendingOps, 0);
    assert.equal(t.opsLost, false);
  });

  test("a snapshot whose FIFO lacks a kept slice is refused", () => {
    const t = new Timeline(4, 8);
    t.append(1, 0, 1);
    const s = t.snapshot();
    assert.throws(() => Timeline.fromSnapshot({ ...s, fifo: [] }), /eviction queue does not hold/);
  });
});
