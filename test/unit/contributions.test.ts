// package.json's contributions checked against the code they describe:
// the launch/attach attributes against the adapter's config interfaces
// (extension/src/adapter/config.ts, read with the TypeScript compiler), the
// commands against the ones the extension registers, the initial
// configurations and settings against the extension's own defaults.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { COMMANDS, PANEL_TYPE, VIEW_ID } from "../../extension/src/ids";
import { DEBUG_TYPE, initialConfigurations } from "../../extension/src/debug/configurations";
import { SETTING_DEFAULTS, UPDATE_RATE_MAX, UPDATE_RATE_MIN } from "../../extension/src/settings";
import { RETAINED_FINISHED_TASKS, SLOW_CALLBACK_MS } from "../../extension/src/adapter/config";
import { DEFAULT_CONFIG } from "../../model/index";

const REPO = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));

interface JsonSchema {
  type?: string | string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  description?: string;
  default?: unknown;
  enum?: unknown[];
}

/** The JSON-schema type an interface member's TypeScript type stands for. */
function schemaOf(checker: ts.TypeChecker, type: ts.Type): JsonSchema {
  const parts = type.isUnion() ? type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)) : [type];
  if (parts.length === 1 && parts[0] !== type) return schemaOf(checker, parts[0]!);
  if (type.isUnion()) {
    // boolean is the union true | false
    if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
    const names = parts.map((t) => schemaOf(checker, t).type);
    return { type: names.flat().filter((n): n is string => typeof n === "string") };
  }
  if (type.flags & ts.TypeFlags.String) return { type: "string" };
  if (type.flags & ts.TypeFlags.Number) return { type: "number" };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
  if (type.flags & ts.TypeFlags.Null) return { type: "null" };
  if (checker.isArrayType(type)) {
    const [el] = checker.getTypeArguments(type as ts.TypeReference);
    return { type: "array", items: schemaOf(checker, el!) };
  }
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index !== undefined) return { type: "object", additionalProperties: schemaOf(checker, index.type) };
  throw new Error(`no JSON schema type for ${checker.typeToString(type)}`);
}

/** The members an interface declares, itself or in base interfaces of config.ts (not DebugProtocol's). */
function ownMembers(name: string): Map<string, JsonSchema> {
  const file = join(REPO, "extension/src/adapter/config.ts");
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    module: ts.ModuleKind.ESNext,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const local = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) local.set(n.name.text, n);
  });
  assert.ok(local.has(name), `interface ${name} in extension/src/adapter/config.ts`);
  const out = new Map<string, JsonSchema>();
  const add = (decl: ts.InterfaceDeclaration): void => {
    for (const h of decl.heritageClauses ?? []) {
      for (const t of h.types) {
        const base = ts.isIdentifier(t.expression) ? local.get(t.expression.text) : undefined;
        if (base !== undefined) add(base);
      }
    }
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m) || m.name === undefined) continue;
      const sym = checker.getSymbolAtLocation(m.name)!;
      out.set(sym.getName(), schemaOf(checker, checker.getTypeOfSymbolAtLocation(sym, m)));
    }
  };
  add(local.get(name)!);
  return out;
}

const norm = (t: string | string[] | undefined): string[] => (t === undefined ? [] : [t].flat().sort());

function sameSchema(where: string, declared: JsonSchema, expected: JsonSchema): void {
  assert.deepEqual(norm(declared.type), norm(expected.type), `${where}: type`);
  if (expected.items !== undefined) sameSchema(`${where}[]`, declared.items ?? {}, expected.items);
  if (expected.additionalProperties !== undefined) {
    sameSchema(`${where}{}`, declared.additionalProperties ?? {}, expected.additionalProperties);
  }
}

const debuggerContribution = (): {
  type: string;
  label: string;
  languages: string[];
  configurationAttributes: Record<"launch" | "attach", { required: string[]; properties: Record<string, JsonSchema> }>;
  initialConfigurations: unknown[];
  configurationSnippets: { label: string; body: Record<string, unknown> }[];
} => {
  const all = pkg.contributes.debuggers as { type: string }[];
  const d = all.find((x) => x.type === DEBUG_TYPE);
  assert.ok(d, "a debugger of type loopscope");
  return d as ReturnType<typeof debuggerContribution>;
};

for (const [request, iface] of [
  ["launch", "LaunchConfig"],
  ["attach", "AttachConfig"],
] as const) {
  test(`${request} attributes in package.json are exactly ${iface}'s, with the same types`, () => {
    const members = ownMembers(iface);
    const attrs = debuggerContribution().configurationAttributes[request];
    assert.deepEqual(Object.keys(attrs.properties).sort(), [...members.keys()].sort());
    for (const [name, schema] of members) {
      const declared = attrs.properties[name]!;
      sameSchema(`${request}.${name}`, declared, schema);
      assert.ok((declared.description ?? "").length > 20, `${request}.${name} has a description`);
      if (declared.default !== undefined) {
        const t = Array.isArray(declared.default)
          ? "array"
          : declared.default === null
            ? "null"
            : typeof declared.default;
        assert.ok(
          norm(schema.type).includes(t),
          `${request}.${name}: default ${JSON.stringify(declared.default)} is a ${t}`,
        );
      }
    }
    for (const r of attrs.required) assert.ok(members.has(r), `required ${r} is an attribute`);
  });
}

test("the debugger is 'Python asyncio (Loopscope)' for Python, with initial configurations and snippets", () => {
  const d = debuggerContribution();
  assert.equal(d.label, "Python asyncio (Loopscope)");
  assert.deepEqual(d.languages, ["python"]);
  assert.deepEqual(d.initialConfigurations, initialConfigurations());
  const requests = new Set(d.configurationSnippets.map((s) => s.body.request));
  assert.deepEqual([...requests].sort(), ["attach", "launch"]);
  for (const s of d.configurationSnippets) {
    assert.equal(s.body.type, DEBUG_TYPE, s.label);
    const props = d.configurationAttributes[s.body.request as "launch" | "attach"].properties;
    for (const k of Object.keys(s.body)) {
      if (k === "type" || k === "request" || k === "name") continue;
      assert.ok(k in props, `snippet "${s.label}" uses ${k}, an attribute of ${String(s.body.request)}`);
    }
  }
  assert.ok(
    (pkg.contributes.breakpoints as { language: string }[]).some((b) => b.language === "python"),
    "breakpoints in Python files",
  );
});

test("every contributed command is registered by the extension, and every menu item is a contributed command", () => {
  const contributed = (pkg.contributes.commands as { command: string; title: string; category: string }[]).map(
    (c) => c.command,
  );
  assert.deepEqual([...contributed].sort(), Object.values(COMMANDS).sort());
  for (const c of pkg.contributes.commands as { command: string; category: string }[]) {
    assert.equal(c.category, "Loopscope", c.command);
    assert.match(c.command, /^loopscope\./);
  }
  const titles = Object.fromEntries(
    (pkg.contributes.commands as { command: string; title: string }[]).map((c) => [c.command, c.title]),
  );
  assert.equal(titles[COMMANDS.debugCurrentFile], "Debug Current File with Loopscope");
  for (const [menu, items] of Object.entries(pkg.contributes.menus as Record<string, { command: string }[]>)) {
    for (const item of items) assert.ok(contributed.includes(item.command), `${menu}: ${item.command}`);
  }
  const editorTitle = (pkg.contributes.menus["editor/title"] as { command: string; when: string }[]).find(
    (m) => m.command === COMMANDS.debugCurrentFile,
  );
  assert.match(editorTitle?.when ?? "", /resourceLangId == python/, "the editor title button shows on Python files");
});

test("the Loopscope view container and its webview view", () => {
  const containers = pkg.contributes.viewsContainers.activitybar as { id: string; title: string; icon: string }[];
  const c = containers.find((x) => x.title === "Loopscope");
  assert.ok(c, "an activity bar container titled Loopscope");
  assert.ok(existsSync(join(REPO, c.icon)), `${c.icon} exists`);
  const views = pkg.contributes.views[c.id] as { id: string; type: string }[];
  assert.deepEqual(
    views.map((v) => [v.id, v.type]),
    [[VIEW_ID, "webview"]],
  );
  assert.ok(pkg.activationEvents.includes("onDebugResolve:loopscope"));
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${PANEL_TYPE}`));
  assert.deepEqual(pkg.extensionKind, ["workspace"]);
  // code-server 4.100.3 is VS Code 1.100: the engine range must allow it, and the API types be no newer than it.
  assert.match(pkg.engines.vscode, /^\^1\.(\d+)\.0$/);
  const lowest = Number(/^\^1\.(\d+)/.exec(pkg.engines.vscode)![1]);
  assert.ok(lowest <= 100, "engines.vscode allows 1.100");
  const types = JSON.parse(readFileSync(join(REPO, "node_modules/@types/vscode/package.json"), "utf8")).version;
  assert.ok(Number(types.split(".")[1]) <= lowest, `@types/vscode ${types} is not newer than the engine`);
});

test("settings: package.json's defaults and bounds are the extension's", () => {
  const props = pkg.contributes.configuration.properties as Record<
    string,
    JsonSchema & { minimum?: number; maximum?: number }
  >;
  assert.deepEqual(
    Object.keys(props).sort(),
    Object.keys(SETTING_DEFAULTS)
      .map((k) => `loopscope.${k}`)
      .sort(),
  );
  for (const [k, v] of Object.entries(SETTING_DEFAULTS)) {
    assert.equal(props[`loopscope.${k}`]!.default, v, k);
    assert.equal(props[`loopscope.${k}`]!.type, typeof v, k);
  }
  assert.equal(props["loopscope.updateRate"]!.minimum, UPDATE_RATE_MIN);
  assert.equal(props["loopscope.updateRate"]!.maximum, UPDATE_RATE_MAX);
  assert.equal(props["loopscope.slowCallbackThreshold"]!.minimum, SLOW_CALLBACK_MS.min);
  assert.equal(props["loopscope.slowCallbackThreshold"]!.maximum, SLOW_CALLBACK_MS.max);
  assert.equal(props["loopscope.retainedFinishedTasks"]!.minimum, RETAINED_FINISHED_TASKS.min);
  assert.equal(props["loopscope.retainedFinishedTasks"]!.maximum, RETAINED_FINISHED_TASKS.max);
  // The retention's default is the one the loop model uses when nobody sets it.
  assert.equal(SETTING_DEFAULTS.retainedFinishedTasks, DEFAULT_CONFIG.finishedTaskRetention);
});

test("the watch options' launch and attach attributes carry the settings' bounds and defaults", () => {
  const attrs = debuggerContribution().configurationAttributes;
  for (const request of ["launch", "attach"] as const) {
    const props = attrs[request].properties as Record<string, JsonSchema & { minimum?: number; maximum?: number }>;
    for (const [name, b] of [
      ["slowCallbackThreshold", SLOW_CALLBACK_MS],
      ["retainedFinishedTasks", RETAINED_FINISHED_TASKS],
    ] as const) {
      assert.deepEqual(
        [props[name]!.default, props[name]!.minimum, props[name]!.maximum],
        [b.default, b.min, b.max],
        `${request}.${name}`,
      );
    }
  }
});
