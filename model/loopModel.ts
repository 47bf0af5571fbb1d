// LoopModel: folds protocol messages into the state of the program's event
// loops. Pure (no `vscode`, no DOM); the adapter, the webview's mirror and
// the trace replayer all read state in the shapes of ./types.
//
// Semantics worth knowing:
//
// - Steps arrive complete (`task/steps`: task, start, end, wait). A step
//   sets the task's current wait to `wait` (0: nothing) and adds a run slice.
//   A step that starts before the task's previous step ended is a repeat or
//   out of order: ignored, counted as `stepOverlap`.
// - "running": steps are never seen in progress, so a task is shown running
//   only when its loop stands in it:
//     * while a loop is paused (`loop/paused` … `loop/resumed`), the task of
//       the latest step (by end time) on that loop — the step the pause came
//       after, or the one a step-loop command just ran;
//     * after `loop/blocked` naming a task, that task, until a step on that
//       loop ends at or after the blocked report's ts (the loop moved on).
//   Otherwise no task is running; a finished task never is. At most one
//   running task per loop. Counts move a task between pending and running.
// - A finished task awaits nothing. Steps reported after its task/done (the
//   runtime may flush packed steps later) still count as run time.
// - Unknown ids (events dropped by the runtime's bounded buffer, or out of
//   order) never throw: a placeholder object is made and an anomaly counted;
//   a later create event fills the placeholder in. Events for an object
//   evicted a moment ago are ignored (`lateForEvicted`).
// - Retention: finished tasks and futures beyond the configured numbers are
//   evicted oldest-finished first; counts by state include evicted ones, and
//   *Evicted counters say how many are gone. Futures, queues and primitives
//   also have hard caps (their end of life may never be reported).

import type {
  EventsBatchMessage,
  ExceptionInfo,
  FutureCreatedBatchEvent,
  TaskCreatedBatchEvent,
  TaskDoneBatchEvent,
  FutureCreatedEvent,
  FutureDoneBatchEvent,
  LoopBlockedEvent,
  LoopEvent,
  LoopSampleEvent,
  QueueSampleEvent,
  ReadyItem,
  SyncSampleEvent,
  TaskCreatedEvent,
  TaskDoneEvent,
  TaskStepsEvent,
  TimerItem,
  WireMessage,
} from "../protocol/index";
import { isMessageKind } from "../protocol/index";
import {
  awaitGraph,
  deadlockCycles,
  type AwaitGraph,
  type AwaitGraphOptions,
  type DeadlockCycle,
  type ModelReader,
} from "./graph";
import { Timeline, taskMarkers, type Ring, type TimelineMarker } from "./timeline";
import {
  DEFAULT_CONFIG,
  MODEL_VERSION,
  NO_ANOMALIES,
  type BlockedEpisode,
  type CancelRequestView,
  type FinishedState,
  type FutureState,
  type FutureView,
  type LoopState,
  type LoopView,
  type ModelConfig,
  type ModelCounts,
  type ModelDelta,
  type ModelMeta,
  type ModelSnapshot,
  type QueueView,
  type SessionInfo,
  type SiteView,
  type SyncView,
  type TaskState,
  type TaskView,
} from "./types";

// ---- internal records ---------------------------------------------------------

class TaskRec {
  name = "";
  coro = "";
  state: TaskState = "pending";
  eager = false;
  placeholder = true;
  createdNs: number | null = null;
  site: number | null = null;
  parent: number | null = null;
  children: Set<number> | null = null;
  steps = 0;
  busyNs = 0;
  // Step times: NaN until the first step (not null: a field that only ever
  // holds numbers is updated in place by V8, a nullable one boxes every store).
  firstStepNs = NaN;
  lastStepStartNs = NaN;
  lastStepEndNs = NaN;
  awaitingId: number | null = null;
  awaitingKind: string | null = null;
  awaitedBy: IdSet | null = null;
  /** Its timeline ring, kept at hand (dropped from the timeline with the task). */
  ring: Ring | null = null;
  everAwaitedBy: number[] | null = null;
  everAwaitedByOverflow = 0;
  cancelRequest: CancelRequestView | null = null;
  cancelRequests = 0;
  doneNs: number | null = null;
  cancelMessage: string | null = null;
  result: string | null = null;
  exception: ExceptionInfo | null = null;
  /** Change-tracking stamp: equals the model's epoch when listed as changed. */
  mark = 0;
  /** Like mark, for a change of step figures only (sent compactly, see ModelDelta.taskStats). */
  statMark = 0;
  /** Included in a delta or snapshot: a view may hold it, so its eviction is reported. */
  sent = false;
  /** Evicted: no longer in the model (change lists hold records, and skip these). */
  gone = false;
  constructor(
    readonly id: number,
    public loop: number,
  ) {}
}

class FutureRec {
  type = "unknown";
  state: FutureState = "pending";
  placeholder = true;
  loop: number | null = null;
  createdNs: number | null = null;
  doneNs: number | null = null;
  site: number | null = null;
  owner: number | null = null;
  children: number[] = [];
  dueNs: number | null = null;
  awaitedBy: IdSet | null = null;
  /** Change-tracking stamp: equals the model's epoch when listed as changed. */
  mark = 0;
  /** Included in a delta or snapshot: a view may hold it, so its eviction is reported. */
  sent = false;
  /** Evicted: no longer in the model (change lists hold records, and skip these). */
  gone = false;
  constructor(readonly id: number) {}
}

class QueueRec {
  type = "";
  maxsize = 0;
  site: number | null = null;
  placeholder = true;
  createdNs: number | null = null;
  sampledNs: number | null = null;
  size = 0;
  items: string[] = [];
  getters: number[] = [];
  putters: number[] = [];
  puts = 0;
  gets = 0;
  constructor(readonly id: number) {}
}

class SyncRec {
  type = "";
  site: number | null = null;
  placeholder = true;
  createdNs: number | null = null;
  sampledNs: number | null = null;
  state = "";
  waiters: number[] = [];
  holder: number | null = null;
  constructor(readonly id: number) {}
}

class LoopRec {
  thread = "";
  cls = "";
  state: LoopState = "running";
  placeholder = true;
  createdNs: number | null = null;
  closedNs: number | null = null;
  iterations = 0;
  sampledNs: number | null = null;
  ready: ReadyItem[] = [];
  readyTotal = 0;
  timers: TimerItem[] = [];
  timersTotal = 0;
  pausedNs: number | null = null;
  pauseReason: string | null = null;
  runningTask: number | null = null;
  blocked: BlockedEpisode[] = [];
  blockedCount = 0;
  /** Task of the latest step (by end) on this loop, and that end. */
  lastStepTask: number | null = null;
  lastStepEnd = -Infinity;
  /** Task named by the last loop/blocked, until the loop moves past `blockedTs`. */
  blockedTask: number | null = null;
  blockedTs = 0;
  constructor(readonly id: number) {}
}

/**
 * A set of ids kept as a small array (no allocation of a Set for the usual
 * one or two awaiters) that turns into a Set when it grows large (many tasks
 * awaiting one). Insertion order either way.
 */
type IdSet = number[] | Set<number>;
const ID_SET_ARRAY_MAX = 16;

function idAdd(s: IdSet | null, id: number): IdSet {
  if (s === null) return [id];
  if (Array.isArray(s)) {
    if (s.includes(id)) return s;
    s.push(id);
    return s.length > ID_SET_ARRAY_MAX ? new Set(s) : s;
  }
  s.add(id);
  return s;
}

function idDelete(s: IdSet, id: number): void {
  if (Array.isArray(s)) {
    const i = s.indexOf(id);
    if (i >= 0) s.splice(i, 1);
  } else {
    s.delete(id);
  }
}

const idSize = (s: IdSet): number => (Array.isArray(s) ? s.length : s.size);

/** Shared by futures without children (never mutated). */
const NO_CHILDREN: number[] = [];

/**
 * An id read from a packed int array. The arrays hold ns timestamps too, so
 * they parse as arrays of doubles and their items come out as heap numbers,
 * slow as Map keys; `| 0` turns an id that fits into a small integer.
 */
const smallInt = (x: number): number => (x >= 0 && x <= 0x3fffffff ? x | 0 : x);

const isFinished = (s: string): s is FinishedState => s === "done" || s === "cancelled" || s === "failed";

/** A FIFO of ids with O(1) push/shift and occasional compaction. */
class IdQueue {
  private a: number[] = [];
  private head = 0;
  get length(): number {
    return this.a.length - this.head;
  }
  push(id: number): void {
    this.a.push(id);
  }
  shift(): number | undefined {
    if (this.head >= this.a.length) return undefined;
    const v = this.a[this.head++];
    if (this.head > 1024 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

/**
 * A bounded, lossy memory of evicted ids: a direct-mapped table of about
 * twice `cap` slots. has() is exact when it says yes; a later id landing on
 * the same slot makes it forget an earlier one. O(1), no allocation.
 */
class RecentIds {
  private readonly table: Float64Array;
  private readonly shift: number;
  constructor(cap: number) {
    let bits = 1;
    while (bits < 30 && 1 << bits < cap * 2) bits++;
    this.table = new Float64Array(cap > 0 ? 1 << bits : 0).fill(NaN);
    this.shift = 32 - bits;
  }
  private slot(id: number): number {
    return Math.imul((id | 0) ^ ((id / 4294967296) | 0), 0x9e3779b1) >>> this.shift;
  }
  add(id: number): void {
    if (this.table.length > 0) this.table[this.slot(id)] = id;
  }
  has(id: number): boolean {
    return this.table.length > 0 && this.table[this.slot(id)] === id;
  }
}

function emptyCounts(): ModelCounts {
  return {
    tasks: { pending: 0, running: 0, done: 0, cancelled: 0, failed: 0 },
    tasksEvicted: { done: 0, cancelled: 0, failed: 0 },
    futures: { pending: 0, done: 0, cancelled: 0, failed: 0 },
    futuresEvicted: { pending: 0, done: 0, cancelled: 0, failed: 0 },
    queues: 0,
    queuesEvicted: 0,
    syncs: 0,
    syncsEvicted: 0,
    loops: 0,
    iterations: 0,
    steps: 0,
    events: 0,
    dropped: 0,
    anomalies: { ...NO_ANOMALIES },
  };
}

function copyCounts(c: ModelCounts): ModelCounts {
  return {
    tasks: { ...c.tasks },
    tasksEvicted: { ...c.tasksEvicted },
    futures: { ...c.futures },
    futuresEvicted: { ...c.futuresEvicted },
    queues: c.queues,
    queuesEvicted: c.queuesEvicted,
    syncs: c.syncs,
    syncsEvicted: c.syncsEvicted,
    loops: c.loops,
    iterations: c.iterations,
    steps: c.steps,
    events: c.events,
    dropped: c.dropped,
    anomalies: { ...c.anomalies },
  };
}

const EMPTY_SESSION: SessionInfo = {
  protocol: null,
  role: null,
  python: null,
  pid: null,
  originNs: null,
  argv: null,
};

// ---- the model -------------------------------------------------------------------

export class LoopModel implements ModelReader {
  readonly config: Readonly<ModelConfig>;
  readonly timeline: Timeline;

  private readonly _tasks = new Map<number, TaskRec>();
  private readonly _futures = new Map<number, FutureRec>();
  private readonly _queues = new Map<number, QueueRec>();
  private readonly _syncs = new Map<number, SyncRec>();
  private readonly _loops = new Map<number, LoopRec>();
  private readonly _sites = new Map<number, SiteView>();
  /** Awaiters of ids not (yet) known: id → tasks awaiting it. */
  private readonly orphans = new Map<number, Set<number>>();

  private readonly finishedTasks = new IdQueue();
  private readonly finishedFutures = new IdQueue();
  private readonly evictedTasks: RecentIds;
  private readonly evictedFutures: RecentIds;

  private readonly counts: ModelCounts = emptyCounts();
  private session: SessionInfo = EMPTY_SESSION;
  private exit: ModelMeta["exit"] = null;
  private runtimeError: ModelMeta["runtimeError"] = null;
  private lastSeq: number | null = null;
  private lastTs = 0;

  // Change tracking for takeDelta().
  private tracking: boolean;
  private overflowed = false;
  private deltaSeq = 0;
  private timelineFrom = 0;
  /** Stamp of the current change window (records with mark === epoch are listed). */
  private epoch = 1;
  private dTasks: TaskRec[] = [];
  /** Tasks whose step figures changed (see ModelDelta.taskStats). */
  private dStats: TaskRec[] = [];
  private dFutures: FutureRec[] = [];
  private readonly dQueues = new Set<number>();
  private readonly dSyncs = new Set<number>();
  private readonly dLoops = new Set<number>();
  private readonly dSites = new Set<number>();
  private rTasks: number[] = [];
  private rFutures: number[] = [];
  private readonly rQueues = new Set<number>();
  private readonly rSyncs = new Set<number>();

  constructor(config: Partial<ModelConfig> = {}) {
    const c: ModelConfig = { ...DEFAULT_CONFIG, ...config };
    for (const [k, v] of Object.entries(c)) {
      if (typeof v === "number" && !(v >= 0)) throw new RangeError(`LoopModel config ${k} must be ≥ 0, got ${v}`);
    }
    this.config = Object.freeze(c);
    this.timeline = new Timeline(c.slicesPerTask, c.slicesTotal);
    this.evictedTasks = new RecentIds(c.evictedMemory);
    this.evictedFutures = new RecentIds(c.evictedMemory);
    this.tracking = c.trackChanges;
    if (this.tracking) this.timeline.keepOps();
  }

  // ---- read access (ModelReader) -------------------------------------------------
  // The maps hold the model's live records: read them, never mutate them.

  get tasks(): ReadonlyMap<number, TaskRec> {
    return this._tasks;
  }
  get futures(): ReadonlyMap<number, FutureRec> {
    return this._futures;
  }
  get queues(): ReadonlyMap<number, QueueRec> {
    return this._queues;
  }
  get syncs(): ReadonlyMap<number, SyncRec> {
    return this._syncs;
  }
  get loops(): ReadonlyMap<number, LoopRec> {
    return this._loops;
  }
  get sites(): ReadonlyMap<number, SiteView> {
    return this._sites;
  }

  siteOf(id: number | null): SiteView | null {
    return id === null ? null : (this._sites.get(id) ?? null);
  }

  task(id: number): TaskView | null {
    const t = this._tasks.get(id);
    return t === undefined ? null : taskView(t);
  }
  future(id: number): FutureView | null {
    const f = this._futures.get(id);
    return f === undefined ? null : futureView(f);
  }
  queue(id: number): QueueView | null {
    const q = this._queues.get(id);
    return q === undefined ? null : queueView(q);
  }
  sync(id: number): SyncView | null {
    const s = this._syncs.get(id);
    return s === undefined ? null : syncView(s);
  }
  loop(id: number): LoopView | null {
    const l = this._loops.get(id);
    return l === undefined ? null : loopView(l);
  }

  /** Counters (a copy). */
  getCounts(): ModelCounts {
    return copyCounts(this.counts);
  }
  getMeta(): ModelMeta {
    return {
      session: this.session,
      exit: this.exit,
      runtimeError: this.runtimeError,
      lastSeq: this.lastSeq,
      lastTs: this.lastTs,
    };
  }

  awaitGraph(opts?: AwaitGraphOptions): AwaitGraph {
    return awaitGraph(this, opts);
  }
  deadlockCycles(): DeadlockCycle[] {
    return deadlockCycles(this);
  }
  /** A retained task's timeline markers (created, cancel requested, finished). */
  markers(taskId: number): TimelineMarker[] {
    const t = this._tasks.get(taskId);
    return t === undefined ? [] : taskMarkers(t);
  }

  // ---- folding messages -------------------------------------------------------------

  /** Folds one wire message. Messages that carry no loop state (control/*, session/refused) are ignored. */
  apply(msg: WireMessage): void {
    switch (msg.kind) {
      case "events/batch":
        this.applyBatch(msg);
        return;
      case "session/hello":
      case "session/welcome": {
        const prev = this.session;
        this.session = {
          protocol: msg.protocol,
          role: msg.role,
          python: msg.python ?? prev.python,
          pid: msg.pid ?? prev.pid,
          originNs: msg.origin_ns ?? prev.originNs,
          argv: msg.argv ?? prev.argv,
        };
        // A new connection numbers its batches afresh.
        if (msg.kind === "session/hello") this.lastSeq = null;
        return;
      }
      case "loop/paused": {
        const l = this.loopRec(msg.loop);
        this.seeTs(msg.ts);
        l.state = "paused";
        l.pausedNs = msg.ts;
        l.pauseReason = msg.reason;
        this.updateRunning(l);
        this.dirtyLoop(l.id);
        return;
      }
      case "loop/resumed": {
        const l = this.loopRec(msg.loop);
        this.seeTs(msg.ts);
        if (l.state === "paused") l.state = "running";
        l.pausedNs = null;
        l.pauseReason = null;
        this.updateRunning(l);
        this.dirtyLoop(l.id);
        return;
      }
      case "program/exit":
        this.seeTs(msg.ts);
        this.exit = { code: msg.code, ts: msg.ts };
        return;
      default:
        // Messages that carry no loop state (control/*, session/refused, the
        // debugger's) are ignored; a kind the protocol does not know is counted.
        if (!isMessageKind((msg as { kind: string }).kind)) this.counts.anomalies.unknownKind++;
    }
  }

  private applyBatch(msg: EventsBatchMessage): void {
    if (this.lastSeq !== null) {
      if (msg.seq <= this.lastSeq) {
        this.counts.anomalies.duplicateBatch++;
        return;
      }
      if (msg.seq > this.lastSeq + 1) this.counts.anomalies.seqGap += msg.seq - this.lastSeq - 1;
    }
    this.lastSeq = msg.seq;
    if (msg.dropped > this.counts.dropped) this.counts.dropped = msg.dropped;
    const evs = msg.events;
    for (let i = 0; i < evs.length; i++) this.applyEvent(evs[i]!);
    if (this.tracking) this.checkOverflow();
  }

  /** Folds one event (an item of an events/batch). */
  applyEvent(ev: LoopEvent): void {
    switch (ev.kind) {
      case "task/steps":
        this.onSteps(ev);
        return;
      case "task/created":
        this.counts.events++;
        this.onTaskCreated(ev);
        return;
      case "task/done":
        this.counts.events++;
        this.onTaskDone(ev);
        return;
      case "task/created-batch":
        this.onTaskCreatedBatch(ev);
        return;
      case "task/renamed": {
        this.counts.events++;
        this.seeTs(ev.ts);
        const t = this._tasks.get(ev.task);
        if (t === undefined) {
          this.counts.anomalies.unknownTask++;
          return;
        }
        t.name = ev.name;
        this.dirtyTask(t);
        return;
      }
      case "task/done-batch":
        this.onTaskDoneBatch(ev);
        return;
      case "task/cancel-requested": {
        this.counts.events++;
        this.seeTs(ev.ts);
        if (!this._tasks.has(ev.task) && this.evictedTasks.has(ev.task)) {
          this.counts.anomalies.lateForEvicted++;
          return;
        }
        const t = this.taskRec(ev.task, null);
        if (isFinished(t.state)) return; // cancel() on a finished task has no effect
        t.cancelRequests++;
        if (t.cancelRequest === null) {
          t.cancelRequest = { ts: ev.ts, byTask: ev.by_task, bySite: ev.by_site, message: ev.message };
        }
        this.dirtyTask(t);
        return;
      }
      case "future/created":
        this.counts.events++;
        this.onFutureCreated(ev);
        return;
      case "future/done":
        this.counts.events++;
        this.seeTs(ev.ts);
        this.finishFuture(ev.future, ev.ts, this.finishedState(ev.state));
        return;
      case "future/created-batch":
        this.onFutureCreatedBatch(ev);
        return;
      case "future/done-batch":
        this.onFutureDoneBatch(ev);
        return;
      case "site/def": {
        this.counts.events++;
        const prev = this._sites.get(ev.site);
        if (prev !== undefined) {
          this.counts.anomalies.duplicate++;
          if (prev.file === ev.file && prev.line === ev.line && prev.func === ev.func) return;
        }
        this._sites.set(ev.site, { id: ev.site, file: ev.file, line: ev.line, func: ev.func });
        if (this.tracking) this.dSites.add(ev.site);
        return;
      }
      case "loop/created": {
        this.counts.events++;
        this.seeTs(ev.ts);
        const l = this.loopRec(ev.loop, false);
        if (!l.placeholder) this.counts.anomalies.duplicate++;
        l.placeholder = false;
        l.thread = ev.thread;
        l.cls = ev.cls;
        l.createdNs = ev.ts;
        this.dirtyLoop(l.id);
        return;
      }
      case "loop/closed": {
        this.counts.events++;
        this.seeTs(ev.ts);
        const l = this.loopRec(ev.loop);
        l.state = "closed";
        l.closedNs = ev.ts;
        l.pausedNs = null;
        l.pauseReason = null;
        l.blockedTask = null;
        this.updateRunning(l);
        this.dirtyLoop(l.id);
        return;
      }
      case "loop/sample":
        this.counts.events++;
        this.onLoopSample(ev);
        return;
      case "loop/blocked":
        this.counts.events++;
        this.onLoopBlocked(ev);
        return;
      case "queue/created": {
        this.counts.events++;
        this.seeTs(ev.ts);
        const q = this.queueRec(ev.queue, false);
        if (q === null) return;
        if (!q.placeholder) this.counts.anomalies.duplicate++;
        q.placeholder = false;
        q.type = ev.type;
        q.maxsize = ev.maxsize;
        q.site = ev.site;
        q.createdNs = ev.ts;
        this.dirtyQueue(q.id);
        return;
      }
      case "queue/sample":
        this.counts.events++;
        this.onQueueSample(ev);
        return;
      case "sync/created": {
        this.counts.events++;
        this.seeTs(ev.ts);
        const s = this.syncRec(ev.prim, false);
        if (s === null) return;
        if (!s.placeholder) this.counts.anomalies.duplicate++;
        s.placeholder = false;
        s.type = ev.type;
        s.site = ev.site;
        s.createdNs = ev.ts;
        this.dirtySync(s.id);
        return;
      }
      case "sync/sample":
        this.counts.events++;
        this.onSyncSample(ev);
        return;
      case "runtime/error":
        this.counts.events++;
        this.seeTs(ev.ts);
        if (this.runtimeError === null) {
          this.runtimeError = { ts: ev.ts, message: ev.message, traceback: ev.traceback };
        } else {
          this.counts.anomalies.duplicate++;
        }
        return;
      default:
        this.counts.anomalies.unknownKind++;
    }
  }

  // ---- tasks ---------------------------------------------------------------------------

  private onTaskCreated(ev: TaskCreatedEvent): void {
    this.seeTs(ev.ts);
    let t = this._tasks.get(ev.task);
    if (t !== undefined && !t.placeholder) {
      this.counts.anomalies.duplicate++;
      return;
    }
    if (t === undefined) {
      t = this.newTask(ev.task, ev.loop);
    }
    t.placeholder = false;
    t.loop = ev.loop;
    t.name = ev.name;
    t.coro = ev.coro;
    t.createdNs = ev.ts;
    t.site = ev.site;
    t.eager = ev.eager;
    t.parent = ev.parent;
    if (ev.parent !== null) {
      const p = this._tasks.get(ev.parent);
      if (p !== undefined) {
        (p.children ??= new Set()).add(t.id);
        this.dirtyTask(p);
      }
    }
    this.loopRec(ev.loop);
    this.dirtyTask(t);
  }

  private newTask(id: number, loop: number): TaskRec {
    const t = new TaskRec(id, loop);
    this._tasks.set(id, t);
    this.counts.tasks.pending++;
    this.dirtyTask(t);
    // Tasks that were awaiting this id before it was known.
    const o = this.orphans.get(id);
    if (o !== undefined) {
      this.orphans.delete(id);
      for (const w of o) {
        const wt = this._tasks.get(w);
        if (wt === undefined || wt.awaitingId !== id) continue;
        wt.awaitingKind = "task";
        this.addAwaiter(t, wt.id);
        this.dirtyTask(wt);
      }
    }
    return t;
  }

  /** The task, or a placeholder for it (counted as unknownTask). */
  private taskRec(id: number, loop: number | null): TaskRec {
    const t = this._tasks.get(id);
    if (t !== undefined) return t;
    this.counts.anomalies.unknownTask++;
    return this.newTask(id, loop ?? -1);
  }

  private setTaskState(t: TaskRec, s: TaskState): void {
    if (t.state === s) return;
    this.counts.tasks[t.state]--;
    this.counts.tasks[s]++;
    t.state = s;
  }

  /** Packed creations (5 ints a task): unpacked into the one code path. */
  private onTaskCreatedBatch(ev: TaskCreatedBatchEvent): void {
    const d = ev.data;
    const n = Math.floor(d.length / 5);
    for (let i = 0; i < n; i++) {
      const k = i * 5;
      this.counts.events++;
      this.onTaskCreated({
        kind: "task/created",
        task: d[k]!,
        loop: ev.loop,
        ts: d[k + 1]!,
        name: ev.names[i] ?? "?",
        coro: ev.coros[i] ?? "?",
        site: d[k + 2] || null,
        parent: d[k + 3] || null,
        eager: d[k + 4] === 1,
      });
    }
  }

  /** Packed normal completions (2 ints a task, results alongside). */
  private onTaskDoneBatch(ev: TaskDoneBatchEvent): void {
    const d = ev.data;
    const n = Math.floor(d.length / 2);
    for (let i = 0; i < n; i++) {
      this.counts.events++;
      this.onTaskDone({
        kind: "task/done",
        task: d[i * 2]!,
        ts: d[i * 2 + 1]!,
        state: "done",
        result: ev.results[i] ?? null,
        exception: null,
        cancel_message: null,
      });
    }
  }

  private onTaskDone(ev: TaskDoneEvent): void {
    this.seeTs(ev.ts);
    if (!this._tasks.has(ev.task) && this.evictedTasks.has(ev.task)) {
      this.counts.anomalies.lateForEvicted++;
      return;
    }
    const t = this.taskRec(ev.task, null);
    if (isFinished(t.state)) {
      this.counts.anomalies.duplicate++;
      return;
    }
    const st = this.finishedState(ev.state);
    this.setAwaiting(t, 0);
    const l = this._loops.get(t.loop);
    this.setTaskState(t, st);
    if (l !== undefined && l.runningTask === t.id) l.runningTask = null;
    if (l !== undefined) {
      if (l.blockedTask === t.id) l.blockedTask = null;
      this.updateRunning(l);
    }
    t.doneNs = ev.ts;
    t.result = ev.result;
    t.exception = ev.exception;
    t.cancelMessage = ev.cancel_message;
    this.dirtyTask(t);
    this.finishedTasks.push(t.id);
    this.retainTasks();
  }

  private onSteps(ev: TaskStepsEvent): void {
    const d = ev.data;
    const n = d.length - (d.length % 4);
    if (n !== d.length) this.counts.anomalies.badValue++;
    const loopId = ev.loop;
    const l = this.loopRec(loopId);
    const counts = this.counts;
    const timeline = this.timeline;
    const tasks = this._tasks;
    // Loop invariants: nothing in the loop ends tracking or starts a new change window.
    const track = this.tracking;
    const epoch = this.epoch;
    const dStats = this.dStats;
    counts.events += n / 4; // every packed step is an event, folded or not
    let folded = 0;
    let lastTask: number | null = null;
    let lastEnd = -Infinity;
    for (let i = 0; i < n; i += 4) {
      const id = smallInt(d[i]!);
      const start = d[i + 1]!;
      const end = d[i + 2]!;
      const wait = smallInt(d[i + 3]!);
      if (!(end >= start) || start < 0) {
        counts.anomalies.badValue++;
        continue;
      }
      let t = tasks.get(id);
      if (t === undefined) {
        if (this.evictedTasks.has(id)) {
          counts.anomalies.lateForEvicted++;
          continue;
        }
        t = this.taskRec(id, loopId);
      }
      // Overlaps the previous step (false while lastStepEndNs is NaN: no step yet).
      if (start < t.lastStepEndNs) {
        counts.anomalies.stepOverlap++;
        continue;
      }
      folded++;
      t.steps++;
      t.busyNs += end - start;
      if (t.steps === 1) t.firstStepNs = start;
      t.lastStepStartNs = start;
      t.lastStepEndNs = end;
      if (!isFinished(t.state) && t.awaitingId !== (wait === 0 ? null : wait)) this.setAwaiting(t, wait);
      timeline.appendTo(t.ring ?? (t.ring = timeline.ringFor(id)), id, start, end);
      if (track && t.statMark !== epoch) {
        t.statMark = epoch;
        dStats.push(t);
      }
      if (end >= lastEnd) {
        lastEnd = end;
        lastTask = id;
      }
    }
    counts.steps += folded;
    if (lastTask !== null) {
      if (lastEnd > this.lastTs) this.lastTs = lastEnd;
      if (lastEnd >= l.lastStepEnd) {
        l.lastStepEnd = lastEnd;
        l.lastStepTask = lastTask;
      }
      if (l.blockedTask !== null && lastEnd >= l.blockedTs) l.blockedTask = null;
      if (l.state === "paused" || l.runningTask !== null) this.updateRunning(l);
    }
    if (this.tracking) this.checkOverflow();
  }

  /** Recomputes which task a loop shows as running (see the file comment). */
  private updateRunning(l: LoopRec): void {
    let want: number | null = null;
    if (l.state === "paused") want = l.lastStepTask;
    else if (l.state === "running") want = l.blockedTask;
    if (want !== null) {
      const t = this._tasks.get(want);
      if (t === undefined || isFinished(t.state)) want = null;
    }
    if (want === l.runningTask) return;
    if (l.runningTask !== null) {
      const prev = this._tasks.get(l.runningTask);
      if (prev !== undefined && prev.state === "running") {
        this.setTaskState(prev, "pending");
        this.dirtyTask(prev);
      }
    }
    l.runningTask = want;
    if (want !== null) {
      const t = this._tasks.get(want)!;
      this.setTaskState(t, "running");
      this.dirtyTask(t);
    }
    this.dirtyLoop(l.id);
  }

  /** Sets what the task awaits (0: nothing), keeping awaitedBy of both ends right. */
  private setAwaiting(t: TaskRec, wait: number): void {
    const prev = t.awaitingId;
    if (prev !== null) {
      const pt = this._tasks.get(prev);
      if (pt !== undefined) {
        if (pt.awaitedBy !== null) idDelete(pt.awaitedBy, t.id);
        this.dirtyTask(pt);
      } else {
        const pf = this._futures.get(prev);
        if (pf !== undefined) {
          if (pf.awaitedBy !== null) idDelete(pf.awaitedBy, t.id);
          this.dirtyFuture(pf);
        } else {
          const o = this.orphans.get(prev);
          if (o !== undefined) {
            o.delete(t.id);
            if (o.size === 0) this.orphans.delete(prev);
          }
        }
      }
    }
    if (wait === 0) {
      t.awaitingId = null;
      t.awaitingKind = null;
      return;
    }
    t.awaitingId = wait;
    const wt = this._tasks.get(wait);
    if (wt !== undefined) {
      t.awaitingKind = "task";
      this.addAwaiter(wt, t.id);
      this.dirtyTask(wt);
      return;
    }
    const wf = this._futures.get(wait);
    if (wf !== undefined) {
      t.awaitingKind = wf.type;
      this.addAwaiter(wf, t.id);
      this.dirtyFuture(wf);
      return;
    }
    if (this._queues.has(wait)) {
      t.awaitingKind = "queue";
      return;
    }
    if (this._syncs.has(wait)) {
      t.awaitingKind = "sync";
      return;
    }
    t.awaitingKind = "unknown";
    let o = this.orphans.get(wait);
    if (o === undefined) this.orphans.set(wait, (o = new Set()));
    o.add(t.id);
  }

  private addAwaiter(target: TaskRec | FutureRec, by: number): void {
    target.awaitedBy = idAdd(target.awaitedBy, by);
    if (target instanceof TaskRec) {
      const ever = (target.everAwaitedBy ??= []);
      if (!ever.includes(by)) {
        if (ever.length < this.config.everAwaitedByCap) ever.push(by);
        else target.everAwaitedByOverflow++;
      }
    }
  }

  private retainTasks(): void {
    const limit = this.config.finishedTaskRetention;
    while (this.finishedTasks.length > limit) {
      const id = this.finishedTasks.shift()!;
      const t = this._tasks.get(id);
      if (t === undefined || !isFinished(t.state)) continue;
      this.evictTask(t);
    }
  }

  private evictTask(t: TaskRec): void {
    const id = t.id;
    this._tasks.delete(id);
    this.counts.tasksEvicted[t.state as FinishedState]++;
    if (t.parent !== null) {
      const p = this._tasks.get(t.parent);
      if (p !== undefined && p.children !== null && p.children.delete(id)) this.dirtyTask(p);
    }
    // Tasks still awaiting it (their next step not seen yet) now await an unknown id.
    if (t.awaitedBy !== null && idSize(t.awaitedBy) > 0) {
      this.orphans.set(id, new Set(t.awaitedBy));
    }
    this.timeline.drop(id);
    this.evictedTasks.add(id);
    t.gone = true;
    if (this.tracking && t.sent) this.rTasks.push(id);
  }

  // ---- futures ---------------------------------------------------------------------------

  private onFutureCreated(ev: FutureCreatedEvent): void {
    this.seeTs(ev.ts);
    this.createFuture(ev.future, ev.loop, ev.ts, ev.type, ev.site, ev.owner, ev.children, ev.due_ns);
  }

  private onFutureCreatedBatch(ev: FutureCreatedBatchEvent): void {
    const d = ev.data;
    const n = d.length - (d.length % 6);
    if (n !== d.length) this.counts.anomalies.badValue++;
    const types = ev.types;
    for (let i = 0; i < n; i += 6) {
      this.counts.events++;
      const ts = d[i + 1]!;
      const ti = d[i + 2]!;
      let type = types[ti];
      if (type === undefined) {
        this.counts.anomalies.badValue++;
        type = "unknown";
      }
      const site = d[i + 3]!;
      const owner = smallInt(d[i + 4]!);
      const due = d[i + 5]!;
      if (ts > this.lastTs) this.lastTs = ts;
      this.createFuture(
        smallInt(d[i]!),
        ev.loop,
        ts,
        type,
        site === 0 ? null : site,
        owner === 0 ? null : owner,
        NO_CHILDREN,
        due === -1 ? null : due,
      );
    }
  }

  private onFutureDoneBatch(ev: FutureDoneBatchEvent): void {
    const d = ev.data;
    const n = d.length - (d.length % 3);
    if (n !== d.length) this.counts.anomalies.badValue++;
    for (let i = 0; i < n; i += 3) {
      this.counts.events++;
      const ts = d[i + 1]!;
      const code = d[i + 2]!;
      let st: FinishedState;
      if (code === 0) st = "done";
      else if (code === 1) st = "cancelled";
      else if (code === 2) st = "failed";
      else {
        this.counts.anomalies.badValue++;
        st = "done";
      }
      if (ts > this.lastTs) this.lastTs = ts;
      this.finishFuture(smallInt(d[i]!), ts, st);
    }
  }

  private createFuture(
    id: number,
    loop: number | null,
    ts: number,
    type: string,
    site: number | null,
    owner: number | null,
    children: number[],
    dueNs: number | null,
  ): void {
    let f = this._futures.get(id);
    if (f !== undefined && !f.placeholder) {
      this.counts.anomalies.duplicate++;
      return;
    }
    if (f === undefined) {
      if (this.evictedFutures.has(id)) {
        this.counts.anomalies.lateForEvicted++;
        return;
      }
      f = this.newFuture(id);
    }
    f.placeholder = false;
    f.type = type;
    f.loop = loop;
    f.createdNs = ts;
    f.site = site;
    f.owner = owner;
    f.children = children;
    f.dueNs = dueNs;
    // Awaiters recorded while it was a placeholder learn its type.
    if (f.awaitedBy !== null) {
      for (const w of f.awaitedBy) {
        const wt = this._tasks.get(w);
        if (wt !== undefined && wt.awaitingId === f.id) {
          wt.awaitingKind = f.type;
          this.dirtyTask(wt);
        }
      }
    }
    this.dirtyFuture(f);
    this.retainFutures();
  }

  private finishFuture(id: number, ts: number, st: FinishedState): void {
    if (!this._futures.has(id) && this.evictedFutures.has(id)) {
      this.counts.anomalies.lateForEvicted++;
      return;
    }
    const f = this.futureRec(id);
    if (isFinished(f.state)) {
      this.counts.anomalies.duplicate++;
      return;
    }
    this.setFutureState(f, st);
    f.doneNs = ts;
    this.dirtyFuture(f);
    this.finishedFutures.push(f.id);
    this.retainFutures();
  }

  private newFuture(id: number): FutureRec {
    const f = new FutureRec(id);
    this._futures.set(id, f);
    this.counts.futures.pending++;
    this.dirtyFuture(f);
    const o = this.orphans.get(id);
    if (o !== undefined) {
      this.orphans.delete(id);
      for (const w of o) {
        const wt = this._tasks.get(w);
        if (wt === undefined || wt.awaitingId !== id) continue;
        wt.awaitingKind = f.type;
        this.addAwaiter(f, w);
        this.dirtyTask(wt);
      }
    }
    return f;
  }

  private futureRec(id: number): FutureRec {
    const f = this._futures.get(id);
    if (f !== undefined) return f;
    this.counts.anomalies.unknownFuture++;
    const nf = this.newFuture(id);
    this.retainFutures();
    return nf;
  }

  private setFutureState(f: FutureRec, s: FutureState): void {
    if (f.state === s) return;
    this.counts.futures[f.state]--;
    this.counts.futures[s]++;
    f.state = s;
  }

  private retainFutures(): void {
    const limit = this.config.finishedFutureRetention;
    while (this.finishedFutures.length > limit) {
      const id = this.finishedFutures.shift()!;
      const f = this._futures.get(id);
      if (f === undefined || !isFinished(f.state)) continue;
      this.evictFuture(f);
    }
    const cap = this.config.maxFutures;
    while (this._futures.size > cap) {
      const oldest = this._futures.values().next().value;
      if (oldest === undefined) break;
      this.evictFuture(oldest);
    }
  }

  private evictFuture(f: FutureRec): void {
    const id = f.id;
    this._futures.delete(id);
    this.counts.futuresEvicted[f.state]++;
    if (f.awaitedBy !== null && idSize(f.awaitedBy) > 0) this.orphans.set(id, new Set(f.awaitedBy));
    this.evictedFutures.add(id);
    f.gone = true;
    if (this.tracking && f.sent) this.rFutures.push(id);
  }

  // ---- loops, queues, primitives ----------------------------------------------------------

  /** The loop, or a placeholder (counted as unknownLoop unless `count` is false). */
  private loopRec(id: number, count = true): LoopRec {
    let l = this._loops.get(id);
    if (l === undefined) {
      l = new LoopRec(id);
      this._loops.set(id, l);
      this.counts.loops++;
      if (count) this.counts.anomalies.unknownLoop++;
      this.dirtyLoop(id);
    }
    return l;
  }

  private onLoopSample(ev: LoopSampleEvent): void {
    this.seeTs(ev.ts);
    const l = this.loopRec(ev.loop);
    if (l.sampledNs !== null && ev.ts < l.sampledNs) return; // an older sample than the one shown
    this.counts.iterations += ev.iterations - l.iterations;
    l.iterations = ev.iterations;
    l.sampledNs = ev.ts;
    l.ready = ev.ready;
    l.readyTotal = ev.ready_total;
    l.timers = ev.timers;
    l.timersTotal = ev.timers_total;
    this.dirtyLoop(l.id);
  }

  private onLoopBlocked(ev: LoopBlockedEvent): void {
    this.seeTs(ev.ts);
    const l = this.loopRec(ev.loop);
    const eps = l.blocked;
    const last = eps.length > 0 ? eps[eps.length - 1]! : null;
    const ep: BlockedEpisode = {
      loop: ev.loop,
      ts: ev.ts,
      durationNs: ev.duration_ns,
      task: ev.task,
      stack: ev.stack,
    };
    if (last !== null && last.task === ev.task && ev.ts >= last.ts && ev.ts <= last.ts + last.durationNs) {
      // Another report of the same episode: extend it.
      const end = Math.max(last.ts + last.durationNs, ev.ts + ev.duration_ns);
      eps[eps.length - 1] = { ...ep, ts: last.ts, durationNs: end - last.ts };
    } else {
      eps.push(ep);
      l.blockedCount++;
      if (eps.length > this.config.blockedEpisodesPerLoop) eps.shift();
    }
    if (ev.task !== null && ev.ts > l.lastStepEnd) {
      // No step on this loop has ended after the report yet: the loop still stands in this task.
      l.blockedTask = ev.task;
      l.blockedTs = ev.ts;
      if (!this._tasks.has(ev.task) && !this.evictedTasks.has(ev.task)) this.taskRec(ev.task, ev.loop);
    }
    this.updateRunning(l);
    this.dirtyLoop(l.id);
  }

  /** The queue, or a placeholder; null if it was just evicted by the cap (never, in practice, for an existing one). */
  private queueRec(id: number, count = true): QueueRec | null {
    let q = this._queues.get(id);
    if (q !== undefined) return q;
    if (count) this.counts.anomalies.unknownQueue++;
    q = new QueueRec(id);
    this._queues.set(id, q);
    this.counts.queues++;
    while (this._queues.size > this.config.maxQueues) {
      const oldest = this._queues.keys().next().value;
      if (oldest === undefined) break;
      this._queues.delete(oldest);
      this.counts.queuesEvicted++;
      if (this.tracking) {
        this.dQueues.delete(oldest);
        this.rQueues.add(oldest);
      }
    }
    return this._queues.get(id) ?? null;
  }

  private onQueueSample(ev: QueueSampleEvent): void {
    this.seeTs(ev.ts);
    const q = this.queueRec(ev.queue);
    if (q === null) return;
    if (q.sampledNs !== null && ev.ts < q.sampledNs) return;
    q.sampledNs = ev.ts;
    q.size = ev.size;
    q.items = ev.items;
    q.getters = ev.getters;
    q.putters = ev.putters;
    q.puts = ev.puts;
    q.gets = ev.gets;
    this.dirtyQueue(q.id);
  }

  private syncRec(id: number, count = true): SyncRec | null {
    let s = this._syncs.get(id);
    if (s !== undefined) return s;
    if (count) this.counts.anomalies.unknownSync++;
    s = new SyncRec(id);
    this._syncs.set(id, s);
    this.counts.syncs++;
    while (this._syncs.size > this.config.maxSyncs) {
      const oldest = this._syncs.keys().next().value;
      if (oldest === undefined) break;
      this._syncs.delete(oldest);
      this.counts.syncsEvicted++;
      if (this.tracking) {
        this.dSyncs.delete(oldest);
        this.rSyncs.add(oldest);
      }
    }
    return this._syncs.get(id) ?? null;
  }

  private onSyncSample(ev: SyncSampleEvent): void {
    this.seeTs(ev.ts);
    const s = this.syncRec(ev.prim);
    if (s === null) return;
    if (s.sampledNs !== null && ev.ts < s.sampledNs) return;
    s.sampledNs = ev.ts;
    s.state = ev.state;
    s.waiters = ev.waiters;
    s.holder = ev.holder ?? null;
    this.dirtySync(s.id);
  }

  /** A done event's state; anything but done/cancelled/failed is counted as badValue and read as done. */
  private finishedState(s: string): FinishedState {
    if (isFinished(s)) return s;
    this.counts.anomalies.badValue++;
    return "done";
  }

  private seeTs(ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
  }

  // ---- change tracking --------------------------------------------------------------------

  private dirtyTask(t: TaskRec): void {
    if (this.tracking && t.mark !== this.epoch) {
      t.mark = this.epoch;
      this.dTasks.push(t);
    }
  }
  private dirtyFuture(f: FutureRec): void {
    if (this.tracking && f.mark !== this.epoch) {
      f.mark = this.epoch;
      this.dFutures.push(f);
    }
  }
  private dirtyQueue(id: number): void {
    if (this.tracking) this.dQueues.add(id);
  }
  private dirtySync(id: number): void {
    if (this.tracking) this.dSyncs.add(id);
  }
  private dirtyLoop(id: number): void {
    if (this.tracking) this.dLoops.add(id);
  }

  /** Stops tracking until the next takeDelta, which will carry a full snapshot. */
  private checkOverflow(): void {
    const cap = this.config.maxPendingChanges;
    const tl = this.timeline;
    if (
      tl.pendingOps > cap ||
      tl.opsLost ||
      this.dTasks.length + this.dStats.length + this.dFutures.length > cap ||
      this.rTasks.length + this.rFutures.length + this.rQueues.size + this.rSyncs.size > cap
    ) {
      this.overflowed = true;
      this.tracking = false;
      tl.dropOps();
      this.clearChanges();
    }
  }

  private clearChanges(): void {
    this.epoch++; // every record's stamp is now stale
    this.dTasks = [];
    this.dStats = [];
    this.dFutures = [];
    this.dQueues.clear();
    this.dSyncs.clear();
    this.dLoops.clear();
    this.dSites.clear();
    this.rTasks = [];
    this.rFutures = [];
    this.rQueues.clear();
    this.rSyncs.clear();
  }

  /**
   * What changed since the previous call (or since construction). Needs
   * `trackChanges` (the default). When more changed than `maxPendingChanges`
   * the delta carries a full snapshot instead of the pieces.
   */
  takeDelta(): ModelDelta {
    if (!this.config.trackChanges) throw new Error("LoopModel: takeDelta() needs config.trackChanges");
    this.checkOverflow();
    const seq = ++this.deltaSeq;
    if (this.overflowed) {
      this.overflowed = false;
      this.tracking = true;
      this.timeline.keepOps();
      this.timelineFrom = this.timeline.opSeq;
      const full = this.snapshotAt(seq);
      return {
        v: MODEL_VERSION,
        seq,
        full,
        meta: full.meta,
        counts: full.counts,
        sites: [],
        loops: [],
        tasks: [],
        taskStats: [],
        taskStatKinds: [],
        futures: [],
        queues: [],
        syncs: [],
        removed: { tasks: [], futures: [], queues: [], syncs: [] },
        timelineFrom: this.timeline.opSeq,
        timeline: [],
      };
    }
    const pick = <R, V>(ids: Iterable<number>, map: ReadonlyMap<number, R>, view: (r: R) => V): V[] => {
      const out: V[] = [];
      for (const id of ids) {
        const r = map.get(id);
        if (r !== undefined) out.push(view(r));
      }
      return out;
    };
    /** Records listed in this window and still present, each once. */
    const epoch = this.epoch;
    const pickMarked = <R extends { mark: number; sent: boolean; gone: boolean }, V>(
      recs: readonly R[],
      view: (r: R) => V,
    ): V[] => {
      const out: V[] = [];
      for (const r of recs) {
        if (r.mark === epoch && !r.gone) {
          r.mark = 0;
          r.sent = true;
          out.push(view(r));
        }
      }
      return out;
    };
    // Step figures of tasks not otherwise changed go compactly; a task no view
    // has yet gets its full view instead.
    // Sized for all of dStats up front (one allocation, no growing), cut to what was used.
    const taskStats: number[] = new Array<number>(this.dStats.length * 7);
    const taskStatKinds: (string | null)[] = new Array<string | null>(this.dStats.length);
    let ns = 0;
    for (const t of this.dStats) {
      if (t.statMark !== epoch || t.gone) continue;
      t.statMark = 0;
      if (t.mark === epoch) continue; // a full view goes anyway
      if (!t.sent) {
        t.mark = epoch;
        this.dTasks.push(t);
        continue;
      }
      const k = ns * 7;
      taskStats[k] = t.id;
      taskStats[k + 1] = t.steps;
      taskStats[k + 2] = t.busyNs;
      taskStats[k + 3] = Number.isNaN(t.firstStepNs) ? -1 : t.firstStepNs;
      taskStats[k + 4] = Number.isNaN(t.lastStepStartNs) ? -1 : t.lastStepStartNs;
      taskStats[k + 5] = Number.isNaN(t.lastStepEndNs) ? -1 : t.lastStepEndNs;
      taskStats[k + 6] = t.awaitingId ?? 0;
      taskStatKinds[ns++] = t.awaitingKind;
    }
    taskStats.length = ns * 7;
    taskStatKinds.length = ns;
    const timelineFrom = this.timelineFrom;
    const ops = this.timeline.takeOps();
    const delta: ModelDelta = {
      v: MODEL_VERSION,
      seq,
      full: null,
      meta: this.getMeta(),
      counts: this.getCounts(),
      sites: pick(this.dSites, this._sites, (s) => s),
      loops: pick(this.dLoops, this._loops, loopView),
      tasks: pickMarked(this.dTasks, taskView),
      taskStats,
      taskStatKinds,
      futures: pickMarked(this.dFutures, futureView),
      queues: pick(this.dQueues, this._queues, queueView),
      syncs: pick(this.dSyncs, this._syncs, syncView),
      removed: {
        tasks: this.rTasks,
        futures: this.rFutures,
        queues: [...this.rQueues],
        syncs: [...this.rSyncs],
      },
      timelineFrom,
      timeline: ops,
    };
    this.timelineFrom = this.timeline.opSeq;
    this.clearChanges();
    return delta;
  }

  /**
   * The whole state as plain data. A mirror built from it applies the deltas
   * taken after it (deltaSeq + 1 on); changes already in the snapshot that
   * the next delta repeats are applied idempotently.
   */
  snapshot(): ModelSnapshot {
    return this.snapshotAt(this.deltaSeq);
  }

  private snapshotAt(deltaSeq: number): ModelSnapshot {
    for (const t of this._tasks.values()) t.sent = true;
    for (const f of this._futures.values()) f.sent = true;
    const sorted = <R, V>(map: ReadonlyMap<number, R>, view: (r: R) => V): V[] =>
      [...map.keys()].sort((a, b) => a - b).map((id) => view(map.get(id)!));
    return {
      v: MODEL_VERSION,
      deltaSeq,
      config: { ...this.config },
      meta: this.getMeta(),
      counts: this.getCounts(),
      sites: sorted(this._sites, (s) => s),
      loops: sorted(this._loops, loopView),
      tasks: sorted(this._tasks, taskView),
      futures: sorted(this._futures, futureView),
      queues: sorted(this._queues, queueView),
      syncs: sorted(this._syncs, syncView),
      timeline: this.timeline.snapshot(),
    };
  }
}

// ---- record → view ----------------------------------------------------------------------

const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

function taskView(t: TaskRec): TaskView {
  return {
    id: t.id,
    name: t.name,
    coro: t.coro,
    loop: t.loop,
    state: t.state,
    eager: t.eager,
    placeholder: t.placeholder,
    createdNs: t.createdNs,
    site: t.site,
    parent: t.parent,
    children: t.children === null ? [] : [...t.children],
    steps: t.steps,
    busyNs: t.busyNs,
    firstStepNs: nanToNull(t.firstStepNs),
    lastStepStartNs: nanToNull(t.lastStepStartNs),
    lastStepEndNs: nanToNull(t.lastStepEndNs),
    awaitingId: t.awaitingId,
    awaitingKind: t.awaitingKind,
    awaitedBy: t.awaitedBy === null ? [] : [...t.awaitedBy],
    everAwaitedBy: t.everAwaitedBy === null ? [] : [...t.everAwaitedBy],
    everAwaitedByOverflow: t.everAwaitedByOverflow,
    cancelRequest: t.cancelRequest,
    cancelRequests: t.cancelRequests,
    doneNs: t.doneNs,
    cancelMessage: t.cancelMessage,
    result: t.result,
    exception: t.exception,
  };
}

function futureView(f: FutureRec): FutureView {
  return {
    id: f.id,
    type: f.type,
    state: f.state,
    placeholder: f.placeholder,
    loop: f.loop,
    createdNs: f.createdNs,
    doneNs: f.doneNs,
    site: f.site,
    owner: f.owner,
    children: [...f.children],
    dueNs: f.dueNs,
    awaitedBy: f.awaitedBy === null ? [] : [...f.awaitedBy],
  };
}

function queueView(q: QueueRec): QueueView {
  return {
    id: q.id,
    type: q.type,
    maxsize: q.maxsize,
    site: q.site,
    placeholder: q.placeholder,
    createdNs: q.createdNs,
    sampledNs: q.sampledNs,
    size: q.size,
    items: [...q.items],
    getters: [...q.getters],
    putters: [...q.putters],
    puts: q.puts,
    gets: q.gets,
  };
}

function syncView(s: SyncRec): SyncView {
  return {
    id: s.id,
    type: s.type,
    site: s.site,
    placeholder: s.placeholder,
    createdNs: s.createdNs,
    sampledNs: s.sampledNs,
    state: s.state,
    waiters: [...s.waiters],
    holder: s.holder,
  };
}

function loopView(l: LoopRec): LoopView {
  return {
    id: l.id,
    thread: l.thread,
    cls: l.cls,
    state: l.state,
    placeholder: l.placeholder,
    createdNs: l.createdNs,
    closedNs: l.closedNs,
    iterations: l.iterations,
    sampledNs: l.sampledNs,
    ready: [...l.ready],
    readyTotal: l.readyTotal,
    timers: [...l.timers],
    timersTotal: l.timersTotal,
    pausedNs: l.pausedNs,
    pauseReason: l.pauseReason,
    runningTask: l.runningTask,
    blocked: [...l.blocked],
    blockedCount: l.blockedCount,
  };
}

/** The model's live records, as `model.tasks` etc. hand them out: read them, never mutate them. */
export type { TaskRec as TaskRecord, FutureRec as FutureRecord, QueueRec as QueueRecord, SyncRec as SyncRecord };
export type { LoopRec as LoopRecord };
