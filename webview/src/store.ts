// The view's state: the model mirror (rebuilt from the host's snapshot and
// deltas), the session, the selection and the UI settings. Views read it and
// are told what changed; renders are batched to at most ~30 a second.

import { ModelMirror, ModelVersionError } from "../../model/mirror";
import type { DeadlockCycle } from "../../model/graph";
import type { Frame } from "../../protocol/index";
import { TASK_STATES, type TaskState } from "../../model/types";
import {
  VIEW_PROTOCOL_VERSION,
  parseHostMessage,
  type ViewSession,
  type ViewToHostMessage,
} from "../../model/viewProtocol";

export interface HostApi {
  postMessage(msg: ViewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export type Tab = "tasks" | "graph" | "queues" | "timeline";
export const TABS: readonly Tab[] = ["tasks", "graph", "queues", "timeline"];

export type SortKey = "id" | "name" | "coro" | "state" | "awaiting" | "steps" | "busy" | "age";

export interface UiState {
  tab: Tab;
  /** Task states shown in the table. */
  states: TaskState[];
  text: string;
  hideFinished: boolean;
  sortKey: SortKey;
  sortDesc: boolean;
  /** Graph: draw "created by" edges. */
  createdBy: boolean;
  /** Graph: only the selection's neighbourhood. */
  focus: boolean;
  /** Graph: finished tasks too. */
  graphFinished: boolean;
  legend: boolean;
}

export const DEFAULT_UI: Readonly<UiState> = Object.freeze({
  tab: "tasks",
  states: [...TASK_STATES],
  text: "",
  hideFinished: false,
  sortKey: "id",
  sortDesc: false,
  createdBy: true,
  focus: false,
  graphFinished: false,
  legend: true,
});

export interface Changes {
  /** The model changed (a delta or a new state). */
  data: boolean;
  /** A whole new state replaced the mirror. */
  reset: boolean;
  selection: boolean;
  ui: boolean;
  session: boolean;
  stack: boolean;
}

const noChanges = (): Changes => ({
  data: false,
  reset: false,
  selection: false,
  ui: false,
  session: false,
  stack: false,
});

const MIN_FRAME_MS = 33;

function restoreUi(saved: unknown): UiState {
  const ui: UiState = { ...DEFAULT_UI, states: [...DEFAULT_UI.states] };
  if (typeof saved !== "object" || saved === null) return ui;
  const s = saved as Partial<Record<keyof UiState, unknown>>;
  if (typeof s.tab === "string" && (TABS as readonly string[]).includes(s.tab)) ui.tab = s.tab as Tab;
  if (Array.isArray(s.states)) ui.states = TASK_STATES.filter((x) => (s.states as unknown[]).includes(x));
  if (typeof s.text === "string") ui.text = s.text;
  for (const k of ["hideFinished", "sortDesc", "createdBy", "focus", "graphFinished", "legend"] as const) {
    if (typeof s[k] === "boolean") ui[k] = s[k] as boolean;
  }
  const keys: SortKey[] = ["id", "name", "coro", "state", "awaiting", "steps", "busy", "age"];
  if (typeof s.sortKey === "string" && (keys as string[]).includes(s.sortKey)) ui.sortKey = s.sortKey as SortKey;
  return ui;
}

export class Store {
  mirror: ModelMirror | null = null;
  session: ViewSession | null = null;
  selected: number | null = null;
  readonly stacks = new Map<number, Frame[]>();
  ui: UiState;
  /** Shown in a banner: the last problem with the host's messages. */
  problem: string | null = null;
  /** Bumped on every applied state or delta. */
  dataVersion = 0;
  /** Milliseconds the last flush spent applying messages and rendering (for the benchmark). */
  lastApplyMs = 0;
  lastRenderMs = 0;

  private readonly listeners: ((c: Changes) => void)[] = [];
  private pending = noChanges();
  private scheduled = false;
  private lastFlush = 0;
  private applyMs = 0;
  private cyclesVersion = -1;
  private cycles: DeadlockCycle[] = [];

  constructor(private readonly host: HostApi) {
    const saved = host.getState() as { ui?: unknown; selected?: unknown } | undefined;
    this.ui = restoreUi(saved?.ui);
    // In the narrow sidebar the legend would cover much of the graph: off until asked for.
    if (saved?.ui === undefined && window.innerWidth < 500) this.ui.legend = false;
    if (typeof saved?.selected === "number") this.selected = saved.selected;
  }

  subscribe(fn: (c: Changes) => void): void {
    this.listeners.push(fn);
  }

  post(msg: ViewToHostMessage): void {
    this.host.postMessage(msg);
  }

  /** Handles a message from the host; malformed ones are ignored with a warning. */
  receive(raw: unknown): void {
    const t0 = performance.now();
    const r = parseHostMessage(raw);
    if (!r.ok) {
      console.warn(`loopscope: ignored a message from the host: ${r.error}`);
      return;
    }
    const msg = r.msg;
    try {
      switch (msg.kind) {
        case "state":
          if (this.mirror === null) this.mirror = ModelMirror.fromSnapshot(msg.snapshot);
          else this.mirror.reset(msg.snapshot);
          this.session = msg.session;
          this.problem = null;
          this.stacks.clear();
          this.dataVersion++;
          this.mark({ data: true, reset: true, session: true });
          break;
        case "delta":
          if (this.mirror === null) {
            console.warn("loopscope: a delta came before the state; asking for the state");
            this.post({ v: VIEW_PROTOCOL_VERSION, kind: "resync", reason: "delta before state" });
            return;
          }
          if (!this.mirror.applyDelta(msg.delta)) {
            console.warn(`loopscope: delta ${msg.delta.seq} does not follow ${this.mirror.deltaSeq}; asking again`);
            this.post({ v: VIEW_PROTOCOL_VERSION, kind: "resync", reason: "delta gap" });
            return;
          }
          this.dataVersion++;
          this.mark({ data: true, reset: msg.delta.full !== null });
          break;
        case "session":
          this.session = msg.session;
          this.mark({ session: true });
          break;
        case "stack":
          this.stacks.set(msg.task, msg.frames);
          this.mark({ stack: true });
          break;
        case "select":
          this.select(msg.id, false);
          break;
      }
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      console.warn(`loopscope: could not apply a ${msg.kind} message: ${text}`);
      this.problem = e instanceof ModelVersionError ? text : `could not apply an update: ${text}`;
      this.post({ v: VIEW_PROTOCOL_VERSION, kind: "resync", reason: text });
      this.mark({ session: true });
    } finally {
      this.applyMs += performance.now() - t0;
    }
  }

  select(id: number | null, tellHost = true): void {
    if (id === this.selected) return;
    this.selected = id;
    if (tellHost) this.post({ v: VIEW_PROTOCOL_VERSION, kind: "select", id });
    this.save();
    this.mark({ selection: true });
  }

  setUi(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
    this.save();
    this.mark({ ui: true });
  }

  /** Deadlock cycles of the current state (computed once per data version). */
  deadlocks(): DeadlockCycle[] {
    if (this.mirror === null) return [];
    if (this.cyclesVersion !== this.dataVersion) {
      this.cycles = this.mirror.deadlockCycles();
      this.cyclesVersion = this.dataVersion;
    }
    return this.cycles;
  }

  private save(): void {
    this.host.setState({ ui: this.ui, selected: this.selected });
  }

  private mark(c: Partial<Changes>): void {
    const p = this.pending;
    for (const k of Object.keys(c) as (keyof Changes)[]) if (c[k] === true) p[k] = true;
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastFlush + MIN_FRAME_MS - performance.now());
    const go = (): void => {
      requestAnimationFrame(() => this.flush());
    };
    if (wait > 0) setTimeout(go, wait);
    else go();
  }

  /** Renders what changed now. */
  flush(): void {
    this.scheduled = false;
    const c = this.pending;
    this.pending = noChanges();
    const t0 = performance.now();
    this.lastFlush = t0;
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch (e) {
        // One view failing must not stop the others (nor later updates).
        console.error("loopscope: a view failed to render", e);
      }
    }
    this.lastRenderMs = performance.now() - t0;
    this.lastApplyMs = this.applyMs;
    this.applyMs = 0;
  }
}
