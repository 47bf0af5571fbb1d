// The extension ⇄ webview message union: one typed, versioned set of
// messages shared by the host (extension/src/view) and the webview bundle.
// Pure data, no `vscode`, no DOM.
//
// Order of a session: the view sends `ready`; the host answers with `state`
// (a full ModelSnapshot plus what the session allows), then `delta`s (at most
// ~30 a second). When the view's mirror misses a delta (ModelMirror.applyDelta
// returns false) it sends `resync` and the host answers with a new `state`.
// Actions go back as `reveal`, `cancelTask` and `select`.
//
// Every message carries `v` (VIEW_PROTOCOL_VERSION). A receiver ignores, with
// a console warning, any message that does not parse (wrong version, unknown
// kind, a field of the wrong type): parse*Message below return null for those.

import type { Frame } from "../protocol/index";
import type { ModelDelta, ModelSnapshot } from "./types";

/** Bump on any change to the messages below. */
export const VIEW_PROTOCOL_VERSION = 1;

/** What the session is and what the view may ask of it. */
export interface ViewSession {
  /** "live": a debug session; "trace": a recorded trace opened from a file. */
  readonly source: "live" | "trace";
  /** Shown in the summary bar: the program, or the trace file's name. */
  readonly label: string;
  /** The host can cancel a task (a live session that is still connected). */
  readonly canCancel: boolean;
  /** The host can open source files (false in a browser without a workspace). */
  readonly canReveal: boolean;
  /** The program has ended (or the trace is complete): nothing more will come. */
  readonly ended: boolean;
}

// ---- host → view --------------------------------------------------------------------

export interface StateMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "state";
  readonly snapshot: ModelSnapshot;
  readonly session: ViewSession;
}

export interface DeltaMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "delta";
  readonly delta: ModelDelta;
}

export interface SessionMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "session";
  readonly session: ViewSession;
}

/** The async stack of a task, when the host could get it (live session, on select). */
export interface StackMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "stack";
  readonly task: number;
  /** Innermost frame last, as Python prints a traceback. */
  readonly frames: Frame[];
}

/** The host selects an object (e.g. the user picked a thread in the call stack view). */
export interface HostSelectMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "select";
  readonly id: number | null;
}

export type HostToViewMessage = StateMessage | DeltaMessage | SessionMessage | StackMessage | HostSelectMessage;

// ---- view → host --------------------------------------------------------------------

export interface ReadyMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "ready";
}

export interface ResyncMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "resync";
  /** Why: a delta gap, a version error, … (for the log). */
  readonly reason: string;
}

/** The user selected an object (task, future, queue, primitive) or cleared the selection. */
export interface ViewSelectMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "select";
  readonly id: number | null;
}

/** Open a source location in the editor. */
export interface RevealMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "reveal";
  readonly file: string;
  readonly line: number;
}

export interface CancelTaskMessage {
  readonly v: typeof VIEW_PROTOCOL_VERSION;
  readonly kind: "cancelTask";
  readonly task: number;
}

export type ViewToHostMessage = ReadyMessage | ResyncMessage | ViewSelectMessage | RevealMessage | CancelTaskMessage;

// ---- parsing ------------------------------------------------------------------------------

export type ParseResult<M> = { ok: true; msg: M } | { ok: false; error: string };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
const isIdOrNull = (x: unknown): boolean => x === null || isInt(x);

function header(x: unknown): { ok: true; o: Record<string, unknown> } | { ok: false; error: string } {
  if (!isObj(x)) return { ok: false, error: "not an object" };
  if (x.v !== VIEW_PROTOCOL_VERSION) {
    return { ok: false, error: `view protocol version ${JSON.stringify(x.v)} is not ${VIEW_PROTOCOL_VERSION}` };
  }
  if (typeof x.kind !== "string") return { ok: false, error: "no kind" };
  return { ok: true, o: x };
}

function isSession(x: unknown): x is ViewSession {
  return (
    isObj(x) &&
    (x.source === "live" || x.source === "trace") &&
    typeof x.label === "string" &&
    typeof x.canCancel === "boolean" &&
    typeof x.canReveal === "boolean" &&
    typeof x.ended === "boolean"
  );
}

/** The shape a snapshot must have before a mirror is built from it (the mirror checks its version). */
function looksLikeSnapshot(x: unknown): x is ModelSnapshot {
  if (!isObj(x)) return false;
  for (const k of ["sites", "loops", "tasks", "futures", "queues", "syncs"]) if (!Array.isArray(x[k])) return false;
  return isInt(x.deltaSeq) && isObj(x.meta) && isObj(x.counts) && isObj(x.timeline) && isObj(x.config);
}

function looksLikeDelta(x: unknown): x is ModelDelta {
  if (!isObj(x)) return false;
  if (!isInt(x.seq) || !isObj(x.meta) || !isObj(x.counts) || !isObj(x.removed)) return false;
  if (x.full !== null && !looksLikeSnapshot(x.full)) return false;
  for (const k of ["sites", "loops", "tasks", "futures", "queues", "syncs", "timeline"]) {
    if (!Array.isArray(x[k])) return false;
  }
  return isInt(x.timelineFrom);
}

function isFrames(x: unknown): x is Frame[] {
  return (
    Array.isArray(x) &&
    x.every((f) => isObj(f) && typeof f.file === "string" && isInt(f.line) && typeof f.func === "string")
  );
}

/** Checks a message the view received from the host. */
export function parseHostMessage(x: unknown): ParseResult<HostToViewMessage> {
  const h = header(x);
  if (!h.ok) return h;
  const o = h.o;
  switch (o.kind) {
    case "state":
      if (!looksLikeSnapshot(o.snapshot)) return { ok: false, error: "state: bad snapshot" };
      if (!isSession(o.session)) return { ok: false, error: "state: bad session" };
      return { ok: true, msg: o as unknown as StateMessage };
    case "delta":
      if (!looksLikeDelta(o.delta)) return { ok: false, error: "delta: bad delta" };
      return { ok: true, msg: o as unknown as DeltaMessage };
    case "session":
      if (!isSession(o.session)) return { ok: false, error: "session: bad session" };
      return { ok: true, msg: o as unknown as SessionMessage };
    case "stack":
      if (!isInt(o.task) || !isFrames(o.frames)) return { ok: false, error: "stack: bad task or frames" };
      return { ok: true, msg: o as unknown as StackMessage };
    case "select":
      if (!isIdOrNull(o.id)) return { ok: false, error: "select: bad id" };
      return { ok: true, msg: o as unknown as HostSelectMessage };
    default:
      return { ok: false, error: `unknown kind ${JSON.stringify(o.kind)}` };
  }
}

/** Checks a message the host received from the view. */
export function parseViewMessage(x: unknown): ParseResult<ViewToHostMessage> {
  const h = header(x);
  if (!h.ok) return h;
  const o = h.o;
  switch (o.kind) {
    case "ready":
      return { ok: true, msg: { v: VIEW_PROTOCOL_VERSION, kind: "ready" } };
    case "resync":
      if (typeof o.reason !== "string") return { ok: false, error: "resync: bad reason" };
      return { ok: true, msg: { v: VIEW_PROTOCOL_VERSION, kind: "resync", reason: o.reason } };
    case "select":
      if (!isIdOrNull(o.id)) return { ok: false, error: "select: bad id" };
      return { ok: true, msg: { v: VIEW_PROTOCOL_VERSION, kind: "select", id: o.id as number | null } };
    case "reveal":
      if (typeof o.file !== "string" || o.file === "" || !isInt(o.line) || o.line < 0) {
        return { ok: false, error: "reveal: bad file or line" };
      }
      return { ok: true, msg: { v: VIEW_PROTOCOL_VERSION, kind: "reveal", file: o.file, line: o.line } };
    case "cancelTask":
      if (!isInt(o.task)) return { ok: false, error: "cancelTask: bad task" };
      return { ok: true, msg: { v: VIEW_PROTOCOL_VERSION, kind: "cancelTask", task: o.task } };
    default:
      return { ok: false, error: `unknown kind ${JSON.stringify(o.kind)}` };
  }
}
