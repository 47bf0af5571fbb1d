// Builders of protocol messages, typed by the generated protocol types (a
// renamed field fails to compile here), and a synthesiser of realistic
// recorded streams for tests and benchmarks. Not used by the model itself.

import {
  PROTOCOL_VERSION,
  type EventOf,
  type EventsBatchMessage,
  type LoopEvent,
  type SessionHelloMessage,
  type WireMessage,
} from "../protocol/index";

export function hello(over: Partial<SessionHelloMessage> = {}): SessionHelloMessage {
  return {
    kind: "session/hello",
    protocol: PROTOCOL_VERSION,
    token: "tok",
    role: "runtime",
    python: "3.12.3",
    pid: 4242,
    origin_ns: 5_000_000,
    argv: ["prog.py", "--x"],
    ...over,
  };
}

/** Numbers batches 1, 2, 3, … per Batcher. */
export class Batcher {
  seq = 0;
  dropped = 0;
  batch(...events: LoopEvent[]): EventsBatchMessage {
    return { kind: "events/batch", seq: ++this.seq, events, dropped: this.dropped };
  }
}

export const site = (id: number, file: string, line: number, func: string): EventOf<"site/def"> => ({
  kind: "site/def",
  site: id,
  file,
  line,
  func,
});

export const loopCreated = (loop: number, ts = 0, thread = "MainThread"): EventOf<"loop/created"> => ({
  kind: "loop/created",
  loop,
  ts,
  thread,
  cls: "_UnixSelectorEventLoop",
});

export function taskCreated(
  task: number,
  loop: number,
  ts: number,
  over: Partial<Omit<EventOf<"task/created">, "kind" | "task" | "loop" | "ts">> = {},
): EventOf<"task/created"> {
  return {
    kind: "task/created",
    task,
    loop,
    ts,
    name: `Task-${task}`,
    coro: `coro${task}`,
    site: null,
    parent: null,
    eager: false,
    ...over,
  };
}

/** task/steps from [task, start, end, wait] tuples. */
export const steps = (loop: number, ...tuples: [number, number, number, number][]): EventOf<"task/steps"> => ({
  kind: "task/steps",
  loop,
  data: tuples.flat(),
});

export const taskDone = (
  task: number,
  ts: number,
  state: string,
  over: Partial<Omit<EventOf<"task/done">, "kind" | "task" | "ts" | "state">> = {},
): EventOf<"task/done"> => ({
  kind: "task/done",
  task,
  ts,
  state,
  result: null,
  exception: null,
  cancel_message: null,
  ...over,
});

export const cancelRequested = (
  task: number,
  ts: number,
  byTask: number | null,
  bySite: number | null,
  message: string | null,
): EventOf<"task/cancel-requested"> => ({
  kind: "task/cancel-requested",
  task,
  ts,
  by_task: byTask,
  by_site: bySite,
  message,
});

export function futureCreated(
  future: number,
  ts: number,
  type: string,
  over: Partial<Omit<EventOf<"future/created">, "kind" | "future" | "ts" | "type">> = {},
): EventOf<"future/created"> {
  return {
    kind: "future/created",
    future,
    loop: 1,
    ts,
    type,
    site: null,
    owner: null,
    children: [],
    due_ns: null,
    ...over,
  };
}

export const futureDone = (future: number, ts: number, state: string): EventOf<"future/done"> => ({
  kind: "future/done",
  future,
  ts,
  state,
});

export const queueCreated = (queue: number, ts: number, maxsize = 0, type = "Queue"): EventOf<"queue/created"> => ({
  kind: "queue/created",
  queue,
  ts,
  type,
  maxsize,
  site: null,
});

export function queueSample(
  queue: number,
  ts: number,
  over: Partial<Omit<EventOf<"queue/sample">, "kind" | "queue" | "ts">> = {},
): EventOf<"queue/sample"> {
  return { kind: "queue/sample", queue, ts, size: 0, items: [], getters: [], putters: [], puts: 0, gets: 0, ...over };
}

export const syncCreated = (prim: number, ts: number, type = "Lock"): EventOf<"sync/created"> => ({
  kind: "sync/created",
  prim,
  ts,
  type,
  site: null,
});

export const syncSample = (
  prim: number,
  ts: number,
  state: string,
  waiters: number[],
  holder?: number | null,
): EventOf<"sync/sample"> => ({
  kind: "sync/sample",
  prim,
  ts,
  state,
  waiters,
  ...(holder === undefined ? {} : { holder }),
});

export function loopSample(
  loop: number,
  ts: number,
  iterations: number,
  over: Partial<Omit<EventOf<"loop/sample">, "kind" | "loop" | "ts" | "iterations">> = {},
): EventOf<"loop/sample"> {
  return { kind: "loop/sample", loop, ts, iterations, ready: [], timers: [], ready_total: 0, timers_total: 0, ...over };
}

export const loopBlocked = (
  loop: number,
  ts: number,
  durationNs: number,
  task: number | null,
): EventOf<"loop/blocked"> => ({
  kind: "loop/blocked",
  loop,
  ts,
  duration_ns: durationNs,
  task,
  stack: [{ file: "/app/x.py", line: 7, func: "busy" }],
});

/** A deterministic PRNG (mulberry32) for randomised sequences. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SynthOptions {
  /** Tasks created over the run (default 20,000). */
  tasks?: number;
  /** Steps per task (default 10). */
  stepsPerTask?: number;
  /** Tasks alive at once; new ones start as old ones finish (default 1,000). */
  concurrency?: number;
  /** Every how many awaits one awaits a new future (sleep / queue-get / lock), the others yield (default 2). */
  futureEvery?: number;
  /** Events per events/batch (default 2,000; packed steps count one each). */
  batchEvents?: number;
  /** Steps per task/steps event (default 256). */
  packSteps?: number;
  /**
   * Futures as the runtime sends them (default true): future/created-batch
   * first in a batch, future/done-batch last; false: one future/created or
   * future/done event each, in time order.
   */
  packedFutures?: boolean;
  seed?: number;
}

export interface SynthStream {
  /** session/hello, the batches, program/exit. */
  readonly messages: WireMessage[];
  /** Events in all batches, each packed step counted once. */
  readonly events: number;
  readonly steps: number;
}

/**
 * A realistic recorded stream: one loop, a main task creating `tasks`
 * workers (at most `concurrency` alive), each running `stepsPerTask` steps
 * that await sleep / queue-get / lock futures (created and resolved on the
 * wire) or yield; a few cancelled and failed; queue, lock and loop samples
 * along the way. Deterministic for a seed.
 */
export function synthStream(opts: SynthOptions = {}): SynthStream {
  const nTasks = opts.tasks ?? 20_000;
  const nSteps = Math.max(1, opts.stepsPerTask ?? 10);
  const conc = Math.max(1, opts.concurrency ?? 1000);
  const futureEvery = Math.max(1, opts.futureEvery ?? 2);
  const batchEvents = opts.batchEvents ?? 2000;
  const pack = opts.packSteps ?? 256;
  const rand = rng(opts.seed ?? 1);
  const packedFutures = opts.packedFutures ?? true;
  const FTYPES = ["sleep", "queue-get", "lock"];

  const messages: WireMessage[] = [hello()];
  const b = new Batcher();
  let pending: LoopEvent[] = [];
  let pendingCount = 0;
  let stepBuf: number[] = [];
  let futCreated: number[] = [];
  let futDone: number[] = [];
  let events = 0;
  let totalSteps = 0;
  const flushSteps = (): void => {
    if (stepBuf.length === 0) return;
    pending.push({ kind: "task/steps", loop: 1, data: stepBuf });
    pendingCount += stepBuf.length / 4;
    stepBuf = [];
  };
  const emit = (ev: LoopEvent): void => {
    flushSteps();
    pending.push(ev);
    pendingCount++;
  };
  const maybeFlushBatch = (force: boolean): void => {
    if (!force && pendingCount < batchEvents) return;
    flushSteps();
    if (futCreated.length > 0) {
      pending.unshift({ kind: "future/created-batch", loop: 1, types: FTYPES, data: futCreated });
      futCreated = [];
    }
    if (futDone.length > 0) {
      pending.push({ kind: "future/done-batch", data: futDone });
      futDone = [];
    }
    if (pending.length === 0) return;
    events += pendingCount;
    messages.push(b.batch(...pending));
    pending = [];
    pendingCount = 0;
  };
  const futureMade = (id: number, ts: number, k: number, owner: number, due: number | null): void => {
    if (packedFutures) {
      futCreated.push(id, ts, k, k === 0 ? 3 : 0, owner, due ?? -1);
      pendingCount++;
    } else {
      emit(futureCreated(id, ts, FTYPES[k]!, { site: k === 0 ? 3 : null, owner: owner || null, due_ns: due }));
    }
  };
  const futureFinished = (id: number, ts: number): void => {
    if (packedFutures) {
      futDone.push(id, ts, 0);
      pendingCount++;
    } else {
      emit(futureDone(id, ts, "done"));
    }
  };

  let now = 1000;
  let nextId = 100;
  const MAIN = nextId++;
  const QUEUE = nextId++;
  const LOCK = nextId++;
  emit(site(1, "/app/main.py", 10, "main"));
  emit(site(2, "/app/worker.py", 22, "worker"));
  emit(site(3, "/app/worker.py", 30, "worker"));
  emit(loopCreated(1, now));
  emit(taskCreated(MAIN, 1, now, { name: "main", coro: "main", site: 1 }));
  emit(queueCreated(QUEUE, now, 100));
  emit(syncCreated(LOCK, now, "Lock"));

  // Live workers: id, steps done, the future it awaits (0 if none).
  const live: { id: number; done: number; waits: number }[] = [];
  let created = 0;
  while (created < nTasks || live.length > 0) {
    // The main task tops the pool up.
    if (created < nTasks && live.length < conc) {
      const start = now;
      while (created < nTasks && live.length < conc) {
        const id = nextId++;
        created++;
        emit(taskCreated(id, 1, now, { name: `worker-${created}`, coro: "worker", site: 2, parent: MAIN }));
        live.push({ id, done: 0, waits: 0 });
        now += 200;
      }
      stepBuf.push(MAIN, start, now, 0);
      totalSteps++;
    }
    // One round over the live workers.
    for (let i = 0; i < live.length; i++) {
      const w = live[i]!;
      if (w.waits !== 0) {
        futureFinished(w.waits, now);
        w.waits = 0;
      }
      const start = now;
      now += 2000 + Math.floor(rand() * 3000);
      w.done++;
      if (w.done === nSteps) {
        stepBuf.push(w.id, start, now, 0);
        totalSteps++;
        if (stepBuf.length >= pack * 4) flushSteps();
        const r = rand();
        if (r < 0.02) {
          emit(cancelRequested(w.id, now, MAIN, 3, "shutdown"));
          emit(taskDone(w.id, now + 10, "cancelled", { cancel_message: "shutdown" }));
        } else if (r < 0.03) {
          emit(
            taskDone(w.id, now + 10, "failed", {
              exception: {
                type: "ValueError",
                message: "bad item",
                traceback: [{ file: "/app/worker.py", line: 31, func: "worker" }],
              },
            }),
          );
        } else {
          emit(taskDone(w.id, now + 10, "done", { result: String(w.done) }));
        }
        live[i] = live[live.length - 1]!;
        live.pop();
        i--;
      } else {
        let wait = 0;
        if (w.done % futureEvery === 0) {
          wait = nextId++;
          const k = w.done % 3;
          futureMade(wait, now, k, k === 1 ? QUEUE : k === 2 ? LOCK : 0, k === 0 ? now + 1_000_000 : null);
          w.waits = wait;
        }
        stepBuf.push(w.id, start, now, wait);
        totalSteps++;
        if (stepBuf.length >= pack * 4) flushSteps();
      }
      if (totalSteps % 500 === 0) {
        const getters = live
          .slice(0, 8)
          .map((x) => x.waits)
          .filter((x) => x !== 0);
        emit(
          queueSample(QUEUE, now, {
            size: totalSteps % 7,
            items: ["'job'"],
            getters,
            puts: totalSteps,
            gets: totalSteps - 3,
          }),
        );
        emit(syncSample(LOCK, now, totalSteps % 2 === 0 ? "locked" : "unlocked", getters.slice(0, 2)));
      }
      if (totalSteps % 2000 === 0) {
        emit(
          loopSample(1, now, totalSteps, {
            ready: live.slice(0, 5).map((x) => ({ kind: "task", task: x.id, func: "Task.__step" })),
            ready_total: live.length,
          }),
        );
      }
      maybeFlushBatch(false);
    }
  }
  stepBuf.push(MAIN, now, now + 100, 0);
  totalSteps++;
  emit(taskDone(MAIN, now + 200, "done", { result: "None" }));
  emit({ kind: "loop/closed", loop: 1, ts: now + 300 });
  maybeFlushBatch(true);
  messages.push({ kind: "program/exit", code: 0, ts: now + 400 });
  return { messages, events, steps: totalSteps };
}
