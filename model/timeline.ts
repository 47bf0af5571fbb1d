// Run slices per task with bounded memory, shared by the model and its mirror.
//
// Every task keeps a ring of its newest `perTask` slices; over all tasks at
// most `total` slices are kept, the oldest going first. The global order is a
// FIFO of (task, gseq) entries, one per append; an entry whose slice is
// already gone (ring overflow, task dropped) is skipped when it reaches the
// front. gseq is the op sequence number at which the slice was appended, so
// it is unique for ever and a dropped-then-recreated task cannot be confused.
//
// The timeline is a deterministic function of its op sequence (append/drop),
// which is what the delta carries: a mirror applying the same ops reaches the
// same state.

import type { TimelineSnapshot } from "./types";

/**
 * A task's slices: [start, end, gseq] triples in a plain array (cheaper than
 * a typed array for the many tasks with few steps) that grows up to the
 * per-task cap, then wraps around.
 */
export class Ring {
  buf: number[] = [];
  /** Index (in slices) of the oldest. */
  head = 0;
  len = 0;
  get cap(): number {
    return this.buf.length / 3;
  }
}

export class Timeline {
  readonly perTask: number;
  readonly total: number;
  private readonly rings = new Map<number, Ring>();
  private readonly fifoTask: Float64Array;
  private readonly fifoSeq: Float64Array;
  private fifoHead = 0;
  private fifoLen = 0;
  private liveSlices = 0;
  /** Ops applied so far (appends and drops). */
  opSeq = 0;
  /** When not null, every op is also pushed here as a triple (the model's change log). */
  log: number[] | null = null;

  constructor(perTask: number, total: number) {
    if (!(perTask >= 1) || !(total >= 1)) throw new RangeError("timeline caps must be ≥ 1");
    this.perTask = Math.floor(perTask);
    this.total = Math.floor(total);
    this.fifoTask = new Float64Array(this.total);
    this.fifoSeq = new Float64Array(this.total);
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
    if (this.log !== null) this.log.push(task, start, end);
    const cap = r.cap;
    if (r.len === cap && cap < this.perTask) {
      // Room to grow: append at the end (in order first if it has wrapped).
      if (r.head !== 0) linearize(r);
      r.buf.push(start, end, gseq);
    } else {
      if (r.len === cap) {
        // Ring full: the task's oldest slice goes (its FIFO entry turns stale).
        r.head = (r.head + 1) % cap;
        r.len--;
        this.liveSlices--;
      }
      const at = ((r.head + r.len) % cap) * 3;
      r.buf[at] = start;
      r.buf[at + 1] = end;
      r.buf[at + 2] = gseq;
    }
    r.len++;
    this.liveSlices++;
    if (this.fifoLen === this.total) this.popFifo();
    const tail = (this.fifoHead + this.fifoLen) % this.total;
    this.fifoTask[tail] = task;
    this.fifoSeq[tail] = gseq;
    this.fifoLen++;
  }

  /** Forgets every slice of a task (it was evicted). */
  drop(task: number): void {
    this.opSeq++;
    if (this.log !== null) this.log.push(task, -1, -1);
    const r = this.rings.get(task);
    if (r === undefined) return;
    this.liveSlices -= r.len;
    this.rings.delete(task);
  }

  private popFifo(): void {
    const task = this.fifoTask[this.fifoHead]!;
    const gseq = this.fifoSeq[this.fifoHead]!;
    this.fifoHead = (this.fifoHead + 1) % this.total;
    this.fifoLen--;
    const r = this.rings.get(task);
    if (r === undefined || r.len === 0) return;
    if (r.buf[r.head * 3 + 2] === gseq) {
      r.head = (r.head + 1) % r.cap;
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
    const cap = r.cap;
    for (let k = 0; k < r.len; k++) {
      const at = ((r.head + k) % cap) * 3;
      const s = r.buf[at]!;
      const e = r.buf[at + 1]!;
      if (e >= fromNs && s <= toNs) fn(s, e);
    }
  }

  /** Tasks that have slices kept. */
  tasks(): number[] {
    return [...this.rings.keys()].filter((k) => this.rings.get(k)!.len > 0);
  }

  snapshot(): TimelineSnapshot {
    // Empty rings (all their slices aged out) are kept until drop() but not listed.
    const ids = [...this.rings.keys()].filter((k) => this.rings.get(k)!.len > 0).sort((a, b) => a - b);
    const tasks = ids.map((task) => {
      const r = this.rings.get(task)!;
      const slices: number[] = [];
      for (let k = 0; k < r.len; k++) {
        const at = ((r.head + k) % r.cap) * 3;
        slices.push(r.buf[at]!, r.buf[at + 1]!, r.buf[at + 2]!);
      }
      return { task, slices };
    });
    const fifo: number[] = [];
    for (let k = 0; k < this.fifoLen; k++) {
      const at = (this.fifoHead + k) % this.total;
      fifo.push(this.fifoTask[at]!, this.fifoSeq[at]!);
    }
    return { perTask: this.perTask, total: this.total, opSeq: this.opSeq, tasks, fifo };
  }

  static fromSnapshot(s: TimelineSnapshot): Timeline {
    const t = new Timeline(s.perTask, s.total);
    t.opSeq = s.opSeq;
    for (const { task, slices } of s.tasks) {
      const n = slices.length / 3;
      if (n === 0) continue;
      if (n > t.perTask || !Number.isInteger(n)) {
        throw new RangeError(`timeline snapshot: task ${task} has a bad slice list for the per-task cap`);
      }
      const r = new Ring();
      r.buf = slices.slice();
      r.len = n;
      t.rings.set(task, r);
      t.liveSlices += n;
    }
    if (s.fifo.length / 2 > t.total) throw new RangeError("timeline snapshot: eviction queue exceeds the total cap");
    for (let i = 0; i < s.fifo.length; i += 2) {
      t.fifoTask[t.fifoLen] = s.fifo[i]!;
      t.fifoSeq[t.fifoLen] = s.fifo[i + 1]!;
      t.fifoLen++;
    }
    return t;
  }
}

function linearize(r: Ring): void {
  const cap = r.cap;
  const out: number[] = [];
  for (let k = 0; k < r.len; k++) {
    const from = ((r.head + k) % cap) * 3;
    out.push(r.buf[from]!, r.buf[from + 1]!, r.buf[from + 2]!);
  }
  r.buf = out;
  r.head = 0;
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
