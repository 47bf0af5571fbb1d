// The loop model's public shapes: the plain, JSON-serialisable views of every
// object, the snapshot and the delta (the extension ⇄ webview payload), the
// counters and the configuration. Pure data: no `vscode`, no DOM.

import type { ExceptionInfo, Frame, ReadyItem, TimerItem } from "../protocol/index";

/**
 * Version of the snapshot/delta payload defined in this file. Bump it on any
 * change to these shapes; a mirror refuses a payload of another version.
 */
export const MODEL_VERSION = 1;

export type TaskState = "pending" | "running" | "done" | "cancelled" | "failed";
export type FinishedState = "done" | "cancelled" | "failed";
export type FutureState = "pending" | FinishedState;
export type LoopState = "running" | "paused" | "closed";

export const TASK_STATES: readonly TaskState[] = ["pending", "running", "done", "cancelled", "failed"];
export const FUTURE_STATES: readonly FutureState[] = ["pending", "done", "cancelled", "failed"];

/** A code location (`site/def`). Tasks, futures, queues and primitives refer to it by id. */
export interface SiteView {
  readonly id: number;
  readonly file: string;
  readonly line: number;
  readonly func: string;
}

/** Who asked for a task's cancellation (`task/cancel-requested`). */
export interface CancelRequestView {
  readonly ts: number;
  /** The task that called cancel(), or null (a callback, a timer, another thread). */
  readonly byTask: number | null;
  /** Site id of the cancel() call, resolve with `siteOf`. */
  readonly bySite: number | null;
  readonly message: string | null;
}

/**
 * What a task currently awaits is described by (awaitingId, awaitingKind):
 * the kind is "task" for a task, the future's type ("gather", "queue-get",
 * "sleep", …) for a future, "queue" / "sync" for a queue or primitive id,
 * and "unknown" for an id the model has not (or no longer) seen.
 */
export type AwaitKind = string;

export interface TaskView {
  readonly id: number;
  readonly name: string;
  readonly coro: string;
  readonly loop: number;
  /** "running": see LoopModel's doc, the task a paused or blocked loop stands in. */
  readonly state: TaskState;
  readonly eager: boolean;
  /** True while only later events named this task (its `task/created` was not seen). */
  readonly placeholder: boolean;
  readonly createdNs: number | null;
  /** Site id of the create_task call. */
  readonly site: number | null;
  readonly parent: number | null;
  /** Retained tasks whose parent is this task, in creation order. */
  readonly children: number[];
  readonly steps: number;
  readonly busyNs: number;
  readonly firstStepNs: number | null;
  readonly lastStepStartNs: number | null;
  readonly lastStepEndNs: number | null;
  readonly awaitingId: number | null;
  readonly awaitingKind: AwaitKind | null;
  /** Tasks whose latest step left them awaiting this task. */
  readonly awaitedBy: number[];
  /** Every task that ever awaited this one, first ones first, at most `everAwaitedByCap`. */
  readonly everAwaitedBy: number[];
  /** How many more awaiters there were beyond `everAwaitedBy`. */
  readonly everAwaitedByOverflow: number;
  /** The first cancel request; `cancelRequests` counts them all. */
  readonly cancelRequest: CancelRequestView | null;
  readonly cancelRequests: number;
  readonly doneNs: number | null;
  readonly cancelMessage: string | null;
  readonly result: string | null;
  readonly exception: ExceptionInfo | null;
}

export interface FutureView {
  readonly id: number;
  /** future, gather, shield, sleep, queue-get, queue-put, lock, event, … ("unknown" for a placeholder). */
  readonly type: string;
  readonly state: FutureState;
  readonly placeholder: boolean;
  readonly loop: number | null;
  readonly createdNs: number | null;
  readonly doneNs: number | null;
  readonly site: number | null;
  /** The queue or primitive it belongs to. */
  readonly owner: number | null;
  /** What a gather / wait / shield collects. */
  readonly children: number[];
  readonly dueNs: number | null;
  /** Tasks whose latest step left them awaiting this future. */
  readonly awaitedBy: number[];
}

export interface QueueView {
  readonly id: number;
  readonly type: string;
  readonly maxsize: number;
  readonly site: number | null;
  readonly placeholder: boolean;
  readonly createdNs: number | null;
  /** ts of the last `queue/sample`; null before the first. */
  readonly sampledNs: number | null;
  readonly size: number;
  readonly items: string[];
  /** Ids (futures or tasks) waiting to get / to put, as the last sample listed them. */
  readonly getters: number[];
  readonly putters: number[];
  readonly puts: number;
  readonly gets: number;
}

export interface SyncView {
  readonly id: number;
  /** Lock, Event, Semaphore, BoundedSemaphore, Condition. */
  readonly type: string;
  readonly site: number | null;
  readonly placeholder: boolean;
  readonly createdNs: number | null;
  readonly sampledNs: number | null;
  /** locked/unlocked, set/clear, or the semaphore counter; "" before the first sample. */
  readonly state: string;
  readonly waiters: number[];
  /** The task holding a Lock (or a Condition's lock), when the runtime knows it. */
  readonly holder: number | null;
}

/** A callback held the loop too long (`loop/blocked`); repeated reports of one episode are merged. */
export interface BlockedEpisode {
  readonly loop: number;
  /** As sent: where the runtime placed the episode. The model treats [ts, ts+durationNs] as its span. */
  readonly ts: number;
  readonly durationNs: number;
  readonly task: number | null;
  readonly stack: Frame[];
}

export interface LoopView {
  readonly id: number;
  readonly thread: string;
  readonly cls: string;
  readonly state: LoopState;
  readonly placeholder: boolean;
  readonly createdNs: number | null;
  readonly closedNs: number | null;
  readonly iterations: number;
  readonly sampledNs: number | null;
  readonly ready: ReadyItem[];
  readonly readyTotal: number;
  readonly timers: TimerItem[];
  readonly timersTotal: number;
  readonly pausedNs: number | null;
  readonly pauseReason: string | null;
  /** The task shown as "running" (see LoopModel), or null. */
  readonly runningTask: number | null;
  /** Most recent blocked episodes, oldest first, at most `blockedEpisodesPerLoop`. */
  readonly blocked: BlockedEpisode[];
  /** All blocked episodes ever reported for this loop (merged reports count once). */
  readonly blockedCount: number;
}

export interface SessionInfo {
  readonly protocol: string | null;
  readonly role: string | null;
  readonly python: string | null;
  readonly pid: number | null;
  /** The runtime's monotonic clock at its origin; every ts is relative to it. */
  readonly originNs: number | null;
  readonly argv: string[] | null;
}

/** Things in the input that should not happen; counted, never thrown. */
export interface AnomalyCounts {
  /** An event named a task never created (a placeholder was made). */
  unknownTask: number;
  unknownFuture: number;
  unknownLoop: number;
  unknownQueue: number;
  unknownSync: number;
  /** A create/done/def event repeated for the same id. */
  duplicate: number;
  /** A step overlapping the task's previous step (a repeat or out of order): ignored. */
  stepOverlap: number;
  /** An event about an object evicted a moment ago (e.g. a late step): ignored. */
  lateForEvicted: number;
  /** A value outside its domain (unknown state string, task/steps data not a multiple of 4, end < start, negative ts). */
  badValue: number;
  /** An events/batch whose seq was not above the last one: skipped whole. */
  duplicateBatch: number;
  /** Batches missing between two seqs. */
  seqGap: number;
  /** An event or message of a kind this model does not know: ignored. */
  unknownKind: number;
}

export const NO_ANOMALIES: Readonly<AnomalyCounts> = Object.freeze({
  unknownTask: 0,
  unknownFuture: 0,
  unknownLoop: 0,
  unknownQueue: 0,
  unknownSync: 0,
  duplicate: 0,
  stepOverlap: 0,
  lateForEvicted: 0,
  badValue: 0,
  duplicateBatch: 0,
  seqGap: 0,
  unknownKind: 0,
});

export interface ModelCounts {
  /** Every task ever seen, by current state, evicted ones included. */
  tasks: Record<TaskState, number>;
  /** Finished tasks no longer retained, by state (a part of `tasks`). */
  tasksEvicted: Record<FinishedState, number>;
  /** Every future ever seen, by current state, evicted ones included. */
  futures: Record<FutureState, number>;
  futuresEvicted: Record<FutureState, number>;
  queues: number;
  queuesEvicted: number;
  syncs: number;
  syncsEvicted: number;
  loops: number;
  /** Sum over loops of the last sampled iteration count. */
  iterations: number;
  /** Task steps folded. */
  steps: number;
  /** Events folded; each packed step counts as one. */
  events: number;
  /** Events the runtime reported it dropped (its bounded buffer was full). */
  dropped: number;
  anomalies: AnomalyCounts;
}

export interface ModelMeta {
  readonly session: SessionInfo;
  readonly exit: { readonly code: number; readonly ts: number } | null;
  readonly runtimeError: { readonly ts: number; readonly message: string; readonly traceback: string } | null;
  /** seq of the last events/batch folded. */
  readonly lastSeq: number | null;
  /** Largest timestamp seen in any event (ns since origin); 0 before any. */
  readonly lastTs: number;
}

export interface ModelConfig {
  /** Finished tasks kept with full detail; older ones are evicted into counters. */
  finishedTaskRetention: number;
  /** Finished futures kept with full detail. */
  finishedFutureRetention: number;
  /** Hard cap on futures of any state (the runtime may never report some as done); oldest go first. */
  maxFutures: number;
  /** Caps on queues and primitives (their end of life is not on the wire); oldest go first. */
  maxQueues: number;
  maxSyncs: number;
  /** Run slices kept per task (a ring: the newest stay). */
  slicesPerTask: number;
  /** Run slices kept over all tasks (the oldest go first). */
  slicesTotal: number;
  blockedEpisodesPerLoop: number;
  everAwaitedByCap: number;
  /** How many evicted ids are remembered, so late events about them are ignored instead of resurrecting them. */
  evictedMemory: number;
  /** Record changes for takeDelta(). Off for pure replay. */
  trackChanges: boolean;
  /**
   * Past this many pending removals or timeline ops — or more run slices than
   * the timeline holds (`slicesTotal`) — the next delta carries a full snapshot instead.
   */
  maxPendingChanges: number;
}

export const DEFAULT_CONFIG: Readonly<ModelConfig> = Object.freeze({
  finishedTaskRetention: 1000,
  finishedFutureRetention: 1000,
  maxFutures: 50_000,
  maxQueues: 10_000,
  maxSyncs: 10_000,
  slicesPerTask: 256,
  slicesTotal: 200_000,
  blockedEpisodesPerLoop: 64,
  everAwaitedByCap: 32,
  evictedMemory: 8192,
  trackChanges: true,
  maxPendingChanges: 250_000,
});

/** The timeline as plain data (see Timeline). */
export interface TimelineSnapshot {
  readonly perTask: number;
  readonly total: number;
  /** Ops (appends and drops) applied so far. */
  readonly opSeq: number;
  /** Per task: [start, end, gseq] triples, oldest first. */
  readonly tasks: { readonly task: number; readonly slices: number[] }[];
  /** The global eviction queue, oldest first: [task, gseq] pairs. */
  readonly fifo: number[];
}

/** The whole model state, JSON-serialisable; every list sorted by id. */
export interface ModelSnapshot {
  readonly v: typeof MODEL_VERSION;
  /** Number of the last delta taken before this snapshot; the next delta to apply is deltaSeq + 1. */
  readonly deltaSeq: number;
  readonly config: ModelConfig;
  readonly meta: ModelMeta;
  readonly counts: ModelCounts;
  readonly sites: SiteView[];
  readonly loops: LoopView[];
  readonly tasks: TaskView[];
  readonly futures: FutureView[];
  readonly queues: QueueView[];
  readonly syncs: SyncView[];
  readonly timeline: TimelineSnapshot;
}

/**
 * What changed since the previous delta. Apply in this order: `full` (if
 * present it replaces everything and the rest is empty), removals, upserts,
 * task step figures, timeline ops, then meta and counts.
 */
export interface ModelDelta {
  readonly v: typeof MODEL_VERSION;
  readonly seq: number;
  readonly full: ModelSnapshot | null;
  readonly meta: ModelMeta;
  readonly counts: ModelCounts;
  readonly sites: SiteView[];
  readonly loops: LoopView[];
  /** Tasks that changed in more than their step figures: whole views. */
  readonly tasks: TaskView[];
  /**
   * Tasks whose only changes are step figures, as flat 7-tuples: [id, steps,
   * busyNs, firstStepNs, lastStepStartNs, lastStepEndNs, awaitingId] (-1 for
   * a null time, 0 for no awaitingId); `taskStatKinds[i]` is the i-th task's
   * awaitingKind. Apply after `tasks`.
   */
  readonly taskStats: number[];
  readonly taskStatKinds: (string | null)[];
  readonly futures: FutureView[];
  readonly queues: QueueView[];
  readonly syncs: SyncView[];
  readonly removed: {
    readonly tasks: number[];
    readonly futures: number[];
    readonly queues: number[];
    readonly syncs: number[];
  };
  /** Index (in ops) of the first op in `timeline`. */
  readonly timelineFrom: number;
  /** Timeline ops, flat triples: [task, start, end] appends a slice; [task, -1, -1] drops the task's slices. */
  readonly timeline: number[];
}

export type { ExceptionInfo, Frame, ReadyItem, TimerItem };
