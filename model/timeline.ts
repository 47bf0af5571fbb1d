// Run slices per task with bounded memory, shared by the model and its mirror.
//
// Every task keeps its newest `perTask` slices; over all tasks at most `total`
// slices are kept, the oldest going first. All slices live in one FIFO of
// `total` slots (typed arrays: no object or array per slice or per task), one
// slot per append, in append order; a task's kept slices are a chain through
// its slots, oldest to newest. A slot whose slice is already gone (the task's
// per-task cap pushed it out, or the task was dropped) stays in the FIFO,
// stale, until it reaches the front. gseq, the op sequence number at which a
// slice was appended, is unique for ever (it is what snapshots identify
// slices by).
//
// The timeline is a deterministic function of its op sequence (append/drop),
// which is what the delta carries: a mirror applying the same ops reaches the
// same state. The ops since the last delta are not logged one by one: the
// appends are still in the FIFO's newest slots, and only drops are noted, so
// takeOps() rebuilds them (while no more appends happened than the FIFO holds).

import type { TimelineSnapshot } from "./types";

/** A task's kept slices: a chain of FIFO slots from `head` (oldest) to `tail` (newest). */
export class Ring {
  head = -1;
  tail = -1;
  len = 0;
}

export class Timeline {
  readonly perTask: number;
  readonly total: number;
  private readonly rings = new Map<number, Ring>();
  // Per slot: the task, the slice, its gseq, and the task's next slot. Allocated
  // at full size (zeroed pages cost nothing until they are written).
  private readonly sTask: Float64Array;
  private readonly sStart: Float64Array;
  private readonly sEnd: Float64Array;
  private readonly sSeq: Float64Array;
  private readonly sNext: Int32Array;
  private fifoHead = 0;
  private fifoLen = 0;
  private liveSlices = 0;
  /** Ops applied so far (appends and drops). */
  opSeq = 0;
  /** Op number from which takeOps() rebuilds the ops; null while ops are not kept. */
  private opsFrom: number | null = null;
  /** Drops since opsFrom: [op number, task] pairs. */
  private drops: number[] = [];

  constructor(perTask: number, total: number) {
    if (!(perTask >= 1) || !(total >= 1)) throw new RangeError("timeline caps must be ≥ 1");
    this.perTask = Math.floor(perTask);
    this.total = Math.floor(total);
    this.sTask = new Float64Array(this.total);
    this.sStart = new Float64Array(this.total);
    this.sEnd = new Float64Array(this.total);
    this.sSeq = new Float64Array(this.total);
    this.sNext = new Int32Array(this.total);
  }

  /** Slices currently kept over all tasks. */
  get size(): number {
    return this.liveSlices;
  }

  /** Appends a run slice [start, end] for a task. */
  append(task: number, start: number, end: number): void {
    this.appendTo(this.ringFor(task), task, start, end);
  }

  /**
   * The task's ring, made if needed. A caller may keep it and use appendTo
   * (one Map lookup less per slice) until it calls drop(task).
   */
  ringFor(task: number): Ring {
    let r = this.rings.get(task);
    if (r === undefined) {
      r = new Ring();
      this.rings.set(task, r);
    }
    return r;
  }

  /** append() with the task's ring already at hand (from ringFor(task)). */
  appendTo(r: Ring, task: number, start: number, end: number): void {
    const gseq = this.opSeq++;
    if (r.len === this.perTask) {
      // The task's oldest slice goes (its slot turns stale).
      r.head = this.sNext[r.head]!;
      r.len--;
      this.liveSlices--;
    }
    if (this.fifoLen === this.total) this.popFifo();
    let slot = this.fifoHead + this.fifoLen;
    if (slot >= this.total) slot -= this.total;
    this.fifoLen++;
    this.sTask[slot] = task;
    this.sStart[slot] = start;
    this.sEnd[slot] = end;
    this.sSeq[slot] = gseq;
    if (r.len === 0) r.head = slot;
    else this.sNext[r.tail] = slot;
    r.tail = slot;
    r.len++;
    this.liveSlices++;
  }

  /** Forgets every slice of a task (it was evicted). */
  drop(task: number): void {
    if (this.opsFrom !== null) this.drops.push(this.opSeq, task);
    this.opSeq++;
    const r = this.rings.get(task);
    if (r === undefined) return;
    this.liveSlices -= r.len;
    r.len = 0;
    this.rings.delete(task);
  }

  /** Keeps the ops from now on, for takeOps(). */
  keepOps(): void {
    this.opsFrom = this.opSeq;
    this.drops = [];
  }

  /** Stops keeping ops (the model sends a full snapshot next). */
  dropOps(): void {
    this.opsFrom = null;
    this.drops = [];
  }

  /** Ops kept since keepOps() or the last takeOps(). */
  get pendingOps(): number {
    return this.opsFrom === null ? 0 : this.opSeq - this.opsFrom;
  }

  /** True when more appends happened since then than the FIFO holds: takeOps() cannot rebuild them. */
  get opsLost(): boolean {
    return this.opsFrom !== null && this.pendingOps - this.drops.length / 2 > this.fifoLen;
  }

  /**
   * The ops since keepOps() or the previous takeOps(), as flat triples (an
   * append: task, start, end; a drop: task, -1, -1), and keeps the ops from
   * now on. Not to be called when opsLost.
   */
  takeOps(): number[] {
    const from = this.opsFrom ?? this.opSeq;
    const n = this.opSeq - from;
    const drops = this.drops;
    const out: number[] = n === 0 ? [] : new Array<number>(n * 3);
    let slot = this.fifoHead + this.fifoLen - (n - drops.length / 2);
    if (slot < 0 || n - drops.length / 2 > this.fifoLen) throw new Error("Timeline.takeOps: the ops are lost");
    if (slot >= this.total) slot -= this.total;
    let d = 0;
    for (let op = from, k = 0; op < this.opSeq; op++, k += 3) {
      if (d < drops.length && drops[d] === op) {
        out[k] = drops[d + 1]!;
        out[k + 1] = -1;
        out[k + 2] = -1;
        d += 2;
      } else {
        out[k] = this.sTask[slot]!;
        out[k + 1] = this.sStart[slot]!;
        out[k + 2] = this.sEnd[slot]!;
        if (++slot === this.total) slot = 0;
      }
    }
    this.keepOps();
    return out;
  }

  private popFifo(): void {
    const slot = this.fifoHead;
    this.fifoHead = slot + 1 === this.total ? 0 : slot + 1;
    this.fifoLen--;
    const r = this.rings.get(this.sTask[slot]!);
    if (r !== undefined && r.len > 0 && r.head === slot) {
      r.head = this.sNext[slot]!;
      r.len--;
      this.liveSlices--;
    }
  }

  /**
   * Applies ops from a delta: flat triples, the first being op number `from`.
   * Ops already applied (from < opSeq) are skipped; returns false when ops
   * are missing (from > opSeq) and nothing was applied.
   */
  applyOps(from: number, ops: readonly number[]): boolean {
    if (ops.length % 3 !== 0) throw new RangeError("timeline ops must be triples");
    if (from > this.opSeq) return false;
    for (let i = (this.opSeq - from) * 3; i < ops.length; i += 3) {
      const task = ops[i]!;
      const start = ops[i + 1]!;
      if (start === -1 && ops[i + 2] === -1) this.drop(task);
      else this.append(task, start, ops[i + 2]!);
    }
    return true;
  }

  /** Number of slices kept for a task. */
  count(task: number): number {
    return this.rings.get(task)?.len ?? 0;
  }

  /** The task's kept slices, oldest first, as flat [start, end] pairs. */
  slices(task: number): number[] {
    const out: number[] = [];
    this.forEachSlice(task, -Infinity, Infinity, (s, e) => {
      out.push(s, e);
    });
    return out;
  }

  /** Calls fn for each kept slice of the task that overlaps [fromNs, toNs], oldest first. */
  forEachSlice(task: number, fromNs: number, toNs: number, fn: (start: number, end: number) => void): void {
    const r = this.rings.get(task);
    if (r === undefined) return;
    let slot = r.head;
    for (let k = 0; k < r.len; k++) {
      const s = this.sStart[slot]!;
      const e = this.sEnd[slot]!;
      if (e >= fromNs && s <= toNs) fn(s, e);
      slot = this.sNext[slot]!;
    }
  }

  /** Tasks that have slices kept. */
  tasks(): number[] {
    return [...this.rings.keys()].filter((k) => this.rings.get(k)!.len > 0);
  }

  snapshot(): TimelineSnapshot {
    // Empty rings (all their slices aged out) are kept until drop() but not listed.
    const ids = this.tasks().sort((a, b) => a - b);
    const tasks = ids.map((task) => {
      const r = this.rings.get(task)!;
      const slices: number[] = [];
      let slot = r.head;
      for (let k = 0; k < r.len; k++) {
        slices.push(this.sStart[slot]!, this.sEnd[slot]!, this.sSeq[slot]!);
        slot = this.sNext[slot]!;
      }
      return { task, slices };
    });
    const fifo: number[] = [];
    for (let k = 0; k < this.fifoLen; k++) {
      const at = (this.fifoHead + k) % this.total;
      fifo.push(this.sTask[at]!, this.sSeq[at]!);
    }
    return { perTask: this.perTask, total: this.total, opSeq: this.opSeq, tasks, fifo };
  }

  static fromSnapshot(s: TimelineSnapshot): Timeline {
    const t = new Timeline(s.perTask, s.total);
    t.opSeq = s.opSeq;
    if (s.fifo.length / 2 > t.total) throw new RangeError("timeline snapshot: eviction queue exceeds the total cap");
    // Each task's kept slices, oldest first; each sits in the FIFO slot of the same gseq.
    const pending = new Map<number, { slices: number[]; next: number; ring: Ring }>();
    for (const { task, slices } of s.tasks) {
      const n = slices.length / 3;
      if (n === 0) continue;
      if (n > t.perTask || !Number.isInteger(n)) {
        throw new RangeError(`timeline snapshot: task ${task} has a bad slice list for the per-task cap`);
      }
      const ring = new Ring();
      t.rings.set(task, ring);
      pending.set(task, { slices, next: 0, ring });
    }
    for (let i = 0; i < s.fifo.length; i += 2) {
      const slot = t.fifoLen++;
      const task = s.fifo[i]!;
      const gseq = s.fifo[i + 1]!;
      t.sTask[slot] = task;
      t.sSeq[slot] = gseq;
      const p = pending.get(task);
      if (p === undefined || p.next >= p.slices.length || p.slices[p.next + 2] !== gseq) continue; // a stale slot
      t.sStart[slot] = p.slices[p.next]!;
      t.sEnd[slot] = p.slices[p.next + 1]!;
      p.next += 3;
      const r = p.ring;
      if (r.len === 0) r.head = slot;
      else t.sNext[r.tail] = slot;
      r.tail = slot;
      r.len++;
      t.liveSlices++;
    }
    for (const [task, p] of pending) {
      if (p.next !== p.slices.length) {
        throw new RangeError(`timeline snapshot: task ${task} has slices its eviction queue does not hold`);
      }
    }
    return t;
  }
}

export type MarkerType = "created" | "cancel-requested" | "done" | "cancelled" | "failed";

export interface TimelineMarker {
  readonly type: MarkerType;
  readonly ts: number;
}

/** The fields of a task (record or view) its markers are read from. */
export interface MarkedTask {
  readonly state: string;
  readonly createdNs: number | null;
  readonly cancelRequest: { readonly ts: number } | null;
  readonly doneNs: number | null;
}

/** A task's timeline markers in time order: created, first cancel request, and how it finished. */
export function taskMarkers(t: MarkedTask): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  if (t.createdNs !== null) out.push({ type: "created", ts: t.createdNs });
  if (t.cancelRequest !== null) out.push({ type: "cancel-requested", ts: t.cancelRequest.ts });
  if (t.doneNs !== null && (t.state === "done" || t.state === "cancelled" || t.state === "failed")) {
    out.push({ type: t.state, ts: t.doneNs });
  }
  return out.sort((a, b) => a.ts - b.ts);
}
