// Protocol: the generated files match the schema, the validators accept what the
// schema allows and refuse everything else, and Python agrees with TypeScript.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { generate, TS_PATH, PY_PATH } from "../../scripts/gen-protocol.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const schema = JSON.parse(readFileSync(join(repo, "protocol/schema.json"), "utf8"));
const PY = process.env.LOOPSCOPE_PYTHON || "python3";

let tmp;
/** @type {typeof import("../../protocol/index.ts")} */
let P;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "loopscope-protocol-test-"));
  // Bundle the TypeScript protocol module so plain node can import it.
  await esbuild.build({
    entryPoints: [join(repo, "protocol/index.ts")],
    outfile: join(tmp, "protocol.mjs"),
    bundle: true,
    format: "esm",
    platform: "node",
    logLevel: "silent",
  });
  P = await import(pathToFileURL(join(tmp, "protocol.mjs")).href);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function git(...args) {
  return spawnSync("git", args, { cwd: repo, encoding: "utf8", maxBuffer: 64 << 20 });
}

/** Runs Python code with the generated module loaded as `p` (by file path, without the loopscope package). */
function python(code, input = "") {
  const prelude = [
    "import importlib.util, json, sys",
    `spec = importlib.util.spec_from_file_location("_protocol", ${JSON.stringify(join(repo, PY_PATH))})`,
    "p = importlib.util.module_from_spec(spec)",
    "spec.loader.exec_module(p)",
  ].join("\n");
  const r = spawnSync(PY, ["-c", `${prelude}\n${code}`], { input, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// ---- Drift -----------------------------------------------------------------

describe("generated files", () => {
  test("regenerating into a temp dir gives exactly the files in the tree", () => {
    const out = join(tmp, "regen");
    const r = spawnSync(process.execPath, [join(repo, "scripts/gen-protocol.mjs"), "--out-dir", out], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    for (const rel of [TS_PATH, PY_PATH]) {
      const fresh = readFileSync(join(out, rel), "utf8");
      const inTree = readFileSync(join(repo, rel), "utf8");
      assert.ok(
        fresh === inTree,
        `${rel} differs from what scripts/gen-protocol.mjs generates: run npm run gen:protocol and commit it`,
      );
    }
  });

  test("the committed generated files match the committed schema", (t) => {
    if (git("rev-parse", "--verify", "HEAD").status !== 0) return t.skip("not a git checkout");
    // Only meaningful while the schema and the generator are as committed; otherwise the check above covers the tree.
    const dirty = git("status", "--porcelain", "--", "protocol/schema.json", "scripts/gen-protocol.mjs").stdout.trim();
    if (dirty) return t.skip(`schema or generator modified locally:\n${dirty}`);
    const files = generate(git("show", "HEAD:protocol/schema.json").stdout);
    for (const rel of [TS_PATH, PY_PATH]) {
      const committed = git("show", `HEAD:${rel}`);
      assert.equal(committed.status, 0, `${rel} is not committed`);
      assert.ok(committed.stdout === files[rel], `committed ${rel} is stale: run npm run gen:protocol and commit it`);
    }
  });

  test("both files start with a DO-NOT-EDIT header naming the generator", () => {
    for (const rel of [TS_PATH, PY_PATH]) {
      const first = readFileSync(join(repo, rel), "utf8").split("\n")[0];
      assert.match(first, /DO NOT EDIT.*scripts\/gen-protocol\.mjs/);
    }
  });

  test("the generator refuses schema errors", () => {
    const bad = (mutate) => {
      const s = structuredClone(schema);
      mutate(s);
      return () => generate(JSON.stringify(s));
    };
    assert.throws(
      bad((s) => (s.events["task/created"].kind = "str")),
      /may not be called "kind"/,
    );
    assert.throws(
      bad((s) => (s.events["task/created"].ts = "Nope")),
      /unknown type name/,
    );
    assert.throws(
      bad((s) => (s.events["task/created"].ts = "int|str")),
      /only 'T\|null'/,
    );
    assert.throws(
      bad((s) => (s.version = "1")),
      /MAJOR\.MINOR/,
    );
    assert.throws(
      bad((s) => (s.events["Bad Kind"] = {})),
      /noun\/verb/,
    );
  });
});

// ---- Samples built from the schema itself ------------------------------------

/** A minimal valid value for a schema type string. */
function sampleOf(type) {
  if (type.endsWith("|null")) return null;
  if (type.endsWith("[]")) return [sampleOf(type.slice(0, -2))];
  switch (type) {
    case "int":
      return 7;
    case "float":
      return 0.5;
    case "str":
      return "s";
    case "bool":
      return true;
    case "any":
      return { anything: [1, "two"] };
    case "packed":
      return [7, 8];
    case "Event":
      return sampleEvent("task/created");
    default:
      return sampleFields(schema.types[type]);
  }
}
function sampleFields(fields) {
  const o = {};
  for (const [key, type] of Object.entries(fields)) {
    if (key.startsWith("$") || key.endsWith("?")) continue;
    o[key] = sampleOf(type);
  }
  return o;
}
const sampleEvent = (kind) => ({ kind, ...sampleFields(schema.events[kind]) });
const sampleMessage = (kind) => ({ kind, ...sampleFields(schema.messages[kind]) });

/** A value of the wrong JSON type for a schema type. */
function wrongFor(type) {
  if (type === "str" || type === "str|null") return 12;
  if (type === "any") return undefined; // any JSON value is right; absence is the only wrong
  return "not-the-right-type";
}

function required(fields) {
  return Object.entries(fields).filter(([k]) => !k.startsWith("$") && !k.endsWith("?"));
}

/** Every good and bad case derived from the schema, as [label, value, shouldPass]. */
function schemaCases() {
  const cases = [];
  for (const kind of Object.keys(schema.messages)) {
    const good = sampleMessage(kind);
    cases.push([`${kind} minimal`, good, true]);
    for (const [name, type] of required(schema.messages[kind])) {
      const missing = { ...good };
      delete missing[name];
      cases.push([`${kind} without ${name}`, missing, false]);
      const w = wrongFor(type);
      if (w !== undefined) cases.push([`${kind} with wrong ${name}`, { ...good, [name]: w }, false]);
    }
    const full = { ...good };
    for (const [key, type] of Object.entries(schema.messages[kind])) {
      if (key.endsWith("?")) full[key.slice(0, -1)] = sampleOf(type);
    }
    cases.push([`${kind} with every optional field`, full, true]);
    for (const [key, type] of Object.entries(schema.messages[kind])) {
      if (key.endsWith("?") && type !== "any")
        cases.push([`${kind} with wrong optional ${key}`, { ...good, [key.slice(0, -1)]: wrongFor(type) }, false]);
    }
  }
  for (const kind of Object.keys(schema.events)) {
    const batch = (events) => ({ kind: "events/batch", seq: 1, dropped: 0, events });
    const good = sampleEvent(kind);
    cases.push([`batch of ${kind}`, batch([good]), true]);
    for (const [name, type] of required(schema.events[kind])) {
      const missing = { ...good };
      delete missing[name];
      cases.push([`batch of ${kind} without ${name}`, batch([good, missing]), false]);
      const w = wrongFor(type);
      if (w !== undefined) cases.push([`batch of ${kind} with wrong ${name}`, batch([{ ...good, [name]: w }]), false]);
    }
  }
  return cases;
}

describe("validateMessage", () => {
  test("accepts a minimal sample of every message and event kind, refuses each with a field missing or mistyped", () => {
    const cases = schemaCases();
    assert.ok(cases.length > 100, `only ${cases.length} cases`);
    for (const [label, value, shouldPass] of cases) {
      const r = P.validateMessage(value);
      assert.equal(r.ok, shouldPass, `${label}: ${r.ok ? "accepted" : r.error}`);
      if (!r.ok) assert.equal(typeof r.error, "string");
    }
  });

  test("accepts a realistic batch and returns the same object", () => {
    const msg = {
      kind: P.MessageKind.EventsBatch,
      seq: 3,
      dropped: 0,
      events: [
        { kind: P.EventKind.SiteDef, site: 1, file: "/app/main.py", line: 10, func: "main" },
        {
          kind: P.EventKind.TaskCreated,
          task: 1,
          loop: 1,
          ts: 100,
          name: "Task-1",
          coro: "main",
          site: 1,
          parent: null,
          eager: false,
        },
        { kind: P.EventKind.TaskSteps, loop: 1, data: [1, 100, 200, 0] },
        {
          kind: P.EventKind.TaskDone,
          task: 1,
          ts: 300,
          state: "failed",
          result: null,
          cancel_message: null,
          exception: {
            type: "ValueError",
            message: "boom",
            traceback: [{ file: "/app/main.py", line: 12, func: "main" }],
          },
        },
      ],
    };
    const r = P.validateMessage(msg);
    assert.ok(r.ok, r.ok ? "" : r.error);
    assert.equal(r.msg, msg);
  });

  test("accepts unknown extra fields (a newer minor version may add some)", () => {
    const r = P.validateMessage({ kind: "loop/resumed", loop: 1, ts: 2, added_in_1_1: "x" });
    assert.ok(r.ok);
  });

  test("refuses non-objects", () => {
    for (const x of [null, undefined, 1, "session/hello", true, [], [{ kind: "loop/resumed", loop: 1, ts: 2 }]]) {
      const r = P.validateMessage(x);
      assert.equal(r.ok, false, JSON.stringify(x));
      assert.match(r.error, /must be an object/);
    }
  });

  test("refuses unknown kinds, including Object.prototype names", () => {
    for (const kind of ["task/created", "nope/nothing", "", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const r = P.validateMessage({ kind, loop: 1, ts: 2 });
      assert.equal(r.ok, false, kind);
      assert.match(r.error, /unknown message kind/);
    }
    assert.match(P.validateMessage({ loop: 1 }).error, /"kind" must be a string/);
    assert.match(P.validateMessage({ kind: 5 }).error, /"kind" must be a string/);
    const ev = P.validateMessage({
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [{ kind: "session/hello", protocol: "1.0", token: "t", role: "r" }],
    });
    assert.match(ev.error, /events\[0\]: unknown event kind "session\/hello"/);
  });

  test("refuses a field inherited from the prototype instead of an own field", () => {
    const proto = { loop: 1, ts: 2 };
    const msg = Object.create(proto);
    msg.kind = "loop/resumed";
    assert.equal(P.validateMessage(msg).ok, false);
  });

  test("names the path of a bad nested value", () => {
    const r = P.validateMessage({
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [
        { kind: "loop/closed", loop: 1, ts: 1 },
        {
          kind: "loop/blocked",
          loop: 1,
          ts: 2,
          duration_ns: 5,
          task: null,
          stack: [{ file: "a.py", line: "3", func: "f" }],
        },
      ],
    });
    assert.equal(r.ok, false);
    assert.equal(r.error, "events/batch.events[1]: loop/blocked.stack[0].line: expected int, got string");
  });

  test("ints must be integers, nulls only where the schema says T|null", () => {
    const ok = { kind: "loop/resumed", loop: 1, ts: 2 };
    assert.match(P.validateMessage({ ...ok, ts: 2.5 }).error, /loop\/resumed\.ts: expected int, got float/);
    assert.match(P.validateMessage({ ...ok, ts: null }).error, /expected int, got null/);
    assert.match(P.validateMessage({ ...ok, ts: true }).error, /expected int, got boolean/);
    assert.match(P.validateMessage({ ...ok, ts: "2" }).error, /expected int, got string/);
    assert.ok(P.validateMessage({ kind: "control/response", id: 1, ok: true, body: null }).ok);
  });

  test("hostile input: huge kinds are cut in the error, deep nesting does not blow the stack", () => {
    const long = "x".repeat(1_000_000);
    const r = P.validateMessage({ kind: long });
    assert.equal(r.ok, false);
    assert.ok(r.error.length < 200, `error is ${r.error.length} chars`);

    let deep = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    // 'any' fields are not walked: a deep value there is accepted without recursion.
    assert.ok(P.validateMessage({ kind: "control/request", id: 1, command: "evaluate", args: deep }).ok);
    // Typed fields stop at the first level that has the wrong type.
    const bad = P.validateMessage({ kind: "events/batch", seq: 1, dropped: 0, events: [deep] });
    assert.equal(bad.ok, false);
    assert.match(bad.error, /events\[0\]: event must be an object, got array/);
    const badInts = P.validateMessage({
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: [{ kind: "task/steps", loop: 1, data: deep }],
    });
    assert.match(badInts.error, /data\[0\]: expected int, got array/);

    const many = {
      kind: "events/batch",
      seq: 1,
      dropped: 0,
      events: Array.from({ length: 100_000 }, (_, i) => ({ kind: "loop/closed", loop: i, ts: i })),
    };
    assert.ok(P.validateMessage(many).ok);
  });

  test("validateEvent and the kind guards", () => {
    assert.ok(P.validateEvent({ kind: "future/done", future: 1, ts: 2, state: "done" }).ok);
    assert.equal(P.validateEvent({ kind: "loop/resumed", loop: 1, ts: 2 }).ok, false);
    assert.ok(P.isMessageKind("session/hello"));
    assert.ok(!P.isMessageKind("task/created"));
    assert.ok(P.isEventKind("task/created"));
    assert.ok(!P.isEventKind("__proto__"));
  });
});

describe("kind maps and field tables", () => {
  test("MessageKind/EventKind hold exactly the schema's kinds, as strings", () => {
    assert.deepEqual(Object.values(P.MessageKind).sort(), Object.keys(schema.messages).sort());
    assert.deepEqual(Object.values(P.EventKind).sort(), Object.keys(schema.events).sort());
    assert.equal(P.MessageKind.SessionHello, "session/hello");
    assert.equal(P.EventKind.TaskCancelRequested, "task/cancel-requested");
    assert.equal(P.PROTOCOL_VERSION, schema.version);
  });

  test("field tables list every schema field with its optionality", () => {
    for (const [group, table] of [
      ["messages", P.MESSAGE_FIELDS],
      ["events", P.EVENT_FIELDS],
      ["types", P.TYPE_FIELDS],
    ]) {
      for (const [kind, fields] of Object.entries(schema[group])) {
        const expected = Object.entries(fields)
          .filter(([k]) => !k.startsWith("$"))
          .map(([k, type]) => ({ name: k.replace(/\?$/, ""), type, optional: k.endsWith("?") }));
        assert.deepEqual(
          table[kind].map(({ name, type, optional }) => ({ name, type, optional })),
          expected,
          `${group}.${kind}`,
        );
      }
    }
  });
});

describe("checkHello", () => {
  test("accepts the same major version, any minor", () => {
    assert.deepEqual(P.checkHello({ protocol: "1.0" }, "1.0"), { ok: true });
    assert.deepEqual(P.checkHello({ protocol: "1.7" }, "1.0"), { ok: true });
    assert.deepEqual(P.checkHello({ protocol: P.PROTOCOL_VERSION }), { ok: true });
  });

  test("refuses a newer major version, telling to update the extension", () => {
    const r = P.checkHello({ protocol: "2.0" }, "1.0");
    assert.equal(r.ok, false);
    assert.match(
      r.error,
      /^Loopscope protocol mismatch: runtime speaks 2\.0, this extension speaks 1\.x — update the Loopscope extension/,
    );
  });

  test("refuses an older major version, telling to update the runtime", () => {
    const r = P.checkHello({ protocol: "1.4" }, "2.1");
    assert.equal(r.ok, false);
    assert.match(r.error, /runtime speaks 1\.4, this extension speaks 2\.x — update the loopscope runtime/);
  });

  test("refuses missing or malformed versions", () => {
    for (const protocol of [undefined, null, 2, "", "2", "v1.0", "1.0.0", "1.x", "x".repeat(10_000)]) {
      const r = P.checkHello({ protocol }, "1.0");
      assert.equal(r.ok, false, String(protocol));
      assert.match(r.error, /no valid protocol version/);
      assert.ok(r.error.length < 300);
    }
    assert.equal(P.checkHello(null, "1.0").ok, false);
  });
});

// ---- Python ------------------------------------------------------------------

describe("Python _protocol", () => {
  test("PROTOCOL_VERSION, kind constants and field tables equal the schema's", () => {
    const py = python(
      [
        "consts = {k: v for k, v in vars(p).items() if k.isupper() and isinstance(v, str) and '/' in v}",
        "print(json.dumps({'version': p.PROTOCOL_VERSION, 'major': p.PROTOCOL_MAJOR, 'consts': consts,",
        "  'messages': sorted(p.MESSAGE_KINDS), 'events': sorted(p.EVENT_KINDS),",
        "  'fields': {k: list(v) for k, v in p.FIELDS.items()}, 'optional': {k: list(v) for k, v in p.OPTIONAL.items()},",
        "  'types': {k: list(v) for k, v in p.TYPE_FIELDS.items()}}))",
      ].join("\n"),
    );
    assert.equal(py.version, schema.version);
    assert.equal(py.major, Number(schema.version.split(".")[0]));
    assert.deepEqual(py.messages, Object.keys(schema.messages).sort());
    assert.deepEqual(py.events, Object.keys(schema.events).sort());
    const upper = (kind) => kind.replace(/[/-]/g, "_").toUpperCase();
    const expectedConsts = {};
    for (const kind of [...Object.keys(schema.messages), ...Object.keys(schema.events)])
      expectedConsts[upper(kind)] = kind;
    assert.deepEqual(py.consts, expectedConsts);
    assert.equal(py.consts.TASK_CREATED, "task/created");
    assert.equal(py.consts.SESSION_HELLO, "session/hello");
    for (const [kind, fields] of Object.entries({ ...schema.messages, ...schema.events })) {
      const names = Object.keys(fields).filter((k) => !k.startsWith("$"));
      assert.deepEqual(
        py.fields[kind],
        names.filter((k) => !k.endsWith("?")),
        `FIELDS[${kind}]`,
      );
      assert.deepEqual(
        py.optional[kind],
        names.filter((k) => k.endsWith("?")).map((k) => k.slice(0, -1)),
        `OPTIONAL[${kind}]`,
      );
    }
    for (const [name, fields] of Object.entries(schema.types))
      assert.deepEqual(py.types[name], Object.keys(fields), name);
  });

  test("validate() agrees with validateMessage() on every schema-derived case", () => {
    const cases = schemaCases().concat([
      ["non-object", [1, 2], false],
      ["unknown kind", { kind: "__proto__" }, false],
      ["float for int", { kind: "loop/resumed", loop: 1, ts: 2.5 }, false],
      ["bool for int", { kind: "loop/resumed", loop: true, ts: 2 }, false],
      ["extra field", { kind: "loop/resumed", loop: 1, ts: 2, extra: {} }, true],
    ]);
    const results = python(
      "cases = json.load(sys.stdin)\nprint(json.dumps([p.validate(c) for c in cases]))",
      JSON.stringify(cases.map(([, v]) => v)),
    );
    cases.forEach(([label, value, shouldPass], i) => {
      const ts = P.validateMessage(value);
      assert.equal(ts.ok, shouldPass, `TS ${label}`);
      assert.equal(results[i] === null, shouldPass, `Python ${label}: ${results[i]}`);
    });
  });

  test("check_version() refuses another major", () => {
    const r = python(
      "print(json.dumps([p.check_version(p.PROTOCOL_VERSION), p.check_version('%d.9' % p.PROTOCOL_MAJOR), p.check_version('%d.0' % (p.PROTOCOL_MAJOR + 1), 'extension'), p.check_version('nonsense')]))",
    );
    assert.equal(r[0], null);
    assert.equal(r[1], null);
    assert.match(r[2], /^Loopscope protocol mismatch: extension speaks \d+\.0, this runtime speaks \d+\.x/);
    assert.match(r[3], /malformed protocol version/);
  });
});
