// Packed ints as protocol 1.2 runtimes send them: base64 text of little-endian
// int64s (runtime/loopscope/packed.py). Decoded here rather than with Buffer
// or atob so the same code runs in the adapter (Node) and the webview, with no
// intermediate string or byte copy: four characters give three bytes, eight
// bytes one number.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Char code → 6-bit value, 64 for '=', 255 for anything else. */
const VALUE = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
VALUE[0x3d] = 64;

const TWO_32 = 4294967296;

/**
 * Base64 text of little-endian int64s → their values (exact up to 2^53 in
 * magnitude, as JSON numbers are). Null when the text is not canonical padded
 * base64 or does not hold a whole number of int64s.
 */
export function decodePackedInts(text: string): Float64Array | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  let pad = 0;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const byteLength = (n / 4) * 3 - pad;
  if (byteLength % 8 !== 0) return null;
  const bytes = new Uint8Array(byteLength + 2); // room for the padded group's spare bytes
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const a = VALUE[text.charCodeAt(i)] ?? 255;
    const b = VALUE[text.charCodeAt(i + 1)] ?? 255;
    const c = VALUE[text.charCodeAt(i + 2)] ?? 255;
    const d = VALUE[text.charCodeAt(i + 3)] ?? 255;
    if ((a | b) > 63 || c > 64 || d > 64 || (c === 64 && d !== 64) || ((c === 64 || d === 64) && i + 4 !== n))
      return null;
    bytes[o] = (a << 2) | (b >> 4);
    bytes[o + 1] = ((b & 15) << 4) | ((c & 63) >> 2);
    bytes[o + 2] = ((c & 3) << 6) | (d & 63);
    o += 3;
  }
  const words = new Int32Array(bytes.buffer, 0, byteLength / 4);
  const out = new Float64Array(byteLength / 8);
  const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  for (let i = 0, w = 0; i < out.length; i++, w += 2) {
    const lo = littleEndian ? words[w]! : swap(words[w]!);
    const hi = littleEndian ? words[w + 1]! : swap(words[w + 1]!);
    out[i] = hi * TWO_32 + (lo >>> 0);
  }
  return out;
}

function swap(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
