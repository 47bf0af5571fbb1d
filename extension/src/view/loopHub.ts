// What the loop views show, kept in the extension host: one source at a time
// (a live Loopscope debug session or a recorded trace), its state in a
// ModelMirror fed by the adapter's `loopscope/delta` events, and the views
// (the sidebar WebviewView, editor WebviewPanels) it is sent to with the
// messages of model/viewProtocol.ts: `state` when a view says `ready` (so a
// view that was hidden, reloaded or opened late gets everything), then the
// deltas, at most `updateRate` times a second. No `vscode` import: the
// providers and the session wiring pass plain callbacks in.

import type { Frame } from "../../../protocol/index";
import {
  LoopModel,
  ModelMirror,
  type ModelConfig,
  type ModelDelta,
  type ModelSnapshot,
  type TaskState,
} from "../../../model/index";
import {
  VIEW_PROTOCOL_VERSION,
  type HostToViewMessage,
  type ViewSession,
  type ViewToHostMessage,
} from "../../../model/viewProtocol";
import type { SessionEventBody, SessionPhase } from "../adapter/customProtocol";

/** A view the hub sends messages to. */
export interface ViewClient {
  post(msg: HostToViewMessage): void;
}

/** What a live debug session can do for the views (custom requests of adapter/customProtocol.ts). */
export interface LiveSession {
  snapshot(): Promise<ModelSnapshot>;
  cancelTask(task: number): Promise<void>;
  taskStack(task: number): Promise<Frame[]>;
  revealTask(task: number): Promise<{ file: string; line: number }>;
}

export interface HubHost {
  /** Open a file at a 1-based line in an editor. */
  reveal(file: string, line: number): void;
  /** Something the user should read (a failed cancel, a lost connection). */
  warn(text: string): void;
  log(text: string): void;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

export interface SourceSummary {
  readonly key: string;
  readonly kind: "live" | "trace";
  readonly label: string;
  readonly phase: SessionPhase | null;
  readonly ended: boolean;
  readonly exitCode: number | null;
  readonly tasks: Readonly<Record<TaskState, number>>;
  /** running / paused / closed loops, and "none" before the first one. */
  readonly loop: "running" | "paused" | "closed" | "none";
  /** Why the paused loop is parked ("pause", "breakpoint", "step", …), when one is. */
  readonly pauseReason: string | null;
}

interface Source {
  readonly key: string;
  readonly kind: "live" | "trace";
  readonly label: string;
  readonly mirror: ModelMirror;
  live: LiveSession | null;
  phase: SessionPhase | null;
  exitCode: number | null;
  ended: boolean;
  connected: boolean;
  /** A delta went missing: a snapshot is on its way; deltas meanwhile wait here. */
  resync: ModelDelta[] | null;
}

const KEEP_ENDED = 4;

export class LoopHub {
  private readonly sources = new Map<string, Source>();
  private currentKey: string | null = null;
  private readonly clients = new Map<ViewClient, { ready: boolean }>();
  private pending: ModelDelta[] = [];
  private flushTimer: { cancel(): void } | null = null;
  private lastFlushAt = 0;
  private readonly listeners: (() => void)[] = [];
  private selectedId: number | null = null;
  private traceCount = 0;

  constructor(
    private readonly host: HubHost,
    private updateRate: number,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- sources -----------------------------------------------------------------------

  /**
   * A Loopscope debug session started: it becomes what the views show. `config`: the session's
   * model configuration (its retention), which the adapter's model applies and the mirror follows.
   */
  addLive(key: string, label: string, live: LiveSession, config: Partial<ModelConfig> = {}): void {
    const src: Source = {
      key,
      kind: "live",
      label,
      mirror: ModelMirror.fromSnapshot(new LoopModel(config).snapshot()),
      live,
      phase: "starting",
      exitCode: null,
      ended: false,
      connected: true,
      resync: null,
    };
    this.sources.set(key, src);
    this.prune();
    this.makeCurrent(key);
  }

  /** A recorded trace was opened: it becomes what the views show. */
  showTrace(label: string, snapshot: ModelSnapshot): string {
    const key = `trace:${++this.traceCount}:${label}`;
    this.sources.set(key, {
      key,
      kind: "trace",
      label,
      mirror: ModelMirror.fromSnapshot(snapshot),
      live: null,
      phase: null,
      exitCode: snapshot.meta.exit?.code ?? null,
      ended: true,
      connected: false,
      resync: null,
    });
    this.prune();
    this.makeCurrent(key);
    return key;
  }

  /** Show another known source (the user focused another debug session). */
  makeCurrent(key: string): void {
    if (!this.sources.has(key)) return;
    if (this.currentKey === key) return;
    this.currentKey = key;
    this.pending = [];
    this.selectedId = null;
    this.broadcastState();
    this.changed();
  }

  hasSource(key: string): boolean {
    return this.sources.has(key);
  }

  get current(): SourceSummary | null {
    const s = this.currentSource();
    return s === null ? null : summarize(s);
  }

  /** The current source's mirror (read-only use: task pickers, reveal of a trace's task). */
  get currentMirror(): ModelMirror | null {
    return this.currentSource()?.mirror ?? null;
  }

  /** The task last selected in a view, if it is still known. */
  get selectedTask(): number | null {
    const m = this.currentMirror;
    return this.selectedId !== null && m !== null && m.tasks.has(this.selectedId) ? this.selectedId : null;
  }

  /** The live session behind the current source, while it can still be asked things. */
  get currentLive(): LiveSession | null {
    const s = this.currentSource();
    return s !== null && s.live !== null && s.connected && !s.ended ? s.live : null;
  }

  onDidChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  setUpdateRate(rate: number): void {
    this.updateRate = rate;
  }

  // ---- the adapter's events ------------------------------------------------------------

  delta(key: string, delta: ModelDelta): void {
    const src = this.sources.get(key);
    if (src === undefined) return;
    if (src.resync !== null) {
      src.resync.push(delta);
      return;
    }
    if (!src.mirror.applyDelta(delta)) {
      this.host.log(`delta ${delta.seq} does not follow ${src.mirror.deltaSeq}: asking the adapter for a snapshot`);
      this.resync(src, [delta]);
      return;
    }
    if (key !== this.currentKey) return;
    this.pending.push(delta);
    this.scheduleFlush();
  }

  session(key: string, body: SessionEventBody): void {
    const src = this.sources.get(key);
    if (src === undefined) return;
    src.phase = body.phase;
    src.connected = body.connected;
    if (body.exitCode !== null) src.exitCode = body.exitCode;
    if (body.phase === "ended") src.ended = true;
    this.sessionChanged(src);
  }

  /** The debug session is over (terminated, or the adapter went away). */
  endLive(key: string): void {
    const src = this.sources.get(key);
    if (src === undefined || src.ended) return;
    src.ended = true;
    src.connected = false;
    src.phase = "ended";
    this.sessionChanged(src);
  }

  private resync(src: Source, waiting: ModelDelta[]): void {
    const live = src.live;
    if (live === null) return;
    src.resync = waiting;
    live.snapshot().then(
      (snap) => {
        const later = src.resync ?? [];
        src.resync = null;
        src.mirror.reset(snap);
        for (const d of later) if (!src.mirror.applyDelta(d)) break;
        if (src.key === this.currentKey) {
          this.pending = [];
          this.broadcastState();
          this.changed();
        }
      },
      (err: unknown) => {
        src.resync = null;
        this.host.log(`snapshot failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  // ---- views ---------------------------------------------------------------------------

  /** A view appeared (its `ready` comes later). */
  attach(client: ViewClient): void {
    this.clients.set(client, { ready: false });
  }

  detach(client: ViewClient): void {
    this.clients.delete(client);
  }

  /** A message from a view (already checked with parseViewMessage). */
  receive(client: ViewClient, msg: ViewToHostMessage): void {
    switch (msg.kind) {
      case "ready":
        this.clients.set(client, { ready: true });
        this.sendState(client);
        return;
      case "resync":
        this.host.log(`a view asked for the whole state again: ${msg.reason}`);
        this.sendState(client);
        return;
      case "select":
        this.select(msg.id);
        return;
      case "reveal":
        this.host.reveal(msg.file, Math.max(1, msg.line));
        return;
      case "cancelTask":
        void this.cancelTask(msg.task);
        return;
    }
  }

  /** Cancels a task of the current live session; the outcome shows in the views. */
  async cancelTask(task: number): Promise<boolean> {
    const live = this.currentLive;
    if (live === null) {
      this.host.warn("Loopscope: tasks can be cancelled only while their debug session runs.");
      return false;
    }
    try {
      await live.cancelTask(task);
      return true;
    } catch (err) {
      this.host.warn(`Loopscope: could not cancel the task: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  /** Where a task is: its live frame when the session can say, else where it was created. */
  async locateTask(task: number): Promise<{ file: string; line: number } | null> {
    const live = this.currentLive;
    if (live !== null) {
      try {
        return await live.revealTask(task);
      } catch (err) {
        this.host.log(`revealTask ${task}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const m = this.currentMirror;
    const t = m?.tasks.get(task);
    const site = t === undefined || m === null ? null : m.siteOf(t.site);
    return site === null ? null : { file: site.file, line: site.line };
  }

  private select(id: number | null): void {
    this.selectedId = id;
    this.changed();
    const live = this.currentLive;
    const m = this.currentMirror;
    if (id === null || live === null || m === null) return;
    const t = m.tasks.get(id);
    if (t === undefined || (t.state !== "pending" && t.state !== "running")) return;
    const key = this.currentKey;
    live.taskStack(id).then(
      (frames) => {
        if (this.currentKey !== key) return;
        this.broadcast({ v: VIEW_PROTOCOL_VERSION, kind: "stack", task: id, frames });
      },
      (err: unknown) => this.host.log(`taskStack ${id}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private sendState(client: ViewClient): void {
    const src = this.currentSource();
    if (src === null) return;
    client.post({
      v: VIEW_PROTOCOL_VERSION,
      kind: "state",
      snapshot: src.mirror.snapshot(),
      session: viewSession(src),
    });
  }

  private broadcastState(): void {
    for (const [client, st] of this.clients) if (st.ready) this.sendState(client);
  }

  private broadcast(msg: HostToViewMessage): void {
    for (const [client, st] of this.clients) if (st.ready) client.post(msg);
  }

  private sessionChanged(src: Source): void {
    if (src.key !== this.currentKey) return;
    this.flush(); // the views see the state the session is in when they hear of its phase
    this.broadcast({ v: VIEW_PROTOCOL_VERSION, kind: "session", session: viewSession(src) });
    this.changed();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    const interval = 1000 / this.updateRate;
    const wait = Math.max(0, this.lastFlushAt + interval - this.now());
    this.flushTimer = this.host.setTimer(() => {
      this.flushTimer = null;
      this.flush();
    }, wait);
  }

  /** Sends the deltas gathered since the last update to every ready view. */
  flush(): void {
    if (this.flushTimer !== null) {
      this.flushTimer.cancel();
      this.flushTimer = null;
    }
    this.lastFlushAt = this.now();
    const out = this.pending;
    this.pending = [];
    for (const delta of out) this.broadcast({ v: VIEW_PROTOCOL_VERSION, kind: "delta", delta });
    if (out.length > 0) this.changed();
  }

  private currentSource(): Source | null {
    return this.currentKey === null ? null : (this.sources.get(this.currentKey) ?? null);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Forgets the oldest ended sources beyond a few (their mirrors can be large). */
  private prune(): void {
    const ended = [...this.sources.values()].filter((s) => s.ended && s.key !== this.currentKey);
    for (const s of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) this.sources.delete(s.key);
  }

  dispose(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
    this.clients.clear();
  }
}

function viewSession(src: Source): ViewSession {
  return {
    source: src.kind,
    label: src.label,
    canCancel: src.kind === "live" && src.connected && !src.ended,
    canReveal: true,
    ended: src.ended,
  };
}

function summarize(src: Source): SourceSummary {
  const loops = [...src.mirror.loops.values()];
  let loop: SourceSummary["loop"] = "none";
  const paused = loops.find((l) => l.state === "paused");
  if (paused !== undefined) loop = "paused";
  else if (loops.some((l) => l.state === "running")) loop = "running";
  else if (loops.length > 0) loop = "closed";
  return {
    key: src.key,
    kind: src.kind,
    label: src.label,
    phase: src.phase,
    ended: src.ended,
    exitCode: src.exitCode,
    tasks: src.mirror.counts.tasks,
    loop,
    pauseReason: paused?.pauseReason ?? null,
  };
}

/** The status bar's words for a source: tasks pending/running and the loop's state. */
export function statusText(s: SourceSummary): { text: string; tooltip: string } {
  const { pending, running } = s.tasks;
  let state: string;
  if (s.ended) state = s.exitCode === null ? "ended" : `exited (${s.exitCode})`;
  // Paused by "Pause Loop" (between two callbacks): say so; any other stop (a breakpoint, a step…) is "stopped".
  else if (s.phase === "stopped") state = s.loop === "paused" && s.pauseReason === "pause" ? "loop paused" : "stopped";
  else if (s.loop === "paused") state = "loop paused";
  else if (s.loop === "running") state = "loop running";
  else if (s.loop === "closed") state = "loop closed";
  else state = "starting";
  const tasks = `${pending} pending, ${running} running`;
  return {
    text: `Loopscope: ${tasks} · ${state}`,
    tooltip: `${s.label}\n${tasks}; done ${s.tasks.done}, cancelled ${s.tasks.cancelled}, failed ${s.tasks.failed}\n${state}\nClick to open the loop view`,
  };
}
