// Evaluate in the selected frame (console, hover, watch) with errors reported
// as errors; expandable variables (lists, dicts, objects) with paging.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Program, rejection, withSession } from "./support";

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
