// ModelMirror: the view-side copy of a LoopModel, rebuilt from a snapshot and
// kept current with deltas (the extension ⇄ webview payload). It answers the
// same read queries as the model (views by id, the await graph, cycles,
// timeline slices and markers), so the webview never interprets raw events.

import {
  awaitGraph,
  deadlockCycles,
  type AwaitGraph,
  type AwaitGraphOptions,
  type DeadlockCycle,
  type ModelReader,
} from "./graph";
import { Timeline, taskMarkers, type TimelineMarker } from "./timeline";
import {
  MODEL_VERSION,
  type FutureView,
  type LoopView,
  type ModelConfig,
  type ModelCounts,
  type ModelDelta,
  type ModelMeta,
  type ModelSnapshot,
  type QueueView,
  type SiteView,
  type SyncView,
  type TaskView,
} from "./types";

export class ModelVersionError extends Error {
  constructor(got: unknown) {
    super(
      `loop model payload version ${JSON.stringify(got)} is not ${MODEL_VERSION}: extension and webview are out of step`,
    );
    this.name = "ModelVersionError";
  }
}

function checkVersion(v: unknown): void {
  if (v !== MODEL_VERSION) throw new ModelVersionError(v);
}

const byId = <V extends { readonly id: number }>(list: readonly V[]): Map<number, V> => {
  const m = new Map<number, V>();
  for (const v of list) m.set(v.id, v);
  return m;
};
const sortedValues = <V>(m: ReadonlyMap<number, V>): V[] =>
  [...m.keys()].sort((a, b) => a - b).map((k) => m.get(k) as V);

const minusOneToNull = (x: number): number | null => (x === -1 ? null : x);

export class ModelMirror implements ModelReader {
  private _tasks: Map<number, TaskView>;
  private _futures: Map<number, FutureView>;
  private _queues: Map<number, QueueView>;
  private _syncs: Map<number, SyncView>;
  private _loops: Map<number, LoopView>;
  private _sites: Map<number, SiteView>;
  private _timeline: Timeline;
  private _config: ModelConfig;
  private _meta: ModelMeta;
  private _counts: ModelCounts;
  private _deltaSeq: number;

  private constructor(s: ModelSnapshot) {
    checkVersion(s.v);
    this._tasks = byId(s.tasks);
    this._futures = byId(s.futures);
    this._queues = byId(s.queues);
    this._syncs = byId(s.syncs);
    this._loops = byId(s.loops);
    this._sites = byId(s.sites);
    this._timeline = Timeline.fromSnapshot(s.timeline);
    this._config = { ...s.config };
    this._meta = s.meta;
    this._counts = s.counts;
    this._deltaSeq = s.deltaSeq;
  }

  /** A mirror holding the snapshot's state. Throws ModelVersionError for another MODEL_VERSION. */
  static fromSnapshot(s: ModelSnapshot): ModelMirror {
    return new ModelMirror(s);
  }

  /** Replaces the whole state with a snapshot's. */
  reset(s: ModelSnapshot): void {
    const m = new ModelMirror(s);
    this._tasks = m._tasks;
    this._futures = m._futures;
    this._queues = m._queues;
    this._syncs = m._syncs;
    this._loops = m._loops;
    this._sites = m._sites;
    this._timeline = m._timeline;
    this._config = m._config;
    this._meta = m._meta;
    this._counts = m._counts;
    this._deltaSeq = m._deltaSeq;
  }

  /**
   * Applies a delta. Returns true when applied (or already contained), false
   * when one or more deltas before it are missing: the mirror is unchanged
   * and the caller should ask for a fresh snapshot. Throws ModelVersionError
   * for another MODEL_VERSION.
   */
  applyDelta(d: ModelDelta): boolean {
    checkVersion(d.v);
    if (d.full !== null) {
      this.reset(d.full);
      return true;
    }
    if (d.seq <= this._deltaSeq) return true;
    if (d.seq !== this._deltaSeq + 1) return false;
    if (d.timelineFrom > this._timeline.opSeq) return false;
    for (const id of d.removed.tasks) this._tasks.delete(id);
    for (const id of d.removed.futures) this._futures.delete(id);
    for (const id of d.removed.queues) this._queues.delete(id);
    for (const id of d.removed.syncs) this._syncs.delete(id);
    for (const s of d.sites) this._sites.set(s.id, s);
    for (const l of d.loops) this._loops.set(l.id, l);
    for (const t of d.tasks) this._tasks.set(t.id, t);
    const st = d.taskStats;
    if (st.length !== d.taskStatKinds.length * 7) throw new RangeError("delta taskStats: not 7 numbers per kind");
    for (let i = 0, k = 0; i < st.length; i += 7, k++) {
      const prev = this._tasks.get(st[i]!);
      if (prev === undefined) continue; // the model sends figures only for tasks a view was given
      this._tasks.set(prev.id, {
        ...prev,
        steps: st[i + 1]!,
        busyNs: st[i + 2]!,
        firstStepNs: minusOneToNull(st[i + 3]!),
        lastStepStartNs: minusOneToNull(st[i + 4]!),
        lastStepEndNs: minusOneToNull(st[i + 5]!),
        awaitingId: st[i + 6] === 0 ? null : st[i + 6]!,
        awaitingKind: d.taskStatKinds[k] ?? null,
      });
    }
    for (const f of d.futures) this._futures.set(f.id, f);
    for (const q of d.queues) this._queues.set(q.id, q);
    for (const s of d.syncs) this._syncs.set(s.id, s);
    this._timeline.applyOps(d.timelineFrom, d.timeline);
    this._meta = d.meta;
    this._counts = d.counts;
    this._deltaSeq = d.seq;
    return true;
  }

  get tasks(): ReadonlyMap<number, TaskView> {
    return this._tasks;
  }
  get futures(): ReadonlyMap<number, FutureView> {
    return this._futures;
  }
  get queues(): ReadonlyMap<number, QueueView> {
    return this._queues;
  }
  get syncs(): ReadonlyMap<number, SyncView> {
    return this._syncs;
  }
  get loops(): ReadonlyMap<number, LoopView> {
    return this._loops;
  }
  get sites(): ReadonlyMap<number, SiteView> {
    return this._sites;
  }
  get timeline(): Timeline {
    return this._timeline;
  }
  get config(): Readonly<ModelConfig> {
    return this._config;
  }
  get meta(): ModelMeta {
    return this._meta;
  }
  get counts(): ModelCounts {
    return this._counts;
  }
  /** Number of the last delta applied. */
  get deltaSeq(): number {
    return this._deltaSeq;
  }

  siteOf(id: number | null): SiteView | null {
    return id === null ? null : (this._sites.get(id) ?? null);
  }
  awaitGraph(opts?: AwaitGraphOptions): AwaitGraph {
    return awaitGraph(this, opts);
  }
  deadlockCycles(): DeadlockCycle[] {
    return deadlockCycles(this);
  }
  /** A task's timeline markers (created, cancel requested, finished). */
  markers(taskId: number): TimelineMarker[] {
    const t = this._tasks.get(taskId);
    return t === undefined ? [] : taskMarkers(t);
  }

  /** The same shape LoopModel.snapshot() gives; equal to it when the mirror is current. */
  snapshot(): ModelSnapshot {
    return {
      v: MODEL_VERSION,
      deltaSeq: this._deltaSeq,
      config: { ...this._config },
      meta: this._meta,
      counts: this._counts,
      sites: sortedValues(this._sites),
      loops: sortedValues(this._loops),
      tasks: sortedValues(this._tasks),
      futures: sortedValues(this._futures),
      queues: sortedValues(this._queues),
      syncs: sortedValues(this._syncs),
      timeline: this._timeline.snapshot(),
    };
  }
}
