// How the loop is watched, from the launch configuration: slowCallbackThreshold
// reaches the runtime (what is reported as blocking the loop), and
// retainedFinishedTasks the adapter's loop model (what the view keeps). Read
// from the loopscope/delta events, folded as the extension's views fold them.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ModelMirror } from "../../model/index";
import { episodes, Program, viewModel, withSession } from "./support";

const taskId = (m: ModelMirror, name: string): number => {
  const t = [...m.tasks.values()].find((x) => x.name === name);
  assert.ok(t !== undefined, `a task named ${name}`);
  return t.id;
};

const SLOTH = `
  import asyncio, time

  async def sloth():
      await asyncio.sleep(0.01)
      time.sleep(0.06)  # holds the loop 60 ms
      await asyncio.sleep(0.01)

  async def stopper():
      await asyncio.sleep(0.2)
      x = 1  # @bp
      return x

  async def main():
      await asyncio.gather(
          asyncio.create_task(sloth(), name="sloth"),
          asyncio.create_task(stopper(), name="stopper"),
      )

  asyncio.run(main())
`;

test("slowCallbackThreshold reaches the runtime: a 60 ms callback blocks the loop at 20 ms, not at the default 100", async () => {
  const p = new Program(SLOTH);
  await withSession(async (s) => {
    await s.launch({ program: p.path, slowCallbackThreshold: 20 }, { [p.path]: [{ line: p.line("bp") }] });
    const stop = await s.stopped();
    // Held at a breakpoint inside a task's step for far longer than 20 ms: the debugger's, not a slow callback.
    await new Promise((r) => setTimeout(r, 300));
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    await s.until("terminated");
    const m = viewModel(s);
    const eps = episodes(m);
    assert.equal(eps.length, 1, `one episode: ${JSON.stringify(eps)}`);
    assert.equal(eps[0]!.task, taskId(m, "sloth"));
    assert.ok(eps[0]!.durationNs >= 55e6 && eps[0]!.durationNs < 1e9, `${eps[0]!.durationNs} ns`);
  });
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    await s.until("terminated");
    assert.deepEqual(episodes(viewModel(s)), [], "the runtime's default is 100 ms");
  });
});

test("retainedFinishedTasks: the loop model keeps that many finished tasks, the others are counted", async () => {
  const p = new Program(`
    import asyncio

    async def job(n):
        await asyncio.sleep(0)
        return n

    async def main():
        for n in range(30):
            await asyncio.create_task(job(n), name="job-%d" % n)

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path, retainedFinishedTasks: 5 });
    await s.until("terminated");
    const m = viewModel(s);
    const jobs = [...m.tasks.values()].filter((t) => t.name.startsWith("job-"));
    // The newest finished tasks are kept: the last jobs and main().
    assert.ok(jobs.length <= 5 && jobs.every((t) => Number(t.name.slice(4)) >= 25), jobs.map((t) => t.name).join(" "));
    // 30 jobs, main() and asyncio.run()'s own closing tasks: all counted, all but 5 summarised.
    assert.ok(m.counts.tasks.done >= 31, `${m.counts.tasks.done} done`);
    assert.equal(m.counts.tasks.done - m.counts.tasksEvicted.done, 5, "5 finished tasks kept in detail");
    assert.equal([...m.tasks.values()].length, 5);
  });
});

test("a configuration with a threshold out of bounds is refused with the attribute's name", async () => {
  const p = new Program("print('never')\n");
  await withSession(async (s) => {
    const err = await s.launch({ program: p.path, slowCallbackThreshold: 0 }).then(
      () => "launched",
      (e: Error) => e.message,
    );
    assert.match(err, /"slowCallbackThreshold" must be a number of milliseconds from 1 to 60000/);
  });
});
