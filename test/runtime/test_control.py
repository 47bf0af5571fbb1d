"""Attach with loopscope.listen(), pause/step/resume, snapshots, stacks,
variables, evaluate, cancel; blocked-loop reports; dropped events; internal
errors that stop tracing but never the program."""
import json
import os
import socket
import subprocess
import sys
import time
import unittest

from support import PY, Program, Trace, env

SERVER = """
import asyncio, sys, loopscope

host, port = loopscope.listen(0, token="s3cret")
print(port, flush=True)

async def worker(n, q):
    counter = 0
    while True:
        counter += 1
        await q.put((n, counter))  # @put
        await asyncio.sleep(0.02)

async def reader(q):
    while True:
        item = await q.get()
        if item == "stop":
            return "stopped"

async def main():
    q = asyncio.Queue(maxsize=2)
    workers = [asyncio.create_task(worker(i, q), name="worker-%d" % i) for i in range(2)]
    r = asyncio.create_task(reader(q), name="reader")
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for w in workers:
        w.cancel()
    await q.put("stop")
    print("finished", await r, flush=True)

asyncio.run(main())
"""


class Client:
    def __init__(self, port, token="s3cret"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        self.next_id = 1
        self.seen = []
        self.unread = []  # received while waiting for something else
        self.send({"kind": "session/hello", "protocol": "1.0", "token": token, "role": "adapter"})
        self.welcome = self.recv()

    def send(self, msg):
        self.sock.sendall((json.dumps(msg) + "\n").encode())

    def recv(self):
        line = self.f.readline()
        if not line:
            return None
        msg = json.loads(line)
        self.seen.append(msg)
        return msg

    def until(self, pred, limit=2000):
        for i, msg in enumerate(self.unread):
            if pred(msg):
                del self.unread[i]
                return msg
        for _ in range(limit):
            msg = self.recv()
            if msg is None:
                raise AssertionError("connection closed")
            if pred(msg):
                return msg
            self.unread.append(msg)
        raise AssertionError("never came")

    def request(self, command, **args):
        rid = self.next_id
        self.next_id += 1
        self.send({"kind": "control/request", "id": rid, "command": command, "args": args})
        return self.until(lambda m: m["kind"] == "control/response" and m["id"] == rid)

    def events(self):
        return [e for m in self.seen if m["kind"] == "events/batch" for e in m["events"]]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.f.close()
        self.sock.close()


class Attach(unittest.TestCase):
    def setUp(self):
        self.p = Program(SERVER)
        self.proc = subprocess.Popen(
            [sys.executable, self.p.path], cwd=self.p.dir, env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.port = int(self.proc.stdout.readline())

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.proc.stdin.close()

    def finish(self):
        out, err = self.proc.communicate(b"go\n", timeout=30)
        self.assertEqual(self.proc.returncode, 0, err)
        self.assertEqual(out, b"finished stopped\n")

    def test_wrong_token_refused_without_a_single_event(self):
        c = Client(self.port, token="guess")
        self.assertEqual(c.welcome, {"kind": "session/refused", "reason": "wrong session token"})
        self.assertIsNone(c.recv())  # closed: nothing else was sent
        c.close()
        self.finish()

    def test_version_mismatch_refused(self):
        c = Client.__new__(Client)
        c.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        c.f = c.sock.makefile("rb")
        c.seen = []
        c.unread = []
        c.send({"kind": "session/hello", "protocol": "2.0", "token": "s3cret", "role": "adapter"})
        reply = c.recv()
        self.assertEqual(reply["kind"], "session/refused")
        self.assertIn("protocol mismatch", reply["reason"])
        c.close()
        self.finish()

    def test_pause_inspect_step_resume_cancel_detach(self):
        c = Client(self.port)
        self.assertEqual(c.welcome["kind"], "session/welcome")
        self.assertEqual(c.welcome["python"], "%d.%d.%d" % sys.version_info[:3])
        # the attach announces what already exists, the rest follows
        def names():
            out = {e["name"] for e in c.events() if e["kind"] == "task/created"}
            out.update(n for e in c.events() if e["kind"] == "task/created-batch" for n in e["names"])
            out.update(e["name"] for e in c.events() if e["kind"] == "task/renamed")
            return out

        c.until(lambda m: {"worker-0", "worker-1", "reader"} <= names())
        # let the workers run a few steps first
        c.until(lambda m: m["kind"] == "events/batch" and len([e for e in c.events() if e["kind"] == "task/steps"]) >= 3)

        # malformed and hostile input: an error answer, the session goes on
        c.sock.sendall(b"this is not json\n")
        err = c.until(lambda m: m["kind"] == "control/response" and not m["ok"])
        self.assertIn("rejected message", err["error"])
        c.sock.sendall(b'{"kind":"control/request","id":"x"}\n')
        c.until(lambda m: m["kind"] == "control/response" and not m["ok"])
        self.assertFalse(c.request("no-such-command")["ok"])

        self.assertTrue(c.request("pause")["ok"])
        paused = c.until(lambda m: m["kind"] == "loop/paused")
        self.assertEqual(paused["reason"], "pause")
        snap = c.request("snapshot")["body"]
        self.assertTrue(snap["paused"])
        self.assertEqual(len(snap["loops"]), 1)
        self.assertTrue(snap["loops"][0]["paused"])
        tasks = {t["name"]: t for t in snap["tasks"]}
        self.assertTrue({"worker-0", "worker-1", "reader", "Task-1"} <= set(tasks), tasks)
        # paused between callbacks: nothing runs; a stack walks the await chain
        self.assertTrue(all(t["state"] == "pending" for t in snap["tasks"]))
        self.assertEqual(tasks["reader"]["stack"][-1]["func"], "reader")
        stack = c.request("stack", task=tasks["worker-0"]["task"])["body"]["frames"]
        self.assertEqual(stack[-1]["func"], "worker")
        self.assertEqual(stack[-1]["file"], self.p.path)
        frame = stack[-1]["ref"]
        variables = {v["name"]: v for v in c.request("variables", frame=frame)["body"]["variables"]}
        self.assertEqual(variables["n"]["value"], "0")
        self.assertEqual(variables["q"]["type"], "Queue")
        counter = int(variables["counter"]["value"])
        ev = c.request("evaluate", frame=frame, expression="counter * 10 + n")
        self.assertTrue(ev["ok"], ev)
        self.assertEqual(ev["body"]["value"], str(counter * 10))
        bad = c.request("evaluate", frame=frame, expression="1/0")
        self.assertFalse(bad["ok"])
        self.assertIn("ZeroDivisionError", bad["error"])
        # still paused after a while: no step has run
        time.sleep(0.2)
        again = c.request("variables", frame=frame)["body"]["variables"]
        self.assertEqual({v["name"]: v["value"] for v in again}["counter"], str(counter))

        self.assertTrue(c.request("step-loop")["ok"])
        stepped = c.until(lambda m: m["kind"] == "loop/paused")
        self.assertEqual(stepped["reason"], "step")
        self.assertTrue(c.request("resume")["ok"])
        c.until(lambda m: m["kind"] == "loop/resumed")

        cancel = c.request("cancel-task", task=tasks["worker-1"]["task"], message="from the debugger")
        self.assertTrue(cancel["ok"], cancel)
        done = c.until(lambda m: m["kind"] == "events/batch" and any(e["kind"] == "task/done" and e["task"] == tasks["worker-1"]["task"] for e in m["events"]))
        ev = [e for e in done["events"] if e["kind"] == "task/done" and e["task"] == tasks["worker-1"]["task"]][0]
        self.assertEqual(ev["state"], "cancelled")
        self.assertFalse(c.request("cancel-task", task=999999)["ok"])
        # detach: the program goes on and ends normally
        c.close()
        time.sleep(0.2)
        self.finish()

    def test_detach_while_paused_resumes_the_program(self):
        c = Client(self.port)
        c.request("pause")
        c.until(lambda m: m["kind"] == "loop/paused")
        c.close()
        self.finish()


BLOCKER = """
import asyncio, sys, time, loopscope

host, port = loopscope.listen(0, token="tok")
print(port, flush=True)

async def sloth():
    sys.stdin.readline()  # blocks the loop until the test writes a line  # @stuck
    return "woke"

async def main():
    print(await asyncio.create_task(sloth(), name="sloth"), flush=True)

asyncio.run(main())
"""


class BlockedLoop(unittest.TestCase):
    def test_control_answers_while_the_loop_is_blocked(self):
        p = Program(BLOCKER)
        proc = subprocess.Popen([sys.executable, p.path], cwd=p.dir, env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            port = int(proc.stdout.readline())
            c = Client(port, token="tok")
            blocked = c.until(lambda m: m["kind"] == "events/batch" and any(e["kind"] == "loop/blocked" for e in m["events"]))
            ev = [e for e in blocked["events"] if e["kind"] == "loop/blocked"][0]
            top_user = [f for f in ev["stack"] if f["file"] == p.path][0]
            self.assertEqual(top_user["line"], p.line("stuck"))
            snap = c.request("snapshot")
            self.assertTrue(snap["ok"], snap)
            tasks = {t["name"]: t for t in snap["body"]["tasks"]}
            self.assertEqual(tasks["sloth"]["state"], "running")
            self.assertEqual(tasks["sloth"]["stack"][0]["line"], p.line("stuck"))
            # a pause asked while blocked takes effect once the callback returns
            self.assertTrue(c.request("pause")["ok"])
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            c.until(lambda m: m["kind"] == "loop/paused")
            c.request("resume")
            c.close()
            out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(out, b"woke\n")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_blocking_call_is_reported_with_its_line(self):
        p = Program(
            """
            import asyncio, time

            async def sloth():
                time.sleep(0.4)  # @block
                return 1

            async def main():
                await asyncio.create_task(sloth(), name="sloth")

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        blocked = tr.of_kind("loop/blocked")
        self.assertTrue(blocked, "no loop/blocked event")
        final = blocked[-1]
        self.assertGreaterEqual(final["duration_ns"], 300_000_000)
        self.assertEqual(final["task"], tr.task("sloth")["id"])
        top_user = [f for f in final["stack"] if f["file"] == p.path][0]
        self.assertEqual(top_user["line"], p.line("block"))
        self.assertEqual(top_user["func"], "sloth")


class Limits(unittest.TestCase):
    def test_full_buffer_drops_steps_and_says_so(self):
        p = Program(
            """
            import asyncio
            async def spin():
                for _ in range(50):
                    await asyncio.sleep(0)
            async def main():
                await asyncio.gather(*[spin() for _ in range(400)])
                print("done")
            asyncio.run(main())
            """
        )
        trace = os.path.join(p.dir, "t.jsonl")
        e = env()
        e["LOOPSCOPE_BUFFER_EVENTS"] = "1000"
        r = subprocess.run(
            [sys.executable, "-m", "loopscope", "record", "-o", trace, "--", p.path], cwd=p.dir, env=e, capture_output=True, timeout=60
        )
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"done\n")
        tr = Trace(trace)
        recorded = len(tr.steps())
        dropped = tr.report["dropped_events"]
        self.assertGreater(dropped, 0)
        # every step was either recorded or counted as dropped: 51 per spin,
        # 2 for main, 1 for each of asyncio.run's own shutdown tasks
        others = [t for t in tr.report["tasks"] if t["coro"] not in ("spin", "main")]
        self.assertEqual(recorded + dropped, 400 * 51 + 2 + len(others))
        # structure is never dropped: all tasks are there, all done
        spins = [t for t in tr.report["tasks"] if t["coro"] == "spin"]
        self.assertEqual(len(spins), 400)
        self.assertTrue(all(t["state"] == "done" for t in spins))

    def test_internal_error_stops_tracing_not_the_program(self):
        p = Program(
            """
            import asyncio
            from loopscope import hooks

            def broken(*a, **k):
                raise RuntimeError("simulated tracer bug")
            hooks._register_queue = broken

            async def main():
                q = asyncio.Queue()
                await q.put(1)
                print("program ran on", await q.get())
            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"program ran on 1\n")
        err = proc.stderr.decode()
        self.assertEqual(err.count("loopscope: internal error, tracing stopped"), 1, err)
        errors = tr.of_kind("runtime/error")
        self.assertEqual(len(errors), 1)
        self.assertIn("simulated tracer bug", errors[0]["message"])
        self.assertEqual(tr.messages[-1]["kind"], "program/exit")


if __name__ == "__main__":
    unittest.main()
