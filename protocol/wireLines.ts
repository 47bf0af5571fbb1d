// One wire line (UTF-8 bytes of a JSON message) to a validated message, fast.
//
// Almost all the bytes of a busy program's stream are the packed int lists of
// task/steps, future/*-batch and task/*-batch events (`"data":[…]`). JSON.parse
// turns each into a JS array of numbers; here they are scanned straight from
// the bytes into Float64Arrays (about 4× faster, and nothing for the GC to
// copy), and only the rest of the line — the "skeleton", with every such list
// replaced by a one-item placeholder `[k]` — goes through JSON.parse and the
// schema validator. The placeholders are then swapped for the scanned lists.
// A packed list may also come as a string: base64 of little-endian int64s
// (`"data":"…"`, what runtime/loopscope/packed.py writes); it is decoded into
// a Float64Array the same way.
//
// Anything unexpected (a list that is not plain integers, a number beyond
// 2^53, a `"data"` key the placeholders cannot be matched to, a line that is
// not valid JSON) sends the whole line down the plain path: JSON.parse and
// validateMessage of the decoded text, whose result and error messages are
// the reference. So the fast path never accepts or refuses anything the
// plain one would not.

import { EVENT_FIELDS, validateMessage, type WireMessage } from "./generated";

export type LineResult =
  | { ok: true; msg: WireMessage }
  /** `json`: false when the line is not JSON at all, true when it is JSON but not a valid message. */
  | { ok: false; error: string; json: boolean };

/** Event kinds with a packed `data` field (schema type `packed`). */
const PACKED_KINDS: ReadonlySet<string> = new Set(
  Object.entries(EVENT_FIELDS)
    .filter(([, fields]) => fields.some((f) => f.name === "data" && f.type === "packed"))
    .map(([kind]) => kind),
);

const utf8 = new TextDecoder("utf-8");

/** The bytes `"data"` before the `:` of a packed list. */
const KEY = [0x22, 0x64, 0x61, 0x74, 0x61, 0x22];

/** Base64 digit values by byte, -1 for anything else. */
const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}

/**
 * Lists are scanned into a shared slab and handed out as views of it (no
 * allocation or copy per list); a full slab is left to the views that use
 * it and a new one started.
 */
const SLAB = 1 << 20;
let slab = new Float64Array(SLAB);
/** The slab's bytes and 32-bit words (base64 lists are decoded into it as bytes). */
let slabBytes: Uint8Array = new Uint8Array(slab.buffer);
let slabWords: Int32Array = new Int32Array(slab.buffer);
let slabUsed = 0;

/** Starts a new slab of at least n numbers; returns its bytes. */
function newSlab(n: number): Uint8Array {
  slab = new Float64Array(n);
  slabBytes = new Uint8Array(slab.buffer);
  slabWords = new Int32Array(slab.buffer);
  slabUsed = 0;
  return slabBytes;
}
/** Where the last successful scanInts stopped (the byte after `]`). */
let scanEnd = 0;

/**
 * Scans a JSON list of integers starting after its `[` at `i` into the slab
 * from slabUsed on, in the compact form the runtime writes (no whitespace).
 * Returns the count (scanEnd set past the `]`; the caller takes the items
 * and moves slabUsed), or -1 for anything else: whitespace, a
 * fraction, an exponent, a leading zero, a number past 2^53 - 1 in
 * magnitude, the end of the line. The line must be followed by a newline
 * byte (b[end] === 0x0a): the scan stops there without checking bounds.
 */
function scanInts(b: Uint8Array, i: number, end: number): number {
  let out = slab;
  let base = slabUsed;
  let k = 0;
  let c = b[i]!;
  if (c === 0x5d) {
    scanEnd = i + 1;
    return 0;
  }
  for (;;) {
    let neg = false;
    if (c === 0x2d) {
      neg = true;
      c = b[++i]!;
    }
    let d = c - 0x30;
    if (d >>> 0 > 9) return -1;
    const first = i;
    let v = d;
    d = b[++i]! - 0x30;
    if (v === 0 && d >>> 0 <= 9) return -1; // a leading zero is not JSON
    while (d >>> 0 <= 9) {
      v = v * 10 + d;
      d = b[++i]! - 0x30;
    }
    // Up to 15 digits are exact in a double; past that, only up to 2^53 - 1.
    if (i - first > 15 && v > Number.MAX_SAFE_INTEGER) return -1;
    if (base + k === out.length) {
      // The slab is full: this list moves to the start of a new one.
      const prev = out;
      newSlab(Math.max(SLAB, k * 2)); // (slabUsed = 0)
      slab.set(prev.subarray(base, base + k));
      out = slab;
      base = 0;
    }
    out[base + k++] = neg ? -v : v;
    c = d + 0x30;
    if (c === 0x2c) {
      c = b[++i]!;
      continue;
    }
    if (c === 0x5d && i < end) {
      scanEnd = i + 1;
      return k;
    }
    return -1;
  }
}

/**
 * Parses the bytes [start, end) of one line into a validated message. Fastest
 * when a newline follows the line in `bytes` (else the line is copied first).
 */
export function parseWireLine(bytes: Uint8Array, start = 0, end = bytes.length): LineResult {
  if (!(end < bytes.length && bytes[end] === 0x0a)) {
    // The scan needs a newline after the line (LineSplitter's lines have one).
    const copy = new Uint8Array(end - start + 1);
    copy.set(bytes.subarray(start, end));
    copy[end - start] = 0x0a;
    return parseWireLine(copy, 0, end - start);
  }
  const fast = packedPath(bytes, start, end);
  return fast ?? plainPath(bytes, start, end);
}

/** The line's text, as the plain path reads it. */
export function decodeLine(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return utf8.decode(bytes.subarray(start, end));
}

function plainPath(bytes: Uint8Array, start: number, end: number): LineResult {
  let raw: unknown;
  try {
    raw = JSON.parse(decodeLine(bytes, start, end));
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})`, json: false };
  }
  const v = validateMessage(raw);
  return v.ok ? v : { ok: false, error: v.error, json: true };
}

/** The fast path; null when the line has no packed list or anything is unexpected (the plain path decides). */
function packedPath(b: Uint8Array, start: number, end: number): LineResult | null {
  let lists: Float64Array[] | null = null;
  let skeleton = "";
  let from = start;
  let at = nextColon(b, start, end);
  while (at >= 0) {
    const open = b[at + 1];
    if ((open === 0x5b || open === 0x22) && at - start >= KEY.length && isDataKey(b, at)) {
      const n = open === 0x5b ? scanInts(b, at + 2, end) : decodeInts(b, at + 2, end);
      if (n < 0) return null;
      lists ??= [];
      skeleton += utf8.decode(b.subarray(from, at + 1)) + "[" + String(lists.length) + "]";
      lists.push(slab.subarray(slabUsed, slabUsed + n));
      slabUsed += n;
      from = scanEnd;
      at = nextColon(b, from, end);
    } else {
      at = nextColon(b, at + 1, end);
    }
  }
  if (lists === null) return null;
  skeleton += utf8.decode(b.subarray(from, end));
  let raw: unknown;
  try {
    raw = JSON.parse(skeleton);
  } catch {
    return null;
  }
  const v = validateMessage(raw);
  if (!v.ok || v.msg.kind !== "events/batch") return null;
  // Each placeholder must be the data of the next packed event, in order, and all of them used.
  let next = 0;
  for (const ev of v.msg.events) {
    if (!PACKED_KINDS.has(ev.kind)) continue;
    const holder = ev as { data: unknown };
    const d = holder.data as ArrayLike<number>;
    if (d.length !== 1 || d[0] !== next || next >= lists.length) return null;
    holder.data = lists[next++];
  }
  return next === lists.length ? v : null;
}

/**
 * Decodes a packed list sent as a string, starting after its opening quote
 * at `i`: canonical base64 (padded) of little-endian int64s, into the slab
 * from slabUsed on, in one pass. Returns the count (scanEnd set past the
 * closing quote), or -1 when it is not that. Ints beyond 2^53 are rounded,
 * as JSON.parse rounds them.
 */
function decodeInts(b: Uint8Array, i: number, end: number): number {
  if (typeof (b as NodeBytes).latin1Slice === "function") return decodeIntsNode(b as NodeBytes, i, end);
  let bytes = slabBytes;
  let base = slabUsed * 8;
  let o = base;
  let k = i;
  let x0: number;
  let x1: number;
  let x2: number;
  for (;;) {
    x0 = B64[b[k]!]!;
    x1 = B64[b[k + 1]!]!;
    x2 = B64[b[k + 2]!]!;
    const x3 = B64[b[k + 3]!]!;
    if ((x0 | x1 | x2 | x3) < 0) break;
    if (o + 3 > bytes.length) {
      // The slab is full: this list moves to the start of a new one, big enough for all of it.
      let close = k;
      while (close < end && b[close] !== 0x22) close++;
      const prev = bytes;
      bytes = newSlab(Math.max(SLAB, Math.ceil((o - base + ((close - k) / 4) * 3) / 8 + 1)));
      bytes.set(prev.subarray(base, o));
      o -= base;
      base = 0;
    }
    const x = (x0 << 18) | (x1 << 12) | (x2 << 6) | x3;
    bytes[o] = x >>> 16;
    bytes[o + 1] = (x >>> 8) & 0xff;
    bytes[o + 2] = x & 0xff;
    o += 3;
    k += 4;
  }
  return finishInts(b, k, end, base, o, x0, x1, x2);
}

/** The n little-endian int64s at byte `base` of the slab, turned in place into its numbers there. */
function int64sToNumbers(base: number, n: number): void {
  // Each: high word (signed) × 2^32 + low word (unsigned), read before its place is written.
  const words = slabWords;
  const out = slab;
  const first = base / 8;
  for (let j = first, w = base / 4; j < first + n; j++, w += 2) out[j] = words[w + 1]! * 4294967296 + (words[w]! >>> 0);
}

/** What decodeIntsNode uses of a Node Buffer (protocol/ itself does not depend on Node). */
interface NodeBytes extends Uint8Array {
  latin1Slice(start: number, end: number): string;
  indexOf(value: number, byteOffset?: number): number;
}

interface NodeBufferClass {
  from(
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { write(s: string, o: number, n: number, enc: string): number };
}

/**
 * decodeInts with Node's native base64 decoder, for lines in a Node Buffer.
 * Node's decoder skips characters outside the alphabet (the count of bytes
 * written then falls short: refused) and takes the URL-safe '-' and '_' too
 * (looked for first: refused), so it accepts exactly what the JS loop does.
 */
function decodeIntsNode(b: NodeBytes, i: number, end: number): number {
  const close = b.indexOf(0x22, i);
  if (close < 0 || close >= end) return -1;
  const chars = close - i;
  if (chars % 4 !== 0) return -1;
  let pad = 0;
  if (chars > 0 && b[close - 1] === 0x3d) pad = b[close - 2] === 0x3d ? 2 : 1;
  const nbytes = (chars / 4) * 3 - pad;
  if (nbytes % 8 !== 0) return -1;
  const dash = b.indexOf(0x2d, i);
  const under = b.indexOf(0x5f, i);
  if ((dash >= 0 && dash < close) || (under >= 0 && under < close)) return -1;
  const n = nbytes / 8;
  if (slabUsed + n > slab.length) newSlab(Math.max(SLAB, n));
  const base = slabUsed * 8;
  const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer!;
  const view = NodeBuffer.from(slab.buffer, slab.byteOffset + base, nbytes);
  if (view.write(b.latin1Slice(i, close), 0, nbytes, "base64") !== nbytes) return -1;
  int64sToNumbers(base, n);
  scanEnd = close + 1;
  return n;
}

/** The end of a base64 list at text byte `k` (a group that was not four digits): padding, the quote, the numbers. */
function finishInts(
  b: Uint8Array,
  k: number,
  end: number,
  base: number,
  o: number,
  x0: number,
  x1: number,
  x2: number,
): number {
  const bytes = slabBytes;
  if (b[k] !== 0x22) {
    // The last group: "xx==" or "xxx=", then the quote.
    if (x0 < 0 || x1 < 0 || b[k + 3] !== 0x3d || b[k + 4] !== 0x22) return -1;
    const x = (x0 << 18) | (x1 << 12) | ((x2 < 0 ? 0 : x2) << 6);
    if (x2 < 0) {
      if (b[k + 2] !== 0x3d || (x1 & 0xf) !== 0) return -1;
      if (o + 1 > bytes.length) return -1;
      bytes[o++] = x >>> 16;
    } else {
      if ((x2 & 0x3) !== 0) return -1;
      if (o + 2 > bytes.length) return -1;
      bytes[o] = x >>> 16;
      bytes[o + 1] = (x >>> 8) & 0xff;
      o += 2;
    }
    k += 4;
  }
  if (k >= end || (o - base) % 8 !== 0) return -1;
  const n = (o - base) / 8;
  int64sToNumbers(base, n);
  scanEnd = k + 1;
  return n;
}

/** Index of the next `:` in [from, end), or -1. */
function nextColon(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === 0x3a) return i;
  return -1;
}

function isDataKey(b: Uint8Array, at: number): boolean {
  const k = at - KEY.length;
  for (let j = 0; j < KEY.length; j++) if (b[k + j] !== KEY[j]) return false;
  return true;
}
