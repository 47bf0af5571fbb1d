// Breakpoints: a line breakpoint in a coroutine stops its task with the right
// locals, stack and sources; conditions, hit counts, logpoints; breakpoints
// checked against the code (moved to the next line with code, refused in a
// file that does not compile); set while the program runs.

import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Program, withSession } from "./support";

const FETCH = `
  import asyncio

  async def parse(raw):
      words = raw.split()
      count = len(words)  # @parse
      return count

  async def fetch_data(source, q):
      raw = "%s has four words" % source
      n = await parse(raw)
      await q.put((source, n))

  async def main():
      q = asyncio.Queue()
      t = asyncio.create_task(fetch_data("alpha", q), name="fetcher")
      print("got", await q.get())
      await t

  asyncio.run(main())
`;

test("a breakpoint in a coroutine stops its task with the right locals, async stack and sources", async () => {
  const p = new Program(FETCH);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("parse") }] });
    const stop = await s.stopped();
    assert.equal(stop.body.reason, "breakpoint");
    assert.equal(stop.body.allThreadsStopped, true);
    assert.equal(stop.body.hitBreakpointIds?.length, 1);
    const threads = (await s.dc.threadsRequest()).body.threads;
    const stoppedThread = threads.find((t) => t.id === stop.body.threadId);
    assert.match(stoppedThread?.name ?? "", /^fetcher fetch_data\(\) · stopped$/);
    const frames = await s.stack(stop.body.threadId!);
    assert.deepEqual(
      frames.map((f) => [f.name, f.line, f.source?.path]),
      [
        ["parse", p.line("parse"), p.path],
        ["fetch_data", p.line("parse") + 5, p.path],
      ],
    );
    const locals = await s.scope(frames[0]!.id);
    assert.equal(locals.get("raw")?.value, "'alpha has four words'");
    assert.equal(locals.get("words")?.value, "['alpha', 'has', 'four', 'words']");
    assert.ok(!locals.has("count"));
    const outer = await s.scope(frames[1]!.id);
    assert.equal(outer.get("source")?.value, "'alpha'");
    const task = await s.scope(frames[0]!.id, "Task");
    assert.equal(task.get("name")?.value, "fetcher");
    assert.equal(task.get("state")?.value, "running");
    assert.match(task.get("created at")?.value ?? "", /^prog\.py:\d+ in main$/);
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 0);
    assert.match(s.output("stdout"), /got \('alpha', 4\)/);
  });
});

const LOOP = `
  import asyncio

  async def work():
      total = 0
      for i in range(6):
          total += i  # @body
          await asyncio.sleep(0)
      print("total", total)

  asyncio.run(work())
`;

test("a conditional breakpoint stops only when its condition holds", async () => {
  const p = new Program(LOOP);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("body"), condition: "i == 3" }] });
    const stop = await s.stopped();
    const frames = await s.stack(stop.body.threadId!);
    const locals = await s.scope(frames[0]!.id);
    assert.equal(locals.get("i")?.value, "3");
    assert.equal(locals.get("total")?.value, "3");
    const mark = s.mark();
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited", () => true, undefined, mark);
    assert.equal(s.events.slice(mark).filter((t) => t.event.event === "stopped").length, 0);
  });
});

test("a hit-count breakpoint stops on the hit it names", async () => {
  const p = new Program(LOOP);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("body"), hitCondition: "4" }] });
    const stop = await s.stopped();
    const frames = await s.stack(stop.body.threadId!);
    assert.equal((await s.scope(frames[0]!.id)).get("i")?.value, "3");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("exited");
  });
});

test("a logpoint prints its message with the values and does not stop", async () => {
  const p = new Program(LOOP);
  await withSession(async (s) => {
    await s.launch(
      { program: p.path },
      { [p.path]: [{ line: p.line("body"), logMessage: "i={i} total={total} {{literal}}" }] },
    );
    await s.until("exited");
    assert.equal(s.events.filter((t) => t.event.event === "stopped").length, 0);
    const logged = s
      .output("console")
      .split("\n")
      .filter((l) => l.startsWith("i="));
    assert.deepEqual(
      logged,
      [0, 1, 2, 3, 4, 5].map((i) => `i=${i} total=${(i * (i - 1)) / 2} {literal}`),
    );
  });
});

test("breakpoints are checked against the code; set while the program runs, they hit", async () => {
  const p = new Program(`
    import asyncio, os

    async def main():
        here = os.path.dirname(os.path.abspath(__file__))
        n = 0
        while not os.path.exists(os.path.join(here, "go")):
            n += 1  # @spin
            await asyncio.sleep(0.01)
        # a comment  # @comment
        done = n  # @after
        print("done")

    asyncio.run(main())
  `);
  const bad = new Program("def broken(:\n    pass\n", "bad.py", p.dir);
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    await s.until("loopscope/delta", (e) => (e.body as { delta: { tasks: unknown[] } }).delta.tasks.length > 0);
    // Set while running: on 3.8-3.11 the loop thread installs its trace function at its next iteration.
    const set = await s.dc.setBreakpointsRequest({
      source: { path: p.path },
      breakpoints: [{ line: p.line("comment") }, { line: 9999 }],
    });
    const [moved, beyond] = set.body.breakpoints;
    assert.equal(moved?.verified, true);
    assert.equal(moved?.line, p.line("after"));
    assert.equal(beyond?.verified, false);
    assert.match(beyond?.message ?? "", /no code at or after line 9999/);
    const broken = await s.dc.setBreakpointsRequest({ source: { path: bad.path }, breakpoints: [{ line: 2 }] });
    assert.equal(broken.body.breakpoints[0]?.verified, false);
    assert.match(broken.body.breakpoints[0]?.message ?? "", /does not compile/);
    const spin = await s.dc.setBreakpointsRequest({
      source: { path: p.path },
      breakpoints: [{ line: p.line("spin") }, { line: p.line("comment") }],
    });
    assert.equal(spin.body.breakpoints[0]?.verified, true);
    const stop = await s.stopped();
    assert.equal((await s.stack(stop.body.threadId!))[0]!.line, p.line("spin"));
    await s.dc.setBreakpointsRequest({ source: { path: p.path }, breakpoints: [{ line: p.line("comment") }] });
    writeFileSync(join(p.dir, "go"), "");
    const mark = s.mark();
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    const second = await s.stopped(mark);
    assert.equal((await s.stack(second.body.threadId!))[0]!.line, p.line("after"));
    await s.dc.continueRequest({ threadId: second.body.threadId! });
    await s.until("exited");
  });
});
