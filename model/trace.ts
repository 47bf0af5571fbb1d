// Recorded traces: JSON lines, the same messages as on the wire, one per
// line, the first a session/hello. A trace cut short while being written
// (the program was killed) ends in a partial line: that last line is
// dropped and reported. Anything else that is not a valid message is an
// error that names its line.

import { checkHello, validateMessage, type WireMessage } from "../protocol/index";
import { decodePackedInts } from "../protocol/packedBase64";
import { LoopModel } from "./loopModel";
import type { ModelConfig } from "./types";

export class TraceError extends Error {
  /** 1-based line number of the offending line. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`trace line ${line}: ${message}`);
    this.name = "TraceError";
    this.line = line;
  }
}

export interface TraceResult {
  readonly model: LoopModel;
  /** Messages folded. */
  readonly messages: number;
  /** The last line was a partial message (no newline after it, not parseable) and was left out. */
  readonly truncated: boolean;
}

export interface TraceOptions {
  /** Model configuration; change tracking is off unless asked for. */
  config?: Partial<ModelConfig>;
  /** Check each message against the protocol schema (default true). */
  validate?: boolean;
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? line.slice(0, 60) + "…" : line);
}

/**
 * Folds a recorded trace into a new LoopModel. Throws TraceError (with the
 * line number) for a line that is not JSON or not a valid protocol message,
 * for a first message that is not a session/hello, or for a hello of another
 * major protocol version. Blank lines are skipped.
 */
export function parseTrace(text: string, opts: TraceOptions = {}): TraceResult {
  const model = new LoopModel({ trackChanges: false, ...opts.config });
  const validate = opts.validate ?? true;
  const endsComplete = text.length === 0 || text.endsWith("\n");
  let messages = 0;
  let truncated = false;
  let lineNo = 0;
  let pos = 0;
  let sawHello = false;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    const isLast = nl === -1;
    if (isLast) nl = text.length;
    lineNo++;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      if (isLast && !endsComplete) {
        truncated = true;
        break;
      }
      throw new TraceError(lineNo, `not JSON (${(e as Error).message}): ${preview(line)}`);
    }
    let msg: WireMessage;
    if (validate) {
      const r = validateMessage(parsed);
      if (!r.ok) throw new TraceError(lineNo, `not a valid message: ${r.error}`);
      msg = r.msg;
    } else {
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as { kind?: unknown }).kind !== "string") {
        throw new TraceError(lineNo, `not a message object: ${preview(line)}`);
      }
      msg = parsed as WireMessage; // trusted input: the caller turned validation off
      const bad = decodePackedData(msg);
      if (bad !== null) throw new TraceError(lineNo, bad);
    }
    if (!sawHello) {
      if (msg.kind !== "session/hello") {
        throw new TraceError(lineNo, `a trace starts with session/hello, not ${JSON.stringify(msg.kind)}`);
      }
      const v = checkHello(msg, undefined, "trace");
      if (!v.ok) throw new TraceError(lineNo, v.error);
      sawHello = true;
    }
    model.apply(msg);
    messages++;
  }
  if (!sawHello) throw new TraceError(Math.max(1, lineNo), "empty trace: no session/hello");
  return { model, messages, truncated };
}

/**
 * Without validation (which decodes them), packed ints sent as base64 text
 * still have to become numbers before the model reads them.
 */
function decodePackedData(msg: WireMessage): string | null {
  if (msg.kind !== "events/batch") return null;
  for (const ev of msg.events) {
    const holder = ev as { data?: unknown };
    if (typeof holder.data === "string") {
      const ints = decodePackedInts(holder.data);
      if (ints === null) return `${ev.kind}: packed ints: not base64 text of whole int64s`;
      holder.data = ints;
    }
  }
  return null;
}
