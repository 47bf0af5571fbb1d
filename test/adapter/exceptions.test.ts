// Exception breakpoints (uncaught, raised, task failed) and loop-event
// breakpoints (task created, task cancelled), each a filter the user switches on.

import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { test } from "node:test";
import { Program, withSession, type Session } from "./support";

/** Launches `p` with the Uncaught exceptions filter on; its first stop, on an exception. */
async function uncaughtStop(s: Session, p: Program): Promise<DebugProtocol.StoppedEvent> {
  await s.launch({ program: p.path }, {}, ["uncaught"]);
  const stop = await s.stopped();
  assert.equal(stop.body.reason, "exception");
  return stop;
}

test("uncaught: an exception that ends the main task stops where it was raised, with the tasks still there", async () => {
  const p = new Program(`
    import asyncio

    async def background():
        await asyncio.sleep(10)

    async def load(path):
        raise ValueError("bad config: %s" % path)  # @raise

    async def main():
        asyncio.create_task(background(), name="background")
        await asyncio.sleep(0)
        await load("app.toml")

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    const stop = await uncaughtStop(s, p);
    assert.equal(stop.body.text, "ValueError: bad config: app.toml");
    assert.match(stop.body.description ?? "", /^Uncaught exception in Task-1 main\(\)$/);
    const info = await s.dc.exceptionInfoRequest({ threadId: stop.body.threadId! });
    assert.equal(info.body.exceptionId, "ValueError");
    assert.equal(info.body.breakMode, "unhandled");
    assert.match(info.body.details?.stackTrace ?? "", /raise ValueError/);
    const frames = await s.stack(stop.body.threadId!);
    assert.deepEqual(
      frames.filter((f) => f.source?.path === p.path).map((f) => f.name),
      ["load", "main"],
    );
    assert.equal(frames[0]!.line, p.line("raise"));
    assert.equal((await s.scope(frames[0]!.id)).get("path")?.value, "'app.toml'");
    assert.ok((await s.threadNames()).some((n) => n.startsWith("background background()")));
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 1);
    assert.match(s.output("stderr"), /ValueError: bad config: app.toml/);
    // Reported once: not again when it reaches the top of the program.
    assert.equal(s.events.filter((t) => t.event.event === "stopped").length, 1);
  });
});

test("raised: a caught exception stops where it is raised; off by default", async () => {
  const src = `
    import asyncio

    async def parse(text):
        try:
            return int(text)  # @raise
        except ValueError:
            return -1

    async def main():
        print("parsed", await parse("x1"))

    asyncio.run(main())
  `;
  const p = new Program(src);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, {}, ["uncaught", "raised"]);
    const stop = await s.stopped();
    assert.equal(stop.body.reason, "exception");
    assert.match(stop.body.text ?? "", /^ValueError: invalid literal for int\(\)/);
    const frames = await s.stack(stop.body.threadId!);
    assert.deepEqual([frames[0]!.name, frames[0]!.line], ["parse", p.line("raise")]);
    const info = await s.dc.exceptionInfoRequest({ threadId: stop.body.threadId! });
    assert.equal(info.body.breakMode, "always");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
    assert.match(s.output("stdout"), /parsed -1/);
  });
  const q = new Program(src);
  await withSession(async (s) => {
    await s.launch({ program: q.path });
    await s.until("exited");
    assert.equal(s.events.filter((t) => t.event.event === "stopped").length, 0);
  });
});

test("task failed: an exception that ends a task stops on that task, at the raise", async () => {
  const p = new Program(`
    import asyncio

    async def ok():
        await asyncio.sleep(0)
        return "fine"

    async def bad(n):
        await asyncio.sleep(0)
        raise KeyError(n)  # @raise

    async def main():
        results = await asyncio.gather(
            asyncio.create_task(ok(), name="ok"),
            asyncio.create_task(bad(7), name="bad"),
            return_exceptions=True,
        )
        print("results", results)

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, {}, ["taskFailed"]);
    const stop = await s.stopped();
    assert.equal(stop.body.reason, "exception");
    assert.equal(stop.body.description, "Task failed: bad bad()");
    assert.equal(stop.body.text, "KeyError: 7");
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.match(
      threads.find((t) => t.id === stop.body.threadId)?.name ?? "",
      /^bad bad\(\) · failed \(stopped here\)$/,
    );
    const frames = await s.stack(stop.body.threadId!);
    assert.deepEqual([frames[0]!.name, frames[0]!.line], ["bad", p.line("raise")]);
    assert.equal((await s.scope(frames[0]!.id)).get("n")?.value, "7");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
    assert.match(s.output("stdout"), /results \['fine', KeyError\(7\)\]/);
  });
});

test("task cancelled and task created stop where cancel() and create_task() are called", async () => {
  const p = new Program(`
    import asyncio

    async def worker(n):
        await asyncio.sleep(10)

    async def helper():
        await asyncio.sleep(0)

    async def main():
        h = asyncio.create_task(helper(), name="helper")
        w = asyncio.create_task(worker(1), name="worker-1")  # @create
        await asyncio.sleep(0)
        w.cancel("enough")  # @cancel
        await asyncio.gather(h, w, return_exceptions=True)
        print("done")

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch(
      { program: p.path },
      {},
      { filters: ["taskCancelled"], filterOptions: [{ filterId: "taskCreated", condition: "worker" }] },
    );
    const created = await s.stopped();
    assert.equal(created.body.reason, "task created");
    assert.equal(created.body.description, "Task created: worker-1 worker()");
    const frames = await s.stack(created.body.threadId!);
    assert.deepEqual([frames[0]!.name, frames[0]!.line], ["main", p.line("create")]);
    let mark = s.mark();
    await s.dc.continueRequest({ threadId: created.body.threadId! });
    const cancelled = await s.stopped(mark);
    assert.equal(cancelled.body.reason, "task cancelled");
    assert.equal(cancelled.body.description, "Task cancelled: worker-1 worker() by Task-1 main()");
    const at = await s.stack(cancelled.body.threadId!);
    assert.deepEqual([at[0]!.name, at[0]!.line], ["main", p.line("cancel")]);
    mark = s.mark();
    await s.dc.continueRequest({ threadId: cancelled.body.threadId! });
    await s.until("exited", () => true, undefined, mark);
    assert.match(s.output("stdout"), /done/);
  });
});

test("stopped on an exception, VARIABLES shows it first in the frame that raised it, even one with no locals", async () => {
  const p = new Program(`
    import asyncio

    async def save_report():
        await asyncio.sleep(0)
        raise PermissionError("report.txt is read-only")  # @raise

    async def main():
        attempts = 1
        await asyncio.create_task(save_report(), name="save-report")

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    const stop = await uncaughtStop(s, p);
    // As VS Code asks: the top frame first, then the rest, then the top frame's scopes.
    const top = (await s.dc.stackTraceRequest({ threadId: stop.body.threadId!, startFrame: 0, levels: 1 })).body;
    assert.deepEqual([top.stackFrames[0]!.name, top.stackFrames[0]!.line], ["save_report", p.line("raise")]);
    const rest = (await s.dc.stackTraceRequest({ threadId: stop.body.threadId!, startFrame: 1, levels: 19 })).body;
    const scopes = (await s.dc.scopesRequest({ frameId: top.stackFrames[0]!.id })).body.scopes;
    assert.deepEqual(
      scopes.map((x) => x.name),
      ["Locals", "Globals", "Task"],
    );
    const locals = (await s.dc.variablesRequest({ variablesReference: scopes[0]!.variablesReference })).body.variables;
    assert.deepEqual(
      locals.map((v) => [v.name, v.value]),
      [["(exception)", "PermissionError: report.txt is read-only"]],
    );
    const detail = await s.vars(locals[0]!.variablesReference);
    assert.equal(detail.get("type")?.value, "PermissionError");
    assert.equal(detail.get("message")?.value, "report.txt is read-only");
    assert.equal(detail.get("traceback")?.value, "PermissionError: report.txt is read-only");
    const lines = [...(await s.vars(detail.get("traceback")!.variablesReference)).values()].map((v) => v.value);
    assert.ok(
      lines.some((l) => l.includes(`line ${p.line("raise")}, in save_report`)),
      lines.join("\n"),
    );
    // Only the frame that raised it: main() shows its own locals.
    const main = rest.stackFrames.find((f) => f.name === "main")!;
    assert.deepEqual([...(await s.scope(main.id)).keys()], ["attempts"]);
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
  });
});
