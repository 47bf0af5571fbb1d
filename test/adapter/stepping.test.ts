// Stepping follows one task: stepping over an `await` stops at the task's next
// line while other tasks run meanwhile (in the same file, through the same
// lines); step into a coroutine call, step out back to the awaiting frame.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Program, withSession, type Session } from "./support";

const PROGRAM = `
  import asyncio

  async def helper(x):
      y = x * 2  # @helper
      await asyncio.sleep(0.01)
      return y + 1  # @helper_return

  def plain(v):
      w = v + 1  # @plain
      return w

  async def noisy(name):
      # Runs these lines while the stepped task is suspended: the step must not stop here.
      for i in range(200):
          await asyncio.sleep(0)  # @noisy

  async def stepped():
      a = 1  # @start
      await asyncio.sleep(0.05)  # @await
      b = a + 1  # @next
      r = await helper(b)  # @call
      c = plain(r)  # @after_call
      return c  # @end

  async def main():
      others = [asyncio.create_task(noisy("n%d" % i), name="noisy-%d" % i) for i in range(3)]
      t = asyncio.create_task(stepped(), name="stepped")
      print("result", await t)
      await asyncio.gather(*others)

  asyncio.run(main())
`;

async function topLine(s: Session, threadId: number): Promise<[string, number]> {
  const f = (await s.stack(threadId))[0]!;
  return [f.name, f.line];
}

test("step over an await stops at the next line of the same task, not in another task or the loop", async () => {
  const p = new Program(PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("await") }] });
    const stop = await s.stopped();
    const task = stop.body.threadId!;
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("await")]);
    let mark = s.mark();
    await s.dc.nextRequest({ threadId: task });
    const step1 = await s.stopped(mark);
    assert.equal(step1.body.reason, "step");
    assert.equal(step1.body.threadId, task);
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("next")]);
    mark = s.mark();
    await s.dc.nextRequest({ threadId: task });
    await s.stopped(mark);
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("call")]);
    // Over `await helper(b)`: helper suspends inside; the task's next line is after the call.
    mark = s.mark();
    await s.dc.nextRequest({ threadId: task });
    const step3 = await s.stopped(mark);
    assert.equal(step3.body.threadId, task);
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("after_call")]);
    const locals = await s.scope((await s.stack(task))[0]!.id);
    assert.equal(locals.get("r")?.value, "5");
    await s.dc.setBreakpointsRequest({ source: { path: p.path }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: task });
    await s.until("exited");
    assert.match(s.output("stdout"), /result 6/);
  });
});

test("step into a coroutine call, then step out to the awaiting frame; into a plain function", async () => {
  const p = new Program(PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("call") }] });
    const stop = await s.stopped();
    const task = stop.body.threadId!;
    let mark = s.mark();
    await s.dc.stepInRequest({ threadId: task });
    await s.stopped(mark);
    const frames = await s.stack(task);
    assert.deepEqual(
      frames.map((f) => [f.name, f.line]),
      [
        ["helper", p.line("helper")],
        ["stepped", p.line("call")],
      ],
    );
    // Into again, across helper's own await: still this task, helper's next line.
    mark = s.mark();
    await s.dc.nextRequest({ threadId: task });
    await s.stopped(mark);
    mark = s.mark();
    await s.dc.nextRequest({ threadId: task });
    await s.stopped(mark);
    assert.deepEqual(await topLine(s, task), ["helper", p.line("helper_return")]);
    mark = s.mark();
    await s.dc.stepOutRequest({ threadId: task });
    const out = await s.stopped(mark);
    assert.equal(out.body.threadId, task);
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("after_call")]);
    mark = s.mark();
    await s.dc.stepInRequest({ threadId: task });
    await s.stopped(mark);
    assert.deepEqual(await topLine(s, task), ["plain", p.line("plain")]);
    mark = s.mark();
    await s.dc.stepOutRequest({ threadId: task });
    await s.stopped(mark);
    assert.deepEqual(await topLine(s, task), ["stepped", p.line("end")]);
    await s.dc.setBreakpointsRequest({ source: { path: p.path }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: task });
    await s.until("exited");
  });
});

test("step into does not enter the standard library (justMyCode) and stays in the task", async () => {
  const p = new Program(PROGRAM);
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("await") }] });
    const stop = await s.stopped();
    const task = stop.body.threadId!;
    const mark = s.mark();
    await s.dc.stepInRequest({ threadId: task });
    const step = await s.stopped(mark);
    assert.equal(step.body.threadId, task);
    const frames = await s.stack(task);
    assert.equal(frames[0]!.source?.path, p.path);
    assert.deepEqual([frames[0]!.name, frames[0]!.line], ["stepped", p.line("next")]);
    await s.dc.setBreakpointsRequest({ source: { path: p.path }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: task });
    await s.until("exited");
  });
});
