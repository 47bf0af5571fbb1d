#!/usr/bin/env node
// Generates the wire protocol code from protocol/schema.json:
//   protocol/generated.ts          (TypeScript types, kind maps, validator)
//   runtime/loopscope/_protocol.py (Python constants, field tables, validator)
//
// Usage:
//   node scripts/gen-protocol.mjs                 write into the repository
//   node scripts/gen-protocol.mjs --out-dir DIR   write DIR/protocol/generated.ts
//                                                 and DIR/runtime/loopscope/_protocol.py
//   node scripts/gen-protocol.mjs --check         exit 1 if the committed files differ
//
// The schema's type mini-language: int, float, str, bool, any, T[] (list),
// T|null (nullable), names from "types", and "Event" (any event of "events").
// A field whose name ends in "?" may be absent. Keys starting with "$" are
// documentation. On the wire every message and every event is a JSON object
// whose "kind" member holds its noun/verb name, so no field may be called "kind".

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const GENERATOR = "scripts/gen-protocol.mjs";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const TS_PATH = "protocol/generated.ts";
export const PY_PATH = "runtime/loopscope/_protocol.py";
const PRIMITIVES = new Set(["int", "float", "str", "bool", "any", "packed"]);
const EVENT_TYPE = "Event";

// ---------------------------------------------------------------------------
// Schema reading

/** Parses one type expression into {k, ...}: int/float/str/bool/any, list, nullable, ref, event. */
export function parseType(expr, typeNames, where) {
  const fail = (why) => {
    throw new Error(`${where}: bad type ${JSON.stringify(expr)}: ${why}`);
  };
  if (typeof expr !== "string") fail("a type must be a string");
  const text = expr.replace(/\s+/g, "");
  const parts = text.split("|");
  if (parts.length > 2) fail("only 'T|null' unions are allowed");
  if (parts.length === 2) {
    if (parts[1] !== "null" || parts[0] === "null") fail("only 'T|null' unions are allowed");
    return { k: "nullable", of: parseType(parts[0], typeNames, where) };
  }
  if (text.endsWith("[]")) return { k: "list", of: parseType(text.slice(0, -2), typeNames, where) };
  if (PRIMITIVES.has(text)) return { k: text };
  if (text === EVENT_TYPE) return { k: "event" };
  if (typeNames.has(text)) return { k: "ref", name: text };
  return fail("unknown type name");
}

function readFields(obj, typeNames, where) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new Error(`${where}: must be an object of fields`);
  }
  const fields = [];
  const seen = new Set();
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith("$")) continue;
    const optional = key.endsWith("?");
    const name = optional ? key.slice(0, -1) : key;
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
      throw new Error(`${where}: field name ${JSON.stringify(key)} must be snake_case`);
    }
    if (seen.has(name)) throw new Error(`${where}: field "${name}" appears twice`);
    seen.add(name);
    fields.push({
      name,
      optional,
      type: String(value).replace(/\s+/g, ""),
      spec: parseType(value, typeNames, `${where}.${key}`),
    });
  }
  return { doc: typeof obj.$doc === "string" ? obj.$doc : null, fields };
}

/** Splits "task/cancel-requested" into words: ["task", "cancel", "requested"]. */
function kindWords(kind) {
  if (!/^[a-z]+(?:-[a-z]+)*\/[a-z]+(?:-[a-z]+)*$/.test(kind)) {
    throw new Error(`kind ${JSON.stringify(kind)} must look like noun/verb (lower case, '-' between words)`);
  }
  return kind.split(/[/-]/);
}
const pascal = (words) => words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
const upperSnake = (words) => words.map((w) => w.toUpperCase()).join("_");

export function readSchema(schema) {
  if (typeof schema.version !== "string" || !/^\d+\.\d+$/.test(schema.version)) {
    throw new Error(`schema.version must be "MAJOR.MINOR", got ${JSON.stringify(schema.version)}`);
  }
  const typeNames = new Set(Object.keys(schema.types ?? {}));
  for (const name of typeNames) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`type name ${JSON.stringify(name)} must be PascalCase`);
    if (name === EVENT_TYPE) throw new Error(`type name "${EVENT_TYPE}" is reserved for the union of events`);
  }
  const types = Object.entries(schema.types ?? {}).map(([name, body]) => ({
    name,
    ...readFields(body, typeNames, `types.${name}`),
  }));
  const constNames = new Map();
  const readKinds = (group, suffix) =>
    Object.entries(schema[group] ?? {}).map(([kind, body]) => {
      const words = kindWords(kind);
      const entry = {
        kind,
        group,
        member: pascal(words),
        iface: pascal(words) + suffix,
        constant: upperSnake(words),
        ...readFields(body, typeNames, `${group}.${kind}`),
      };
      if (entry.fields.some((f) => f.name === "kind")) {
        throw new Error(
          `${group}.${kind}: a field may not be called "kind": on the wire "kind" holds the message/event name ("${kind}")`,
        );
      }
      const clash = constNames.get(entry.constant);
      if (clash) throw new Error(`${group}.${kind} and ${clash} both map to the constant ${entry.constant}`);
      constNames.set(entry.constant, `${group}.${kind}`);
      return entry;
    });
  const messages = readKinds("messages", "Message");
  const events = readKinds("events", "Event");
  for (const reserved of ["PROTOCOL_VERSION", "PROTOCOL_MAJOR", "PROTOCOL_MINOR"]) {
    if (constNames.has(reserved)) throw new Error(`${constNames.get(reserved)} clashes with ${reserved}`);
  }
  if (messages.length === 0) throw new Error("schema has no messages");
  const [major, minor] = schema.version.split(".").map(Number);
  return { version: schema.version, major, minor, types, messages, events };
}

// ---------------------------------------------------------------------------
// TypeScript

function tsType(spec) {
  switch (spec.k) {
    case "int":
    case "float":
      return "number";
    case "str":
      return "string";
    case "bool":
      return "boolean";
    case "any":
      return "unknown";
    case "packed":
      return "PackedInts";
    case "event":
      return "LoopEvent";
    case "ref":
      return spec.name;
    case "list": {
      const inner = tsType(spec.of);
      return spec.of.k === "nullable" ? `(${inner})[]` : `${inner}[]`;
    }
    case "nullable":
      return `${tsType(spec.of)} | null`;
    default:
      throw new Error(`unhandled type ${spec.k}`);
  }
}

function tsSpec(spec) {
  switch (spec.k) {
    case "list":
    case "nullable":
      return `{ k: "${spec.k}", of: ${tsSpec(spec.of)} }`;
    case "ref":
      return `{ k: "ref", name: "${spec.name}" }`;
    default:
      return `{ k: "${spec.k}" }`;
  }
}

function tsDoc(doc, indent = "") {
  if (!doc) return "";
  const words = doc.split(/\s+/);
  const lines = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + w.length + 1 > 76) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l.replace(/\*\//g, "*\\/")}`).join("\n")}\n${indent} */\n`;
}

function tsFieldTable(fields) {
  if (fields.length === 0) return "[]";
  return `[\n${fields.map((f) => `    { name: "${f.name}", type: "${f.type}", optional: ${f.optional}, spec: ${tsSpec(f.spec)} },`).join("\n")}\n  ]`;
}

function tsInterface(name, doc, kindLiteral, fields) {
  const lines = [];
  if (kindLiteral) lines.push(`  readonly kind: "${kindLiteral}";`);
  for (const f of fields) {
    lines.push(`  readonly ${f.name}${f.optional ? "?" : ""}: ${tsType(f.spec)};`);
  }
  return `${tsDoc(doc)}export interface ${name} {\n${lines.join("\n")}\n}\n`;
}

export function generateTs(s) {
  const out = [];
  out.push(`// DO NOT EDIT: generated by ${GENERATOR} from protocol/schema.json.`);
  out.push(`// Change the schema and run \`npm run gen:protocol\`; test/unit/protocol.test.mjs fails on drift.`);
  out.push("");
  out.push(`import { decodePackedInts } from "./packedBase64";`);
  out.push("");
  out.push(`/** The wire protocol version, "MAJOR.MINOR". Peers refuse a different MAJOR. */`);
  out.push(`export const PROTOCOL_VERSION = "${s.version}";`);
  out.push(`export const PROTOCOL_MAJOR = ${s.major};`);
  out.push(`export const PROTOCOL_MINOR = ${s.minor};`);
  out.push("");
  out.push("// ---- Shared types -------------------------------------------------------");
  out.push("");
  out.push(`/**
 * A packed int list (a schema field of type \`packed\`: the \`data\` of task/steps
 * and the batch events). On the wire a JSON list of ints (protocol 1.1
 * runtimes, hand-built messages) or base64 text of little-endian int64s (1.2
 * runtimes), which validation decodes in place. Here a plain array when built
 * by hand or by JSON.parse; a Float64Array when decoded, or when read by
 * protocol/wireLines.ts (the adapter's path: no JS array, no number objects).
 * Read it by index and length only.
 */
export type PackedInts = number[] | Float64Array;
`);
  for (const t of s.types) out.push(tsInterface(t.name, t.doc, null, t.fields));
  out.push("// ---- Messages (one JSON object per line on the TCP connection) -------------");
  out.push("");
  for (const m of s.messages) out.push(tsInterface(m.iface, m.doc, m.kind, m.fields));
  out.push("// ---- Events (inside events/batch) ----------------------------------------");
  out.push("");
  for (const e of s.events) out.push(tsInterface(e.iface, e.doc, e.kind, e.fields));
  out.push(`/** Every message that travels on the wire. */`);
  out.push(`export type WireMessage =\n${s.messages.map((m) => `  | ${m.iface}`).join("\n")};\n`);
  out.push(`/** Every loop event (the items of an events/batch). */`);
  out.push(`export type LoopEvent =\n${s.events.map((e) => `  | ${e.iface}`).join("\n")};\n`);
  out.push(`/** The kind strings of the messages. */`);
  out.push(
    `export const MessageKind = {\n${s.messages.map((m) => `  ${m.member}: "${m.kind}",`).join("\n")}\n} as const;`,
  );
  out.push(`export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];\n`);
  out.push(`/** The kind strings of the events. */`);
  out.push(`export const EventKind = {\n${s.events.map((e) => `  ${e.member}: "${e.kind}",`).join("\n")}\n} as const;`);
  out.push(`export type EventKind = (typeof EventKind)[keyof typeof EventKind];\n`);
  out.push(`/** The message interface for a kind string. */`);
  out.push(`export type MessageOf<K extends MessageKind> = Extract<WireMessage, { kind: K }>;`);
  out.push(`/** The event interface for a kind string. */`);
  out.push(`export type EventOf<K extends EventKind> = Extract<LoopEvent, { kind: K }>;\n`);
  out.push("// ---- Field tables, usable at run time ---------------------------------------");
  out.push("");
  out.push(`/** A parsed schema type: primitives, lists, nullables, named types and "any event". */`);
  out.push(`export type TypeSpec =
  | { readonly k: "int" | "float" | "str" | "bool" | "any" | "packed" | "event" }
  | { readonly k: "list" | "nullable"; readonly of: TypeSpec }
  | { readonly k: "ref"; readonly name: TypeName };\n`);
  out.push(`export interface FieldSpec {
  readonly name: string;
  /** The type as written in the schema, e.g. "int|null" or "Frame[]". */
  readonly type: string;
  readonly optional: boolean;
  readonly spec: TypeSpec;
}\n`);
  out.push(`export type TypeName = ${s.types.length ? s.types.map((t) => `"${t.name}"`).join(" | ") : "never"};\n`);
  out.push(`/** Fields of the named types of the schema. */`);
  out.push(
    `export const TYPE_FIELDS: { readonly [N in TypeName]: readonly FieldSpec[] } = {\n${s.types.map((t) => `  ${t.name}: ${tsFieldTable(t.fields)},`).join("\n")}\n};\n`,
  );
  out.push(`/** Fields of every message kind (the "kind" member itself is not listed). */`);
  out.push(
    `export const MESSAGE_FIELDS: { readonly [K in MessageKind]: readonly FieldSpec[] } = {\n${s.messages.map((m) => `  "${m.kind}": ${tsFieldTable(m.fields)},`).join("\n")}\n};\n`,
  );
  out.push(`/** Fields of every event kind (the "kind" member itself is not listed). */`);
  out.push(
    `export const EVENT_FIELDS: { readonly [K in EventKind]: readonly FieldSpec[] } = {\n${s.events.map((e) => `  "${e.kind}": ${tsFieldTable(e.fields)},`).join("\n")}\n};\n`,
  );
  out.push(TS_VALIDATOR);
  return out.join("\n");
}

const TS_VALIDATOR = `// ---- Validation ---------------------------------------------------------------

export type ValidationResult<T> = { ok: true; msg: T } | { ok: false; error: string };

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Names a value's JSON type for error messages. */
function jsonTypeOf(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  return typeof x === "object" ? "object" : typeof x;
}

/** Quotes an untrusted string for an error message, cut to a sane length. */
function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + "…" : s);
}

const INT_LIST: TypeSpec = { k: "list", of: { k: "int" } };

function checkValue(value: unknown, spec: TypeSpec, path: string): string | null {
  switch (spec.k) {
    case "any":
      return null; // presence was checked by the caller
    case "int":
      return typeof value === "number" && Number.isInteger(value) ? null : \`\${path}: expected int, got \${jsonTypeOf(value)}\`;
    case "float":
      return typeof value === "number" && Number.isFinite(value) ? null : \`\${path}: expected float, got \${jsonTypeOf(value)}\`;
    case "str":
      return typeof value === "string" ? null : \`\${path}: expected str, got \${jsonTypeOf(value)}\`;
    case "bool":
      return typeof value === "boolean" ? null : \`\${path}: expected bool, got \${jsonTypeOf(value)}\`;
    case "nullable":
      return value === null ? null : checkValue(value, spec.of, path);
    case "packed":
      if (value instanceof Float64Array) {
        // Decoded from base64 (checkFields), or read by protocol/wireLines.ts.
        for (let i = 0; i < value.length; i++) {
          if (!Number.isInteger(value[i])) return \`\${path}[\${i}]: expected int, got float\`;
        }
        return null;
      }
      if (!Array.isArray(value)) return \`\${path}: expected packed ints (a list of ints or base64 text), got \${jsonTypeOf(value)}\`;
      return checkValue(value, INT_LIST, path);
    case "list": {
      if (!Array.isArray(value)) return \`\${path}: expected list, got \${jsonTypeOf(value)}\`;
      if (spec.of.k === "int") {
        // The hot case (packed steps, futures): a tight loop; the path is built only for an error.
        for (let i = 0; i < value.length; i++) {
          const x: unknown = value[i];
          if (typeof x !== "number" || !Number.isInteger(x)) return \`\${path}[\${i}]: expected int, got \${jsonTypeOf(x)}\`;
        }
        return null;
      }
      for (let i = 0; i < value.length; i++) {
        const err = checkValue(value[i] as unknown, spec.of, \`\${path}[\${i}]\`);
        if (err !== null) return err;
      }
      return null;
    }
    case "ref":
      if (!isRecord(value)) return \`\${path}: expected \${spec.name} object, got \${jsonTypeOf(value)}\`;
      return checkFields(value, TYPE_FIELDS[spec.name], path);
    case "event": {
      const r = validateEvent(value);
      return r.ok ? null : \`\${path}: \${r.error}\`;
    }
  }
}

function checkFields(obj: Record<string, unknown>, fields: readonly FieldSpec[], path: string): string | null {
  for (const f of fields) {
    if (!hasOwn(obj, f.name)) {
      if (f.optional) continue;
      return \`\${path}: missing field "\${f.name}"\`;
    }
    let value = obj[f.name];
    if (f.spec.k === "packed" && typeof value === "string") {
      // Base64 of little-endian int64s: decoded in place, once, so every
      // reader of the validated message sees numbers.
      const ints = decodePackedInts(value);
      if (ints === null) return \`\${path}.\${f.name}: packed ints: not base64 text of whole int64s\`;
      obj[f.name] = ints;
      value = ints;
    }
    const err = checkValue(value, f.spec, \`\${path}.\${f.name}\`);
    if (err !== null) return err;
  }
  return null;
}

/** Checks that x is an event object of a known kind with every required field of the right JSON type. Unknown extra fields are allowed. */
export function validateEvent(x: unknown): ValidationResult<LoopEvent> {
  if (!isRecord(x)) return { ok: false, error: \`event must be an object, got \${jsonTypeOf(x)}\` };
  const kind = x["kind"];
  if (typeof kind !== "string") return { ok: false, error: \`event "kind" must be a string, got \${jsonTypeOf(kind)}\` };
  if (!hasOwn(EVENT_FIELDS, kind)) return { ok: false, error: \`unknown event kind \${quote(kind)}\` };
  const err = checkFields(x, EVENT_FIELDS[kind as EventKind], kind);
  // The cast is sound: the kind is known and every field of its interface was checked above.
  return err === null ? { ok: true, msg: x as unknown as LoopEvent } : { ok: false, error: err };
}

/** Checks that x is a message of a known kind with every required field of the right JSON type, events of a batch included. Unknown extra fields are allowed. */
export function validateMessage(x: unknown): ValidationResult<WireMessage> {
  if (!isRecord(x)) return { ok: false, error: \`message must be an object, got \${jsonTypeOf(x)}\` };
  const kind = x["kind"];
  if (typeof kind !== "string") return { ok: false, error: \`message "kind" must be a string, got \${jsonTypeOf(kind)}\` };
  if (!hasOwn(MESSAGE_FIELDS, kind)) return { ok: false, error: \`unknown message kind \${quote(kind)}\` };
  const err = checkFields(x, MESSAGE_FIELDS[kind as MessageKind], kind);
  // The cast is sound: the kind is known and every field of its interface was checked above.
  return err === null ? { ok: true, msg: x as unknown as WireMessage } : { ok: false, error: err };
}

/** True for a known message kind. */
export function isMessageKind(kind: string): kind is MessageKind {
  return hasOwn(MESSAGE_FIELDS, kind);
}

/** True for a known event kind. */
export function isEventKind(kind: string): kind is EventKind {
  return hasOwn(EVENT_FIELDS, kind);
}
`;

// ---------------------------------------------------------------------------
// Python

function pySpec(spec) {
  switch (spec.k) {
    case "list":
    case "nullable":
      return `("${spec.k}", ${pySpec(spec.of)})`;
    case "ref":
      return `("ref", "${spec.name}")`;
    default:
      return `("${spec.k}",)`;
  }
}

function pyComment(doc, indent = "") {
  if (!doc) return [];
  const words = doc.split(/\s+/);
  const lines = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + w.length + 1 > 74) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}`);
}

const pyTuple = (names) =>
  names.length === 0 ? "()" : `(${names.map((n) => `"${n}"`).join(", ")}${names.length === 1 ? "," : ""})`;

function pySpecTable(fields) {
  if (fields.length === 0) return "()";
  return `(\n${fields.map((f) => `        ("${f.name}", ${f.optional ? "True" : "False"}, ${pySpec(f.spec)}),`).join("\n")}\n    )`;
}

export function generatePy(s) {
  const out = [];
  out.push(`# DO NOT EDIT: generated by ${GENERATOR} from protocol/schema.json.`);
  out.push(`# Change the schema and run \`npm run gen:protocol\`; test/unit/protocol.test.mjs fails on drift.`);
  out.push(`"""Loopscope wire protocol: kinds, field tables and a validator (stdlib only)."""`);
  out.push("import re");
  out.push("");
  out.push(`PROTOCOL_VERSION = "${s.version}"`);
  out.push(`PROTOCOL_MAJOR = ${s.major}`);
  out.push(`PROTOCOL_MINOR = ${s.minor}`);
  out.push("");
  out.push("# ---- Message kinds");
  for (const m of s.messages) {
    out.push(...pyComment(m.doc));
    out.push(`${m.constant} = "${m.kind}"`);
  }
  out.push("");
  out.push("# ---- Event kinds");
  for (const e of s.events) {
    out.push(...pyComment(e.doc));
    out.push(`${e.constant} = "${e.kind}"`);
  }
  out.push("");
  out.push(`MESSAGE_KINDS = frozenset([\n${s.messages.map((m) => `    ${m.constant},`).join("\n")}\n])`);
  out.push(`EVENT_KINDS = frozenset([\n${s.events.map((e) => `    ${e.constant},`).join("\n")}\n])`);
  out.push("");
  const all = [...s.messages, ...s.events];
  out.push(`# Required fields of every message and event, in schema order ("kind" not included).`);
  out.push(
    `FIELDS = {\n${all.map((k) => `    ${k.constant}: ${pyTuple(k.fields.filter((f) => !f.optional).map((f) => f.name))},`).join("\n")}\n}`,
  );
  out.push("");
  out.push(`# Fields that may be absent.`);
  out.push(
    `OPTIONAL = {\n${all.map((k) => `    ${k.constant}: ${pyTuple(k.fields.filter((f) => f.optional).map((f) => f.name))},`).join("\n")}\n}`,
  );
  out.push("");
  out.push(`# Fields of the named types of the schema.`);
  out.push(
    `TYPE_FIELDS = {\n${s.types.map((t) => `    "${t.name}": ${pyTuple(t.fields.map((f) => f.name))},`).join("\n")}\n}`,
  );
  out.push("");
  out.push(`# Parsed field types: (name, optional, spec); spec is ("int",), ("list", spec),`);
  out.push(`# ("nullable", spec), ("ref", "TypeName") or ("event",).`);
  out.push(`_TYPE_SPECS = {\n${s.types.map((t) => `    "${t.name}": ${pySpecTable(t.fields)},`).join("\n")}\n}`);
  out.push(`_SPECS = {\n${all.map((k) => `    ${k.constant}: ${pySpecTable(k.fields)},`).join("\n")}\n}`);
  out.push(PY_VALIDATOR);
  return out.join("\n");
}

const PY_VALIDATOR = `

def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_BASE64 = re.compile(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\\Z")


def _quote(text):
    return repr(text if len(text) <= 60 else text[:60] + "...")


def _check_value(value, spec, path):
    k = spec[0]
    if k == "any":
        return None
    if k == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return "%s: expected int, got %s" % (path, _json_type(value))
    if k == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        return "%s: expected float, got %s" % (path, _json_type(value))
    if k == "str":
        return None if isinstance(value, str) else "%s: expected str, got %s" % (path, _json_type(value))
    if k == "bool":
        return None if isinstance(value, bool) else "%s: expected bool, got %s" % (path, _json_type(value))
    if k == "nullable":
        return None if value is None else _check_value(value, spec[1], path)
    if k == "packed":
        # A list of ints, or base64 text of little-endian int64s (loopscope.packed).
        if isinstance(value, str):
            pad = len(value) - len(value.rstrip("="))
            if len(value) % 4 == 0 and pad <= 2 and (len(value) // 4 * 3 - pad) % 8 == 0 and _BASE64.match(value):
                return None
            return "%s: packed ints: not base64 text of whole int64s" % path
        return _check_value(value, ("list", ("int",)), path)
    if k == "list":
        if not isinstance(value, (list, tuple)):
            return "%s: expected list, got %s" % (path, _json_type(value))
        for i, item in enumerate(value):
            err = _check_value(item, spec[1], "%s[%d]" % (path, i))
            if err is not None:
                return err
        return None
    if k == "ref":
        if not isinstance(value, dict):
            return "%s: expected %s object, got %s" % (path, spec[1], _json_type(value))
        return _check_fields(value, _TYPE_SPECS[spec[1]], path)
    if k == "event":
        err = validate_event(value)
        return None if err is None else "%s: %s" % (path, err)
    raise AssertionError("unknown type spec %r" % (spec,))


def _check_fields(obj, specs, path):
    for name, optional, spec in specs:
        if name not in obj:
            if optional:
                continue
            return '%s: missing field "%s"' % (path, name)
        err = _check_value(obj[name], spec, "%s.%s" % (path, name))
        if err is not None:
            return err
    return None


def _validate(obj, kinds, what):
    if not isinstance(obj, dict):
        return "%s must be an object, got %s" % (what, _json_type(obj))
    kind = obj.get("kind")
    if not isinstance(kind, str):
        return '%s "kind" must be a string, got %s' % (what, _json_type(kind))
    if kind not in kinds:
        return "unknown %s kind %s" % (what, _quote(kind))
    return _check_fields(obj, _SPECS[kind], kind)


def validate(msg):
    """Returns None for a valid wire message (events of a batch included), else an error string.

    Checks the kind is known and every required field is present with the
    right JSON type; unknown extra fields are allowed.
    """
    return _validate(msg, MESSAGE_KINDS, "message")


def validate_event(event):
    """Returns None for a valid event object, else an error string."""
    return _validate(event, EVENT_KINDS, "event")


def major_of(version):
    """The MAJOR of a "MAJOR.MINOR" version string, or None when malformed."""
    if not isinstance(version, str):
        return None
    head, sep, tail = version.partition(".")
    if not (sep and head.isdigit() and tail.isdigit()):
        return None
    return int(head)


def check_version(theirs, peer="peer"):
    """None when a peer speaking protocol \`theirs\` is compatible with us, else why not."""
    their_major = major_of(theirs)
    if their_major is None:
        return "Loopscope protocol mismatch: the %s sent a malformed protocol version %s" % (
            peer,
            _quote(str(theirs)),
        )
    if their_major != PROTOCOL_MAJOR:
        return "Loopscope protocol mismatch: %s speaks %s, this runtime speaks %d.x" % (
            peer,
            theirs,
            PROTOCOL_MAJOR,
        )
    return None
`;

// ---------------------------------------------------------------------------

export function generate(schemaText) {
  const s = readSchema(JSON.parse(schemaText));
  return { [TS_PATH]: generateTs(s), [PY_PATH]: generatePy(s) };
}

function main(argv) {
  let outDir = REPO;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out-dir") outDir = resolve(argv[++i] ?? "");
    else if (argv[i] === "--check") check = true;
    else {
      console.error(`gen-protocol: unknown argument ${argv[i]}`);
      return 2;
    }
  }
  let files;
  try {
    files = generate(readFileSync(join(REPO, "protocol/schema.json"), "utf8"));
  } catch (e) {
    console.error(`gen-protocol: protocol/schema.json: ${e.message}`);
    return 1;
  }
  let stale = 0;
  for (const [rel, text] of Object.entries(files)) {
    const path = join(outDir, rel);
    if (check) {
      let old = null;
      try {
        old = readFileSync(path, "utf8");
      } catch {
        /* missing counts as stale */
      }
      if (old !== text) {
        console.error(`gen-protocol: ${rel} is out of date; run npm run gen:protocol`);
        stale++;
      }
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    let old = null;
    try {
      old = readFileSync(path, "utf8");
    } catch {
      /* new file */
    }
    if (old !== text) writeFileSync(path, text);
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
