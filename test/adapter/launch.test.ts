// Launch: a program runs to its end with its output live in the console, its
// exit code reported, then the session ends; module/args/cwd/env; stopOnEntry;
// the loop model reaches the client as loopscope/* events.

import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ModelDelta, ModelSnapshot } from "../../model/types";
import { Program, withSession } from "./support";

test("a launched program runs to its end: output as it is written, exit code, exited then terminated", async () => {
  const p = new Program(`
    import asyncio, os, sys

    async def main():
        print("first line", flush=True)
        sys.stderr.write("to stderr\\n")
        gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")
        while not os.path.exists(gate):  # the test creates it once it saw "first line"
            await asyncio.sleep(0.01)
        print("second line")

    asyncio.run(main())
    sys.exit(3)
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    // The program waits until the test has seen its first line: output is live, not delivered at exit.
    await s.waitOutput("first line\n");
    assert.equal(
      s.events.some((t) => t.event.event === "exited"),
      false,
    );
    writeFileSync(join(p.dir, "go"), "");
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 3);
    await s.until("terminated");
    const names = s.events.map((t) => t.event.event);
    assert.ok(names.indexOf("exited") < names.indexOf("terminated"));
    assert.match(s.output("stdout"), /first line\nsecond line\n/);
    assert.match(s.output("stderr"), /to stderr/);
  });
});

test("module, args, cwd and env reach the program as plain python would give them", async () => {
  const p = new Program(
    `
    import os, sys
    print("argv", sys.argv[1:])
    print("env", os.environ.get("LS_TEST"), os.environ.get("LS_GONE"))
    print("cwd", os.getcwd())
    print("name", __name__)
    `,
    "ls_mod_demo.py",
  );
  process.env["LS_GONE"] = "inherited";
  try {
    await withSession(async (s) => {
      await s.launch({ module: "ls_mod_demo", cwd: p.dir, args: ["a b", "c"], env: { LS_TEST: "yes", LS_GONE: null } });
      const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
      assert.equal(exited.body.exitCode, 0);
      const out = s.output("stdout");
      assert.match(out, /argv \['a b', 'c'\]/);
      assert.match(out, /env yes None/);
      assert.ok(out.includes(`cwd ${p.dir}`), out);
      assert.match(out, /name __main__/);
    });
  } finally {
    delete process.env["LS_GONE"];
  }
});

test("stopOnEntry stops on the program's first line; continue runs it to the end", async () => {
  const p = new Program(`
    import asyncio  # @first
    print("ran")
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path, stopOnEntry: true });
    const stop = await s.stopped();
    assert.equal(stop.body.reason, "entry");
    const frames = await s.stack(stop.body.threadId!);
    assert.equal(frames[0]!.line, p.line("first"));
    assert.equal(frames[0]!.source?.path, p.path);
    assert.equal(s.output("stdout"), "");
    await s.dc.continueRequest({ threadId: stop.body.threadId! });
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 0);
    assert.match(s.output("stdout"), /ran/);
  });
});

test("the loop model reaches the client: loopscope/delta events (at most ~30 a second) and a loopscope/snapshot", async () => {
  const p = new Program(`
    import asyncio

    async def spin(n):
        for _ in range(n):
            await asyncio.sleep(0.005)

    async def main():
        await asyncio.gather(asyncio.create_task(spin(60), name="alpha"), asyncio.create_task(spin(80), name="beta"))

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    const t0 = Date.now();
    await s.launch({ program: p.path });
    await s.until("terminated");
    const elapsed = (Date.now() - t0) / 1000;
    const deltas = s.events
      .filter((t) => t.event.event === "loopscope/delta")
      .map((t) => t.event.body as { delta: ModelDelta });
    assert.ok(deltas.length >= 2, `only ${deltas.length} deltas`);
    // The adapter sends at most one every 34 ms: over the whole session that bounds the count.
    assert.ok(deltas.length <= Math.ceil(elapsed * 30) + 2, `${deltas.length} deltas in ${elapsed} s`);
    const seqs = deltas.map((d) => d.delta.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    const names = new Set(
      deltas.flatMap((d) => [...d.delta.tasks.map((t) => t.name), ...(d.delta.full?.tasks.map((t) => t.name) ?? [])]),
    );
    assert.ok(names.has("alpha") && names.has("beta"), [...names].join(","));
    const sessions = s.events
      .filter((t) => t.event.event === "loopscope/session")
      .map((t) => (t.event.body as { phase: string }).phase);
    assert.deepEqual([sessions[0], sessions[sessions.length - 1]], ["running", "ended"]);
    const snap = (await s.dc.customRequest("loopscope/snapshot")).body as { snapshot: ModelSnapshot };
    const byName = new Map(snap.snapshot.tasks.map((t) => [t.name, t]));
    assert.equal(byName.get("alpha")?.state, "done");
    assert.equal(byName.get("beta")?.state, "done");
    assert.ok((byName.get("beta")?.steps ?? 0) >= 80);
    assert.equal(snap.snapshot.meta.exit?.code, 0);
  });
});
