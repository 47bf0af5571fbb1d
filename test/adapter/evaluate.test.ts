// Evaluate in the selected frame (console, hover, watch) with errors reported
// as errors; expandable variables (lists, dicts, objects) with paging.

import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Program, REPO, rejection, withSession } from "./support";

const PROGRAM = `
  import asyncio

  class Order:
      def __init__(self, oid, items):
          self.oid = oid
          self.items = items

  async def handle(order, table):
      big = list(range(1000))
      seen = {"alpha": 1, "beta": [1, 2, 3]}
      ready = True  # @bp
      return len(big) + len(seen)

  async def main():
      table = {i: "row%d" % i for i in range(250)}
      print("result", await handle(Order(7, ["tea", "cake"]), table))

  asyncio.run(main())
`;

test("evaluate runs in the selected frame; errors come back as errors and the session goes on", async () => {
  const p = new Program(PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    const frames = await s.stack(stop.body.threadId!);
    const inner = frames[0]!.id;
    const outer = frames[1]!.id;
    const r = await s.dc.evaluateRequest({ expression: "order.oid * 6", frameId: inner, context: "repl" });
    assert.equal(r.body.result, "42");
    assert.equal(r.body.type, "int");
    assert.equal(
      (await s.dc.evaluateRequest({ expression: "len(table)", frameId: outer, context: "watch" })).body.result,
      "250",
    );
    assert.equal(
      (await s.dc.evaluateRequest({ expression: "seen['beta']", frameId: inner, context: "hover" })).body.result,
      "[1, 2, 3]",
    );
    assert.match(
      await rejection(s.dc.evaluateRequest({ expression: "missing + 1", frameId: inner, context: "repl" })),
      /^NameError: name 'missing' is not defined$/,
    );
    assert.match(
      await rejection(s.dc.evaluateRequest({ expression: "1 / 0", frameId: inner, context: "watch" })),
      /^ZeroDivisionError: division by zero$/,
    );
    assert.match(
      await rejection(s.dc.evaluateRequest({ expression: "def (", frameId: inner, context: "repl" })),
      /SyntaxError/,
    );
    // A statement in the console runs; the next evaluation still works.
    await s.dc.evaluateRequest({ expression: "import math", frameId: inner, context: "repl" });
    assert.equal(
      (await s.dc.evaluateRequest({ expression: "math.floor(2.5) + order.oid", frameId: inner, context: "repl" })).body
        .result,
      "9",
    );
    // An expandable result.
    const obj = await s.dc.evaluateRequest({ expression: "order", frameId: inner, context: "repl" });
    assert.ok(obj.body.variablesReference > 0);
    const attrs = await s.vars(obj.body.variablesReference);
    assert.equal(attrs.get("oid")?.value, "7");
    assert.equal(attrs.get("items")?.value, "['tea', 'cake']");
    assert.equal(attrs.get("items")?.evaluateName, "order.items");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
    assert.match(s.output("stdout"), /result 1002/);
  });
});

test("lists, dicts and objects expand; large ones come in pages", async () => {
  const p = new Program(PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    const frames = await s.stack(stop.body.threadId!);
    const locals = await s.scope(frames[0]!.id);
    const big = locals.get("big")!;
    assert.equal(big.indexedVariables, 1000);
    const page = await s.vars(big.variablesReference, { filter: "indexed", start: 500, count: 5 });
    assert.deepEqual(
      [...page.entries()].map(([k, v]) => [k, v.value]),
      [
        ["500", "500"],
        ["501", "501"],
        ["502", "502"],
        ["503", "503"],
        ["504", "504"],
      ],
    );
    assert.equal(page.get("502")?.evaluateName, "big[502]");
    assert.equal((await s.vars(big.variablesReference, { filter: "named" })).size, 0);
    const seen = locals.get("seen")!;
    assert.equal(seen.indexedVariables, 2);
    const entries = await s.vars(seen.variablesReference, { filter: "indexed", start: 0, count: 2 });
    assert.equal(entries.get("'alpha'")?.value, "1");
    const beta = entries.get("'beta'")!;
    assert.equal(beta.evaluateName, "seen['beta']");
    assert.deepEqual(
      [...(await s.vars(beta.variablesReference)).values()].map((v) => v.value),
      ["1", "2", "3"],
    );
    const order = locals.get("order")!;
    const items = (await s.vars(order.variablesReference)).get("items")!;
    assert.deepEqual(
      [...(await s.vars(items.variablesReference)).values()].map((v) => v.value),
      ["'tea'", "'cake'"],
    );
    const table = (await s.scope(frames[1]!.id)).get("table")!;
    assert.equal(table.indexedVariables, 250);
    const tail = await s.vars(table.variablesReference, { filter: "indexed", start: 248, count: 10 });
    assert.deepEqual(
      [...tail.entries()].map(([k, v]) => [k, v.value]),
      [
        ["248", "'row248'"],
        ["249", "'row249'"],
      ],
    );
    const globals = await s.scope(frames[0]!.id, "Globals");
    assert.ok(globals.has("Order") && globals.has("handle"));
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
  });
});

/** Shared with test/runtime/test_debugger.py. */
const ASYNC_PROGRAM = readFileSync(join(REPO, "test/fixtures/debugger/eval_and_set.py"), "utf8");

test("evaluate sees the frame's loop and task: all_tasks(), current_task(), context variables, other tasks' locals", async () => {
  const p = new Program(ASYNC_PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    const frameId = (await s.stack(stop.body.threadId!))[0]!.id;
    const ev = async (expression: string): Promise<string> =>
      (await s.dc.evaluateRequest({ expression, frameId, context: "repl" })).body.result;
    assert.equal(await ev("sorted(t.get_name() for t in asyncio.all_tasks())"), "['Task-1', 'other', 'worker']");
    assert.equal(await ev("asyncio.current_task().get_name()"), "'worker'");
    assert.equal(await ev("request.get()"), "'req-7'");
    assert.equal(
      await ev(
        "[t for t in asyncio.all_tasks(asyncio.get_running_loop()) if t.get_name() == 'Task-1'][0].get_coro().cr_frame.f_locals['o'].get_name()",
      ),
      "'other'",
    );
    assert.match(
      await rejection(
        s.dc.evaluateRequest({ expression: "asyncio.current_task().result()", frameId, context: "watch" }),
      ),
      /^InvalidStateError: Result is not set/,
    );
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
  });
});

test("setVariable changes a local, a list item, a dict entry, an attribute and a global of a stopped task", async () => {
  const p = new Program(ASYNC_PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    const frameId = (await s.stack(stop.body.threadId!))[0]!.id;
    const scopes = (await s.dc.scopesRequest({ frameId })).body.scopes;
    const localsRef = scopes.find((x) => x.name === "Locals")!.variablesReference;
    const globalsRef = scopes.find((x) => x.name === "Globals")!.variablesReference;
    const set = (variablesReference: number, name: string, value: string) =>
      s.dc.setVariableRequest({ variablesReference, name, value });
    const total = await set(localsRef, "total", "total + 59");
    assert.equal(total.body.value, "100");
    assert.equal(total.body.type, "int");
    const locals = await s.vars(localsRef);
    assert.equal(locals.get("total")?.value, "100");
    assert.equal((await set(locals.get("items")!.variablesReference, "1", "20")).body.value, "20");
    const table = await set(locals.get("table")!.variablesReference, "'a'", "{'deep': [1]}");
    assert.ok(table.body.variablesReference! > 0, "the new value expands");
    assert.equal((await set(locals.get("box")!.variablesReference, "size", "3")).body.value, "3");
    assert.equal((await set(globalsRef, "LIMIT", "'high'")).body.value, "'high'");
    // Errors come back as errors and change nothing.
    assert.match(await rejection(set(localsRef, "total", "1 +")), /SyntaxError/);
    assert.match(await rejection(set(localsRef, "total", "missing")), /^NameError/);
    assert.match(await rejection(set(localsRef, "nope", "1")), /no local named 'nope'/);
    const task = scopes.find((x) => x.name === "Task")!.variablesReference;
    assert.match(await rejection(set(task, "state", "'done'")), /cannot be changed/);
    assert.equal((await s.vars(localsRef)).get("total")?.value, "100");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
    assert.match(
      s.output("stdout"),
      /after n=41 total=100 peek=100 items=\[1, 20, 3\] table=\{'a': \{'deep': \[1\]\}\} size=3 LIMIT=high/,
    );
  });
});

test("the adapter says it supports setVariable", async () => {
  await withSession(async (s) => {
    const init = await s.dc.initializeRequest({
      adapterID: "loopscope",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    assert.equal(init.body?.supportsSetVariable, true);
  });
});
