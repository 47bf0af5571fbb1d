// Every failure a user will hit ends with a clear message and no hang, and no
// process is left behind: program not found, syntax error, no Python, an old
// Python, a program that dies or hangs before connecting, os._exit, stopping
// while paused or blocked, a malformed message, a wrong token.

import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { alive, eventually, Program, PYTHON, rejection, RUNTIME, withSession } from "./support";

/** A stand-in interpreter: answers the version probe as the real one, then does `body` for the run. */
function fakePython(dir: string, body: string): string {
  const path = join(dir, "fake-python.sh");
  writeFileSync(path, `#!/bin/sh\ncase "$1" in -c) exec "${PYTHON}" "$@";; esac\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test("program not found, syntax error, no Python at the path: the launch fails with a clear message", async () => {
  const p = new Program(`
    import asyncio

    def broken(:
        pass
  `);
  await withSession(async (s) => {
    const missing = join(p.dir, "nope", "missing.py");
    assert.equal(await rejection(s.launch({ program: missing })), `Program not found: ${missing}`);
    await s.until("terminated");
  });
  await withSession(async (s) => {
    const msg = await rejection(s.launch({ program: p.path }));
    assert.match(msg, new RegExp(`^Syntax error in ${p.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} at line 3: `));
    await s.until("terminated");
  });
  await withSession(async (s) => {
    const msg = await rejection(s.launch({ program: p.path, python: "/nonexistent/bin/python3" }));
    assert.match(msg, /^No Python at \/nonexistent\/bin\/python3/);
  });
});

test("a Python older than 3.8 is refused by name and version", async (t) => {
  const root = join(process.env["HOME"] ?? "/root", ".pyenv", "versions");
  const old = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^(3\.[0-7]|2\.)/.test(v))
        .map((v) => join(root, v, "bin", "python"))
        .find((exe) => existsSync(exe))
    : undefined;
  if (old === undefined) {
    t.skip("no Python older than 3.8 installed");
    return;
  }
  const p = new Program("print('hi')\n");
  await withSession(async (s) => {
    const msg = await rejection(s.launch({ program: p.path, python: old }));
    assert.match(msg, /^Python [23]\.\d+\.\d+ at .* is too old: Loopscope needs Python 3\.8 or newer\.$/);
  });
});

test("a program that exits or crashes before its runtime connects: its exit and stderr are shown", async () => {
  const p = new Program("print('never')\n");
  await withSession(async (s) => {
    const python = fakePython(p.dir, 'echo "fatal: cannot initialise the runtime" >&2\nexit 4');
    const msg = await rejection(s.launch({ program: p.path, python }));
    assert.match(
      msg,
      /^The program exited with code 4 before its runtime connected\. Its stderr:\nfatal: cannot initialise the runtime$/,
    );
  });
  await withSession(async (s) => {
    const python = fakePython(p.dir, 'echo "about to crash" >&2\nkill -SEGV $$');
    const msg = await rejection(s.launch({ program: p.path, python }));
    assert.match(msg, /^The program was killed by SIGSEGV before its runtime connected\. Its stderr:\nabout to crash$/);
  });
});

test("a runtime that never connects times out with the program's stderr, and the process is stopped", async () => {
  const p = new Program("print('never')\n");
  await withSession(async (s) => {
    const python = fakePython(p.dir, 'echo "stuck in start-up" >&2\nexec sleep 60');
    const launched = rejection(s.launch({ program: p.path, python, connectTimeout: 1500 }));
    const pid = await s.pid();
    const msg = await launched;
    assert.match(
      msg,
      /^The program's runtime did not connect within 1\.5 s; the program was stopped\. Its stderr:\nstuck in start-up$/,
    );
    await eventually(() => !alive(pid), `process ${pid} is gone`);
  });
});

test("a program that calls os._exit: exited with its code, then terminated", async () => {
  const p = new Program(`
    import asyncio, os

    async def main():
        await asyncio.sleep(0.01)
        print("bye", flush=True)
        os._exit(5)

    asyncio.run(main())
  `);
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 5);
    await s.until("terminated");
    assert.match(s.output("stdout"), /bye/);
  });
});

test("stopping the session while the loop is paused, stopped at a breakpoint or blocked leaves no process", async () => {
  const p = new Program(`
    import asyncio, time

    async def spin():
        while True:
            await asyncio.sleep(0.005)  # @spin

    async def blocker():
        await asyncio.sleep(0.05)
        print("blocking", flush=True)
        time.sleep(60)

    async def main(block):
        asyncio.create_task(spin(), name="spin")
        if block:
            await blocker()
        await asyncio.sleep(60)

    import sys
    asyncio.run(main(sys.argv[1:] == ["block"]))
  `);
  // Paused between callbacks.
  await withSession(async (s) => {
    await s.launch({ program: p.path });
    const pid = await s.pid();
    await s.until("loopscope/delta", (e) => (e.body as { delta: { tasks: unknown[] } }).delta.tasks.length > 0);
    await s.dc.pauseRequest({ threadId: 1 });
    await s.stopped();
    await s.dc.disconnectRequest({ terminateDebuggee: true });
    await eventually(() => !alive(pid), `paused process ${pid} is gone`);
  });
  // Stopped at a breakpoint, ended by a terminate request.
  await withSession(async (s) => {
    await s.launch({ program: p.path }, { [p.path]: [{ line: p.line("spin") }] });
    const pid = await s.pid();
    await s.stopped();
    await s.dc.terminateRequest({});
    await s.until("terminated");
    await eventually(() => !alive(pid), `stopped process ${pid} is gone`);
  });
  // Blocked in a callback (time.sleep in a task): the loop can neither pause nor answer through itself.
  await withSession(async (s) => {
    await s.launch({ program: p.path, args: ["block"] });
    const pid = await s.pid();
    await s.waitOutput("blocking");
    await s.dc.disconnectRequest({ terminateDebuggee: true });
    await eventually(() => !alive(pid), `blocked process ${pid} is gone`);
  });
});

const FAKE_RUNTIME = `
import json, socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
sock, _ = srv.accept()
f = sock.makefile("rb")
def send(line):
    sock.sendall(line.encode() + b"\\n")
hello = json.loads(f.readline())
send(json.dumps({"kind": "session/welcome", "protocol": "1.1", "role": "runtime", "pid": 4242, "python": "3.11.7"}))
send("this is not json")
send(json.dumps({"kind": "events/batch", "seq": "not a number", "events": [], "dropped": 0}))
send(json.dumps({"kind": "events/batch", "seq": 1, "dropped": 0, "events": [
    {"kind": "loop/created", "loop": 1, "ts": 1, "thread": "MainThread", "cls": "Loop"},
    {"kind": "task/created", "task": 5, "loop": 1, "ts": 2, "name": "fake", "coro": "serve", "site": None, "parent": None, "eager": False}]}))
for line in f:
    msg = json.loads(line)
    body = {}
    if msg["command"] == "threads":
        body = {"threads": [{"ident": 1, "name": "MainThread", "loops": [1], "main": True, "stopped": False}],
                "tasks": [{"task": 5, "loop": 1, "name": "fake", "coro": "serve", "state": "pending", "waits": None, "waits_repr": None, "stopped": False}],
                "stop": None}
    send(json.dumps({"kind": "control/response", "id": msg["id"], "ok": True, "body": body}))
`;

test("malformed messages on the socket are reported and skipped; the session goes on", async () => {
  const p = new Program(FAKE_RUNTIME, "fake_runtime.py");
  const fake = spawn(PYTHON, [p.path], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve) =>
      fake.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    await withSession(async (s) => {
      await s.attach({ port, token: "anything" });
      await s.waitOutput(/ignored a malformed message from the program's runtime: not JSON/);
      await s.waitOutput(/ignored a malformed message from the program's runtime: events\/batch\.seq/);
      const names = await s.threadNames();
      assert.deepEqual(names, ["MainThread (loop 1)", "fake serve() · ready to run"]);
      await s.dc.disconnectRequest({});
    });
  } finally {
    fake.kill("SIGKILL");
  }
});

test("a wrong token is refused, by a listening program and by the adapter's own listener", async () => {
  const server = new Program(`
    import asyncio, sys, loopscope
    host, port = loopscope.listen(0, token="right-token")
    print(port, flush=True)
    async def main():
        await asyncio.sleep(30)
    asyncio.run(main())
  `);
  const proc = spawn(PYTHON, [server.path], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PYTHONPATH: RUNTIME },
  });
  try {
    const port = await new Promise<number>((resolve) =>
      proc.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    await withSession(async (s) => {
      const msg = await rejection(s.attach({ port, token: "wrong-token" }));
      assert.equal(msg, `The program at 127.0.0.1:${port} refused the connection: wrong session token`);
    });
  } finally {
    proc.kill("SIGKILL");
  }

  // The adapter listens for the launched program's runtime: a stranger with a wrong token is refused
  // and the real runtime still gets in. The stand-in interpreter waits for the test before starting it.
  const p = new Program(`print("ran fine")\n`);
  const gate = join(p.dir, "gate");
  const python = fakePython(p.dir, `while [ ! -e "${gate}" ]; do sleep 0.02; done\nexec "${PYTHON}" "$@"`);
  await withSession(async (s) => {
    const launched = s.launch({ program: p.path, python });
    const pid = await s.pid();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const connect = cmdline[cmdline.indexOf("--connect") + 1] ?? "";
    const port = Number(connect.split(":")[1]);
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port }, () => {
        sock.write(
          JSON.stringify({ kind: "session/hello", protocol: "1.1", token: "guessed", role: "runtime" }) + "\n",
        );
      });
      let got = "";
      sock.on("data", (d) => (got += d.toString()));
      sock.on("close", () => resolve(got));
      sock.on("error", reject);
    });
    assert.deepEqual(JSON.parse(answer), { kind: "session/refused", reason: "wrong session token" });
    writeFileSync(gate, "");
    await launched;
    const exited = (await s.until("exited")) as DebugProtocol.ExitedEvent;
    assert.equal(exited.body.exitCode, 0);
    assert.match(s.output("stdout"), /ran fine/);
  });
});
