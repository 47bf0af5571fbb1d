// protocol/wireLines.ts: the fast line parser gives what JSON.parse + validateMessage
// give (packed lists as Float64Arrays), and falls back to them for anything unusual.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseWireLine, validateMessage, type LineResult, type WireMessage } from "../../protocol/index";
import { LineSplitter, MAX_LINE } from "../../extension/src/adapter/runtimeChannel";

const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

/** The reference: JSON.parse and the validator. */
function reference(line: string): LineResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})`, json: false };
  }
  const v = validateMessage(raw);
  return v.ok ? v : { ok: false, error: v.error, json: true };
}

/** Packed lists as plain arrays, for comparing with the reference. */
function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v)));
}

/**
 * Both ways a line reaches the parser: alone in a buffer (copied: the
 * portable code) and followed by its newline in a Node Buffer (as
 * LineSplitter hands it on: Node's base64 decoder).
 */
function parseBoth(line: string): [LineResult, LineResult] {
  const withNewline = bytes(line + "\n");
  return [parseWireLine(bytes(line)), parseWireLine(withNewline, 0, withNewline.length - 1)];
}

function same(line: string): LineResult {
  const want = reference(line);
  const [got, got2] = parseBoth(line);
  for (const g of [got, got2]) {
    assert.equal(g.ok, want.ok, line);
    if (g.ok && want.ok) assert.deepEqual(plain(g.msg), plain(want.msg));
    if (!g.ok && !want.ok) assert.deepEqual(g, want);
  }
  return got;
}

const batch = (events: unknown[], extra = ""): string =>
  `{"kind":"events/batch","seq":3,"events":${JSON.stringify(events)},"dropped":0${extra}}`;

describe("parseWireLine", () => {
  test("packed lists come as Float64Arrays with exactly the numbers of the text", () => {
    const line = batch([
      { kind: "site/def", site: 3, file: "/a [1].py", line: 1, func: 'f"data":[' },
      {
        kind: "task/steps",
        loop: 1,
        data: [2, 1234567890123, 1234567890999, 0, 4, 9007199254740991, 9007199254740991, 7],
      },
      { kind: "future/created-batch", loop: 1, types: ["sleep"], data: [5, 10, 0, 3, 0, -1] },
      { kind: "task/done-batch", data: [], results: [] },
      { kind: "loop/sample", loop: 1, ts: 5, iterations: 2, ready: [], timers: [], ready_total: 0, timers_total: 0 },
      { kind: "future/done-batch", data: [5, 11, 0] },
    ]);
    const r = same(line);
    assert.ok(r.ok && r.msg.kind === "events/batch");
    const evs = r.msg.events;
    assert.ok(evs[1]!.kind === "task/steps" && evs[1].data instanceof Float64Array);
    assert.deepEqual(
      Array.from(evs[1].data),
      [2, 1234567890123, 1234567890999, 0, 4, 9007199254740991, 9007199254740991, 7],
    );
    assert.ok(evs[2]!.kind === "future/created-batch" && evs[2].data instanceof Float64Array);
    assert.ok(evs[3]!.kind === "task/done-batch" && evs[3].data.length === 0);
  });

  test("whitespace inside lists (the plain path), non-ASCII text around them", () => {
    const line = `{"kind":"events/batch","seq":1,"events":[{"kind":"task/steps","loop":1,"data":[ 1 , 2,3,\t4 ]},{"kind":"site/def","site":1,"file":"é/ü.py","line":1,"func":"ƒ"}],"dropped":0}`;
    same(line);
    const compact = `{"kind":"events/batch","seq":1,"events":[{"kind":"site/def","site":1,"file":"é/ü.py","line":1,"func":"ƒ"},{"kind":"task/steps","loop":1,"data":[1,2,3,4]}],"dropped":0}`;
    const r = same(compact);
    assert.ok(r.ok && r.msg.kind === "events/batch" && r.msg.events[1]!.kind === "task/steps");
    assert.ok(r.msg.events[1].data instanceof Float64Array);
  });

  test("anything unusual gets the reference's answer", () => {
    const steps = (data: string): string =>
      `{"kind":"events/batch","seq":1,"events":[{"kind":"task/steps","loop":1,"data":${data}}],"dropped":0}`;
    for (const line of [
      steps("[1.5,2,3,4]"), // not an int: the validator's error
      steps("[1e3,2,3,4]"), // an int written as a float: valid, via JSON.parse
      steps("[01,2,3,4]"), // not JSON
      steps("[1,2,3,4"), // cut short
      steps('["1",2,3,4]'),
      steps("[-0,2,3,4]"),
      steps("[12345678901234567890,1,2,3]"), // past 2^53: JSON.parse's rounding
      steps("[9007199254740993,1,2,3]"),
      steps('[1,2,3,4],"data":[5,6,7,8]'), // a repeated key: the last one counts
      `{"kind":"events/batch","seq":1,"events":[{"kind":"site/def","site":1,"file":"f","line":1,"func":"g","data":[1,2]}],"dropped":0}`,
      `{"kind":"events/batch","seq":1,"events":[{"kind":"task/steps","loop":1,"x\\"data":[1,2],"data":[3,4,5,6]}],"dropped":0}`,
      `{"kind":"control/response","id":1,"ok":true,"body":{"data":[1,2,3]}}`,
      `{"kind":"events/batch","seq":1,"events":[{"kind":"task/steps","loop":1,"data":[0]}],"dropped":0}`,
      `{"kind":"events/batch","seq":"x","events":[{"kind":"task/steps","loop":1,"data":[1,2,3,4]}],"dropped":0}`,
      `not json at all "data":[1,2]`,
      `{"kind":"session/hello","protocol":"1.1","token":"t","role":"runtime"}`,
      ``,
    ]) {
      same(line);
    }
  });

  test("a line at the very end of its buffer, and one followed by other bytes than a newline", () => {
    const a = batch([{ kind: "task/steps", loop: 1, data: [1, 2, 3, 44] }]);
    for (const buf of [bytes(a), bytes(a + "7"), bytes(a + "]")]) {
      const r = parseWireLine(buf, 0, a.length);
      assert.ok(r.ok && r.msg.kind === "events/batch" && r.msg.events[0]!.kind === "task/steps");
      assert.deepEqual(Array.from(r.msg.events[0].data), [1, 2, 3, 44]);
    }
    same(a.slice(0, -3));
  });

  test("a packed list sent as base64 of little-endian int64s (runtime/loopscope/packed.py)", () => {
    const b64 = (ints: number[]): string => Buffer.from(new BigInt64Array(ints.map(BigInt)).buffer).toString("base64");
    for (const ints of [
      [],
      [1],
      [2, 1234567890123, 1234567890999, 0],
      [-1, -4294967296, 4294967295, 4294967296, -9007199254740991, 9007199254740991],
      [5, 10, 0, 3, 0, -1, 7],
    ]) {
      const line = `{"kind":"events/batch","seq":1,"events":[{"kind":"future/done-batch","data":"${b64(ints)}"},{"kind":"task/steps","loop":1,"data":[1,2,3,4]}],"dropped":0}`;
      for (const r of parseBoth(line)) {
        assert.ok(r.ok && r.msg.kind === "events/batch" && r.msg.events[0]!.kind === "future/done-batch", line);
        assert.ok(r.msg.events[0].data instanceof Float64Array);
        assert.deepEqual(Array.from(r.msg.events[0].data), ints);
        assert.ok(r.msg.events[1]!.kind === "task/steps");
        assert.deepEqual(Array.from(r.msg.events[1].data), [1, 2, 3, 4]);
      }
    }
    // Not base64 of int64s: the plain path's answer (a string is not a list).
    for (const bad of [
      "AAAA",
      "AAAAAAAAAA=",
      "AAAAAAAAAA%=",
      "A===AAAAAAA=",
      "AAAA-AAAAAA=",
      "AAAA_AAAAAA=",
      "AAAA AAAAAA=",
      "AAAAAAAAAA==",
    ]) {
      const line = `{"kind":"events/batch","seq":1,"events":[{"kind":"future/done-batch","data":"${bad}"}],"dropped":0}`;
      same(line);
    }
  });

  test("lists that outgrow the shared slab keep their numbers", () => {
    const data = (n: number, base: number): number[] => Array.from({ length: n }, (_, i) => base + i);
    const got: Float64Array[] = [];
    const b64 = (ints: number[]): string => Buffer.from(new BigInt64Array(ints.map(BigInt)).buffer).toString("base64");
    for (const [n, base, form] of [
      [700_000, 1e12, "list"],
      [700_000, 2e12, "base64"],
      [3_000_000, 3e12, "base64"],
      [8, 4e12, "list"],
      [900_000, 5e12, "list"],
      [500_000, 6e12, "base64"],
    ] as const) {
      const ints = data(n, base);
      const line =
        form === "list"
          ? batch([{ kind: "future/done-batch", data: ints }])
          : `{"kind":"events/batch","seq":3,"events":[{"kind":"future/done-batch","data":"${b64(ints)}"}],"dropped":0}`;
      const r = parseWireLine(bytes(line));
      assert.ok(r.ok && r.msg.kind === "events/batch" && r.msg.events[0]!.kind === "future/done-batch");
      const d = r.msg.events[0].data;
      assert.ok(d instanceof Float64Array && d.length === n);
      assert.ok(
        d.buffer.byteLength > d.byteLength || d.byteOffset > 0,
        `list ${got.length} is a view of the shared slab (the fast path)`,
      );
      got.push(d);
    }
    for (const [i, d] of got.entries()) {
      const base = (i + 1) * 1e12;
      assert.ok(d[0] === base && d[d.length - 1] === base + d.length - 1, `list ${i} intact`);
    }
  });

  test("a range of a larger buffer", () => {
    const a = batch([{ kind: "task/steps", loop: 1, data: [1, 2, 3, 4] }]);
    const b = batch([{ kind: "future/done-batch", data: [7, 8, 0] }]);
    const buf = bytes(`${a}\n${b}\n`);
    const r1 = parseWireLine(buf, 0, a.length);
    const r2 = parseWireLine(buf, a.length + 1, a.length + 1 + b.length);
    assert.ok(r1.ok && r1.msg.kind === "events/batch" && r1.msg.events[0]!.kind === "task/steps");
    assert.deepEqual(Array.from(r1.msg.events[0].data), [1, 2, 3, 4]);
    assert.ok(r2.ok && r2.msg.kind === "events/batch" && r2.msg.events[0]!.kind === "future/done-batch");
    assert.deepEqual(Array.from(r2.msg.events[0].data), [7, 8, 0]);
  });

  test("validateMessage accepts a parsed message again", () => {
    const r = parseWireLine(bytes(batch([{ kind: "task/steps", loop: 1, data: [1, 2, 3, 4] }])));
    assert.ok(r.ok);
    assert.equal(validateMessage(r.msg as WireMessage).ok, true);
  });
});

describe("LineSplitter", () => {
  const collect = (chunks: Buffer[]): { lines: string[]; overlong: number } => {
    const lines: string[] = [];
    const s = new LineSplitter((b, start, end) => lines.push(b.toString("utf8", start, end)));
    for (const c of chunks) s.push(c);
    return { lines, overlong: s.overlong };
  };

  test("lines inside a chunk and across chunks", () => {
    const text = 'a\n{"x":1}\nlong line é\n\nlast';
    for (let cut = 1; cut < text.length; cut++) {
      const all = bytes(text);
      const { lines } = collect([all.subarray(0, cut), all.subarray(cut)]);
      assert.deepEqual(lines, ["a", '{"x":1}', "long line é", ""], `cut at ${cut}`);
    }
  });

  test("a line past MAX_LINE is dropped and counted, the next one goes through", () => {
    const big = Buffer.alloc(MAX_LINE + 10, 0x61);
    const { lines, overlong } = collect([bytes("x\n"), big.subarray(0, 1000), big.subarray(1000), bytes("\ny\n")]);
    assert.deepEqual(lines, ["x", "y"]);
    assert.equal(overlong, 1);
    const one = collect([Buffer.concat([big, bytes("\nz\n")])]);
    assert.deepEqual(one.lines, ["z"]);
    assert.equal(one.overlong, 1);
  });
});
