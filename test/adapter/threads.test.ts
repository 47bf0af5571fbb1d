// Tasks as threads: named after what they await, the loop's OS thread first,
// finished tasks gone; a suspended task's stack is its await chain. Pause stops
// the loop between callbacks (every task stops), continue resumes it, a step
// on the loop thread runs one iteration.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ModelDelta, ModelSnapshot } from "../../model/types";
import { Program, withSession } from "./support";

test("tasks are threads named after what they await, the loop thread first; finished tasks are gone", async () => {
  const p = new Program(`
    import asyncio

    async def consumer(q):
        while True:
            item = await q.get()  # @get
            if item is None:
                return

    async def sleeper():
        await asyncio.sleep(30)

    async def waiter(ev):
        await ev.wait()

    async def short():
        await asyncio.sleep(0)

    async def main():
        q = asyncio.Queue()
        ev = asyncio.Event()
        c = asyncio.create_task(consumer(q), name="consumer")
        s = asyncio.create_task(sleeper(), name="sleeper")
        w = asyncio.create_task(waiter(ev), name="waiter")
        await asyncio.create_task(short(), name="short")
        await asyncio.sleep(0.05)
        marker = 1  # @bp
        await q.put(None)
        ev.set()
        s.cancel()
        await asyncio.gather(c, w, s, return_exceptions=True)

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    const threads = (await s.dc.threadsRequest()).body.threads;
    const names = threads.map((t) => t.name);
    assert.match(names[0]!, /^MainThread \(loop \d+ paused\)/);
    const byTask = (prefix: string): string =>
      names.find((n) => n.startsWith(prefix + " ")) ?? `(no ${prefix} in ${names.join(" | ")})`;
    assert.match(byTask("consumer"), /^consumer consumer\(\) · waiting on Queue#\d+$/);
    assert.match(byTask("sleeper"), /^sleeper sleeper\(\) · sleeping \(\d+ s left\)$/);
    assert.match(byTask("waiter"), /^waiter waiter\(\) · waiting on Event#\d+$/);
    assert.match(byTask("Task-1"), /^Task-1 main\(\) · stopped$/);
    assert.equal(
      names.some((n) => n.startsWith("short ")),
      false,
      "a finished task is not a thread",
    );
    assert.equal(threads.find((t) => t.name.startsWith("Task-1 "))?.id, stop.body.threadId);

    // A suspended task's stack: its await chain, innermost first, the library frames marked subtle.
    const consumer = threads.find((t) => t.name.startsWith("consumer "))!;
    const frames = await s.stack(consumer.id);
    const mine = frames.find((f) => f.name === "consumer")!;
    assert.equal(mine.line, p.line("get"));
    assert.equal(mine.source?.path, p.path);
    assert.equal(frames[0]!.name.endsWith("get"), true, frames.map((f) => f.name).join(","));
    assert.equal(frames[0]!.presentationHint, "subtle");
    const locals = await s.scope(mine.id);
    assert.match(locals.get("q")?.value ?? "", /Queue/);
    const task = await s.scope(mine.id, "Task");
    assert.match(task.get("awaiting")?.value ?? "", /^waiting on Queue#\d+$/);
    assert.match(task.get("parent")?.value ?? "", /^Task-1 main\(\)$/);

    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
  });
});

const TICKER = `
  import asyncio, os

  HERE = os.path.dirname(os.path.abspath(__file__))
  ticks = 0

  async def ticker():
      global ticks
      while True:
          ticks += 1
          await asyncio.sleep(0.002)

  async def spawner():
      n = 0
      while True:
          n += 1
          asyncio.create_task(asyncio.sleep(0.01), name="short-%d" % n)
          await asyncio.sleep(0.02)

  async def main():
      tasks = [asyncio.create_task(ticker(), name="ticker"), asyncio.create_task(spawner(), name="spawner")]
      print("started", flush=True)
      while not os.path.exists(os.path.join(HERE, "go")):
          await asyncio.sleep(0.01)
      for t in tasks:
          t.cancel()
      print("ticks", ticks > 0)

  asyncio.run(main())
`;

test("pause stops the loop between callbacks (every task stops), a loop step runs one iteration, continue resumes", async () => {
  const p = new Program(TICKER);
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    await s.waitOutput("started");
    // New tasks reach the client as thread events while it runs.
    await s.until("thread", (e) => e.body.reason === "started");
    let mark = s.mark();
    await s.dc.pauseRequest({ threadId: 1 });
    const stop = await s.stopped(mark);
    assert.equal(stop.body.reason, "pause");
    assert.equal(stop.body.allThreadsStopped, true);
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.equal(threads[0]!.id, stop.body.threadId);
    assert.match(threads[0]!.name, /^MainThread \(loop \d+ paused\)/);
    assert.ok(threads.some((t) => t.name.startsWith("ticker ticker()")));
    assert.ok(threads.some((t) => t.name.startsWith("spawner spawner()")));
    const ticks = async (): Promise<string> =>
      (await s.dc.evaluateRequest({ expression: "ticks", context: "watch" })).body.result;
    const before = await ticks();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await ticks(), before, "a task ran while the loop was paused");

    mark = s.mark();
    await s.dc.nextRequest({ threadId: stop.body.threadId! });
    const step = await s.stopped(mark);
    assert.equal(step.body.reason, "step");

    mark = s.mark();
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    // The loop thread is renamed back: a thread event makes the client fetch the names again.
    await s.until("thread", (e) => e.body.threadId === stop.body.threadId, undefined, mark);
    const running = (await s.dc.threadsRequest()).body.threads.find((t) => t.id === stop.body.threadId);
    assert.match(running?.name ?? "", /^MainThread \(loop \d+\)$/);
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(await ticks(), before);
    assert.equal(s.events.slice(mark).filter((t) => t.event.event === "stopped").length, 0);
    writeFileSync(join(p.dir, "go"), "");
    await s.until("exited");
    assert.match(s.output("stdout"), /ticks True/);
  });
});

test("the view's requests: a task's stack and source while it runs, cancelling a task, a snapshot", async () => {
  const p = new Program(`
    import asyncio

    async def serve(q):
        try:
            while True:
                await q.get()  # @get
        except asyncio.CancelledError as exc:
            print("cancelled with", exc.args, flush=True)
            raise

    async def main():
        q = asyncio.Queue()
        t = asyncio.create_task(serve(q), name="server")  # @create
        await asyncio.gather(t, return_exceptions=True)
        print("server state", t.cancelled())

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    const delta = await s.until("loopscope/delta", (e) =>
      (e.body as { delta: ModelDelta }).delta.tasks.some((t) => t.name === "server" && t.steps > 0),
    );
    const server = (delta.body as { delta: ModelDelta }).delta.tasks.find((t) => t.name === "server")!;
    const stack = (await s.dc.customRequest("loopscope/taskStack", { task: server.id })).body as {
      frames: { file: string; line: number; func: string }[];
    };
    const last = stack.frames[stack.frames.length - 1]!;
    assert.equal(stack.frames[0]!.func, "serve");
    assert.equal(stack.frames[0]!.line, p.line("get"));
    assert.match(last.func, /get$/);
    const reveal = (await s.dc.customRequest("loopscope/revealTask", { task: server.id })).body as {
      file: string;
      line: number;
      from: string;
    };
    assert.deepEqual([reveal.file, reveal.line, reveal.from], [p.path, p.line("get"), "frame"]);
    await s.dc.customRequest("loopscope/cancelTask", { task: server.id, message: "from the view" });
    await s.until("exited");
    const out = s.output("stdout");
    assert.match(out, /cancelled with \(('from the view',)?\)/);
    assert.match(out, /server state True/);
    // Once it has ended, a task is revealed at its creation site.
    const after = (await s.dc.customRequest("loopscope/revealTask", { task: server.id })).body as {
      line: number;
      from: string;
    };
    assert.deepEqual([after.line, after.from], [p.line("create"), "site"]);
    const snap = (await s.dc.customRequest("loopscope/snapshot")).body as { snapshot: ModelSnapshot };
    assert.equal(snap.snapshot.tasks.find((t) => t.id === server.id)?.state, "cancelled");
  });
});
