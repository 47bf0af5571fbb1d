"""The runtime's debugger (runtime/loopscope/debugger.py) driven over the wire
as the debug adapter drives it: run --hold, breakpoints (conditions, hit
counts, logpoints), threads/frames/scopes/vars/eval, stepping across await in
one task, exception and loop-event stops, entry stop, detach, and a launched
program ending when its debugger goes away. Also: nothing is traced without
breakpoints."""
import json
import os
import socket
import subprocess
import sys
import unittest

from support import PY, Program, env

from loopscope import debugger as D


class Adapter:
    """Plays the debug adapter: listens, starts the program with --hold, answers the handshake."""

    def __init__(self, program, *extra, args=()):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.srv.settimeout(30)
        port = self.srv.getsockname()[1]
        cmd = [sys.executable, "-m", "loopscope", "run", "--connect", "127.0.0.1:%d" % port, "--token", "tok", "--hold"]
        self.proc = subprocess.Popen(
            cmd + list(extra) + ["--", program.path] + list(args),
            cwd=program.dir,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.sock, _ = self.srv.accept()
        self.sock.settimeout(30)
        self.f = self.sock.makefile("rb")
        self.hello = self.recv()
        self.send({"kind": "session/welcome", "protocol": "1.1", "role": "adapter"})
        self.next_id = 1
        self.unread = []

    def send(self, msg):
        self.sock.sendall((json.dumps(msg) + "\n").encode())

    def recv(self):
        line = self.f.readline()
        return json.loads(line) if line else None

    def until(self, pred, what="a message"):
        for i, m in enumerate(self.unread):
            if pred(m):
                return self.unread.pop(i)
        while True:
            m = self.recv()
            if m is None:
                raise AssertionError("connection closed waiting for %s" % what)
            if pred(m):
                return m
            self.unread.append(m)

    def request(self, command, **args):
        rid = self.next_id
        self.next_id += 1
        self.send({"kind": "control/request", "id": rid, "command": command, "args": args})
        m = self.until(lambda m: m["kind"] == "control/response" and m["id"] == rid, command)
        return m

    def ok(self, command, **args):
        m = self.request(command, **args)
        if not m["ok"]:
            raise AssertionError("%s failed: %s" % (command, m.get("error")))
        return m["body"]

    def stopped(self):
        return self.until(lambda m: m["kind"] == "debug/stopped", "debug/stopped")

    def top(self, **where):
        frames = self.ok("frames", **where)["frames"]
        return frames

    def locals_of(self, ref):
        scopes = self.ok("scopes", frame=ref)["scopes"]
        return {v["name"]: v for v in self.ok("vars", ref=scopes[0]["ref"])["variables"]}

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        self.close()
        return self.proc.returncode, out.decode(), err.decode()

    def close(self):
        for closer in (self.f.close, self.sock.close, self.srv.close):
            try:
                closer()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


class Parsing(unittest.TestCase):
    def test_hit_conditions(self):
        self.assertEqual(D.parse_hit_condition("5"), ("==", 5))
        self.assertEqual(D.parse_hit_condition(" >= 3 "), (">=", 3))
        self.assertEqual(D.parse_hit_condition("%2"), ("%", 2))
        for bad in ("", "x", "%0", ">"):
            with self.assertRaises(ValueError):
                D.parse_hit_condition(bad)
        self.assertEqual([h for h in range(1, 9) if D.hit_ok("%", 3, h)], [3, 6])
        self.assertEqual([h for h in range(1, 9) if D.hit_ok(">", 6, h)], [7, 8])

    def test_log_messages(self):
        parts = D.split_log_message("x={x} {{literal}} and {len(y)}")
        self.assertEqual(parts[0], "x=")
        self.assertEqual(parts[1][0], "x")
        self.assertEqual(parts[2], " {literal} and ")
        self.assertEqual(eval(parts[3][1], {"y": [1, 2]}), 2)
        with self.assertRaises(SyntaxError):
            D.split_log_message("{unclosed")
        with self.assertRaises(SyntaxError):
            D.split_log_message("{1 +}")

    def test_executable_lines(self):
        p = Program(
            """
            import os  # @import

            def f(a):
                # comment  # @comment
                b = a + 1  # @code
                return b
            """
        )
        lines = D.executable_lines(p.path)
        self.assertIn(p.line("import"), lines)
        self.assertIn(p.line("code"), lines)
        self.assertNotIn(p.line("comment"), lines)
        self.assertNotIn(p.line("import") + 1, lines)


STEPPING = """
import asyncio, sys

async def noisy():
    for _ in range(100):
        await asyncio.sleep(0)

async def worker(n):
    total = n  # @bp
    await asyncio.sleep(0.02)  # @await
    total += 1  # @next
    return total

async def main():
    others = [asyncio.create_task(noisy(), name="noisy-%d" % i) for i in range(2)]
    t = asyncio.create_task(worker(41), name="worker")
    print("result", await t)
    await asyncio.gather(*others)

print("tracer", sys.gettrace() is not None)
asyncio.run(main())
"""


with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "debugger", "eval_and_set.py")) as _f:
    EVAL_AND_SET = _f.read()


class Launch(unittest.TestCase):
    def test_breakpoint_inspect_step_over_await_continue(self):
        p = Program(STEPPING)
        a = Adapter(p)
        try:
            res = a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 7, "line": p.line("await")}, {"id": 8, "line": 999}])
            self.assertEqual(res["breakpoints"][0], {"id": 7, "line": p.line("await"), "verified": True, "message": None})
            self.assertFalse(res["breakpoints"][1]["verified"])
            a.ok("start")
            stop = a.stopped()
            self.assertEqual((stop["reason"], stop["breakpoints"]), ("breakpoint", [7]))
            threads = a.ok("threads")
            names = {t["name"]: t for t in threads["tasks"]}
            self.assertTrue({"worker", "noisy-0", "noisy-1", "Task-1"} <= set(names), names)
            self.assertTrue(names["worker"]["stopped"])
            self.assertEqual(names["worker"]["task"], stop["task"])
            self.assertEqual(threads["stop"]["task"], stop["task"])
            frames = a.top(task=stop["task"])
            self.assertEqual([(f["func"], f["line"]) for f in frames], [("worker", p.line("await"))])
            self.assertEqual(a.locals_of(frames[0]["ref"])["total"]["value"], "41")
            self.assertEqual(a.ok("eval", frame=frames[0]["ref"], expression="total + n")["value"], "82")
            a.ok("set-breakpoints", file=p.path, breakpoints=[])
            a.ok("step", kind="over", task=stop["task"])
            step = a.stopped()
            self.assertEqual((step["reason"], step["task"]), ("step", stop["task"]))
            self.assertEqual(a.top(task=stop["task"])[0]["line"], p.line("next"))
            # expired refs are refused, not crashed on
            bad = a.request("vars", ref=frames[0]["ref"])
            self.assertFalse(bad["ok"])
            a.ok("continue")
            code, out, err = a.finish()
            self.assertEqual(code, 0, err)
            self.assertIn("result 42", out)
        finally:
            a.close()

    def test_evaluate_as_on_the_tasks_loop_and_set_variable(self):
        p = Program(EVAL_AND_SET)
        a = Adapter(p)
        try:
            a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 1, "line": p.line("bp")}])
            a.ok("start")
            stop = a.stopped()
            frame = a.top(task=stop["task"])[0]["ref"]

            def ev(expression, context="watch"):
                return a.request("eval", frame=frame, expression=expression, context=context)

            def value(expression, context="watch"):
                r = ev(expression, context)
                self.assertTrue(r["ok"], r.get("error"))
                return r["body"]["value"]

            # asyncio's "current loop" calls work: the frame's loop is the running one.
            self.assertEqual(value("sorted(t.get_name() for t in asyncio.all_tasks())"), "['Task-1', 'other', 'worker']")
            self.assertEqual(value("asyncio.current_task().get_name()"), "'worker'")
            self.assertEqual(value("len(asyncio.all_tasks(asyncio.get_running_loop()))"), "3")
            # The task's context variables; another task's locals.
            self.assertEqual(value("request.get()"), "'req-7'")
            self.assertEqual(
                value("[t for t in asyncio.all_tasks() if t.get_name() == 'Task-1'][0].get_coro().cr_frame.f_locals['o'].get_name()"),
                "'other'",
            )
            # Errors are errors; the session goes on.
            for expression, error in (("missing + 1", "NameError"), ("1 / 0", "ZeroDivisionError"), ("def (", "SyntaxError")):
                r = ev(expression)
                self.assertFalse(r["ok"])
                self.assertTrue(r["error"].startswith(error), r["error"])
            # A statement in the console changes the frame's local.
            self.assertTrue(ev("n = 5", context="repl")["ok"])
            self.assertEqual(value("n"), "5")

            scopes = a.ok("scopes", frame=frame)["scopes"]
            local_ref = scopes[0]["ref"]
            global_ref = scopes[1]["ref"]
            changed = a.ok("set-var", ref=local_ref, name="total", value="total + 59")
            self.assertEqual((changed["value"], changed["type"]), ("100", "int"))
            local = {v["name"]: v for v in a.ok("vars", ref=local_ref)["variables"]}
            self.assertEqual(local["total"]["value"], "100")
            items = a.ok("vars", ref=local["items"]["ref"])["variables"]
            self.assertEqual(a.ok("set-var", ref=local["items"]["ref"], name=items[1]["name"], value="20")["value"], "20")
            table = a.ok("vars", ref=local["table"]["ref"])["variables"]
            self.assertEqual(table[0]["name"], "'a'")
            self.assertEqual(a.ok("set-var", ref=local["table"]["ref"], name="'a'", value="{'deep': [1]}")["evaluate_name"], "table['a']")
            self.assertEqual(a.ok("set-var", ref=local["box"]["ref"], name="size", value="3")["value"], "3")
            self.assertEqual(a.ok("set-var", ref=global_ref, name="LIMIT", value="'high'")["value"], "'high'")
            for ref, name, text, error in (
                (local_ref, "nope", "1", "no local named"),
                (local_ref, "total", "1 +", "SyntaxError"),
                (local_ref, "total", "missing", "NameError"),
                (local["pair"]["ref"], "0", "1", "a tuple cannot be changed"),
                (global_ref, "not_there", "1", "no global named"),
            ):
                r = a.request("set-var", ref=ref, name=name, value=text)
                self.assertFalse(r["ok"])
                self.assertIn(error, r["error"])
            a.ok("set-breakpoints", file=p.path, breakpoints=[])
            a.ok("continue")
            code, out, err = a.finish()
            self.assertEqual(code, 0, err)
            self.assertIn("after n=5 total=100 peek=100 items=[1, 20, 3] table={'a': {'deep': [1]}} size=3 LIMIT=high", out)
        finally:
            a.close()

    def test_nothing_traced_without_breakpoints(self):
        p = Program(STEPPING)
        a = Adapter(p)
        try:
            a.ok("start")
            code, out, _ = a.finish()
            self.assertEqual(code, 0)
            self.assertIn("tracer False", out)
        finally:
            a.close()

    def test_a_breakpoint_traces_nothing_else(self):
        # 3.8-3.11: the breakpoint is compiled into cold(); 3.12+: LINE events on cold() only.
        p = Program(
            """
            import asyncio, sys

            def cold(x):
                return x + 1  # @cold

            async def hot():
                for i in range(50):
                    await asyncio.sleep(0)

            async def main():
                await hot()
                print("tracer", sys.gettrace() is not None, flush=True)
                print("cold", cold(1))

            asyncio.run(main())
            """
        )
        a = Adapter(p)
        try:
            a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 1, "line": p.line("cold")}])
            a.ok("start")
            stop = a.stopped()
            frames = a.top(thread=stop["thread"])
            self.assertEqual((frames[0]["func"], frames[0]["line"]), ("cold", p.line("cold")))
            self.assertEqual(a.locals_of(frames[0]["ref"])["x"]["value"], "1")
            a.ok("continue")
            code, out, _ = a.finish()
            self.assertEqual((code, out), (0, "tracer False\ncold 2\n"))
        finally:
            a.close()

    def test_breakpoints_on_every_kind_of_line_leave_the_program_unchanged(self):
        # Loop headers, elif, except, decorators, continuation lines, a future import:
        # logpoints on each (3.8-3.11 compile them in) and the program computes the same.
        p = Program(
            """
            from __future__ import annotations  # @future
            import asyncio, functools

            def deco(fn):  # @deco_def
                @functools.wraps(fn)
                def inner(*a):
                    return fn(*a)
                return inner

            @deco  # @decorator
            def classify(n: int) -> str:
                \"\"\"A docstring stays a docstring.\"\"\"
                if n < 0:  # @if
                    return "neg"
                elif n == 0:  # @elif
                    return "zero"
                else:
                    return "pos"

            async def main():
                total = 0
                for i in range(3):  # @for
                    total += (i +  # @cont_start
                              10)  # @cont
                try:
                    {}["x"]
                except KeyError:  # @except
                    total += 100
                while total > 200:  # @while
                    total -= 1
                return total, classify(-1), classify(0), classify(5), classify.__doc__

            print(asyncio.run(main()))
            """
        )
        plain = p.run_plain()
        self.assertEqual(plain.returncode, 0, plain.stderr)
        a = Adapter(p)
        try:
            markers = ["future", "deco_def", "decorator", "if", "elif", "for", "cont", "except", "while"]
            res = a.ok(
                "set-breakpoints",
                file=p.path,
                breakpoints=[{"id": i, "line": p.line(m), "log_message": m} for i, m in enumerate(markers)],
            )
            self.assertTrue(all(b["verified"] for b in res["breakpoints"]), res)
            a.ok("start")
            a.until(lambda m: m["kind"] == "program/exit")
            logged = [m["text"].strip() for m in a.unread if m["kind"] == "debug/output"]
            code, out, err = a.finish()
            self.assertEqual((code, out), (0, plain.stdout.decode()), err)
            for m in ["deco_def", "decorator", "if", "elif", "for", "except", "while"]:
                self.assertIn(m, logged)
            self.assertGreaterEqual(logged.count("for"), 3, logged)
            self.assertGreaterEqual(logged.count("if"), 3, logged)
            self.assertEqual(logged.count("elif"), 2, logged)
        finally:
            a.close()

    def test_conditions_hit_counts_logpoints(self):
        p = Program(
            """
            import asyncio

            async def main():
                for i in range(10):
                    x = i * i  # @body
                    await asyncio.sleep(0)

            asyncio.run(main())
            """
        )
        a = Adapter(p)
        try:
            line = p.line("body")
            bad = a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 3, "line": line, "condition": "i >"}, {"id": 4, "line": line, "hit_condition": "often"}])
            self.assertEqual([b["verified"] for b in bad["breakpoints"]], [False, False])
            self.assertIn("invalid expression", bad["breakpoints"][0]["message"])
            self.assertIn("invalid hit count", bad["breakpoints"][1]["message"])
            a.ok(
                "set-breakpoints",
                file=p.path,
                breakpoints=[
                    {"id": 1, "line": line, "log_message": "i={i} sq={i*i}"},
                    {"id": 2, "line": line, "condition": "i > 4", "hit_condition": "%2"},
                ],
            )
            a.ok("start")
            stop = a.stopped()
            frames = a.top(task=stop["task"])
            self.assertEqual(a.locals_of(frames[0]["ref"])["i"]["value"], "6")
            a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 1, "line": line, "log_message": "i={i} sq={i*i}"}])
            a.ok("continue")
            a.until(lambda m: m["kind"] == "program/exit")
            logged = [m["text"] for m in a.unread if m["kind"] == "debug/output"]
            self.assertEqual(logged, ["i=%d sq=%d\n" % (i, i * i) for i in range(10)])
            a.finish()
        finally:
            a.close()

    def test_exception_and_loop_event_stops(self):
        p = Program(
            """
            import asyncio

            async def bad():
                await asyncio.sleep(0)
                raise KeyError("k")  # @raise

            async def sleeper():
                await asyncio.sleep(10)

            async def main():
                s = asyncio.create_task(sleeper(), name="sleeper")  # @create
                r = await asyncio.gather(asyncio.create_task(bad(), name="bad"), return_exceptions=True)
                s.cancel()  # @cancel
                try:
                    int("x")  # @int
                except ValueError:
                    pass
                raise RuntimeError("the end")  # @end

            asyncio.run(main())
            """
        )
        a = Adapter(p)
        try:
            a.ok("set-filters", filters=["raised", "uncaught", "task-failed", {"id": "task-created", "condition": "sleep"}, "task-cancelled"])
            self.assertFalse(a.request("set-filters", filters=["nope"])["ok"])
            a.ok("set-filters", filters=["raised", "uncaught", "task-failed", {"id": "task-created", "condition": "sleep"}, "task-cancelled"])
            a.ok("start")
            seen = []
            while True:
                stop = a.until(lambda m: m["kind"] in ("debug/stopped", "program/exit"))
                if stop["kind"] == "program/exit":
                    break
                where = a.top(task=stop["task"]) if stop["task"] is not None else a.top(thread=stop["thread"])
                seen.append((stop["reason"], stop["description"], where[0]["line"] if where else None))
                if stop["reason"] == "exception":
                    info = a.ok("exception-info")
                    self.assertTrue(info["type"] in ("KeyError", "ValueError", "RuntimeError"), info)
                a.ok("continue")
            self.assertEqual(
                seen,
                [
                    ("task created", "Task created: sleeper sleeper()", p.line("create")),
                    ("exception", "Exception raised: KeyError", p.line("raise")),
                    ("exception", "Task failed: bad bad()", p.line("raise")),
                    ("task cancelled", "Task cancelled: sleeper sleeper() by Task-1 main()", p.line("cancel")),
                    ("exception", "Exception raised: ValueError", p.line("int")),
                    ("exception", "Exception raised: RuntimeError", p.line("end")),
                    ("exception", "Uncaught exception in Task-1 main()", p.line("end")),
                ],
            )
            code, _, err = a.finish()
            self.assertEqual(code, 1)
            self.assertIn("RuntimeError: the end", err)
        finally:
            a.close()

    def test_stop_on_entry_and_step_into(self):
        p = Program(
            """
            def helper(v):  # @entry
                return v * 2  # @helper

            x = helper(4)  # @first
            print("x", x)
            """
        )
        a = Adapter(p)
        try:
            a.ok("start", stop_on_entry=True)
            stop = a.stopped()
            self.assertEqual((stop["reason"], stop["task"], stop["loop"]), ("entry", None, None))
            self.assertEqual(a.top(thread=stop["thread"])[0]["line"], p.line("entry"))
            a.ok("step", kind="over", thread=stop["thread"])
            a.stopped()
            self.assertEqual(a.top(thread=stop["thread"])[0]["line"], p.line("first"))
            a.ok("step", kind="into", thread=stop["thread"])
            a.stopped()
            frames = a.top(thread=stop["thread"])
            self.assertEqual([(f["func"], f["line"]) for f in frames[:2]], [("helper", p.line("helper")), ("<module>", p.line("first"))])
            a.ok("continue")
            code, out, _ = a.finish()
            self.assertEqual((code, out), (0, "x 8\n"))
        finally:
            a.close()

    def test_detach_releases_the_program_and_a_lost_debugger_ends_a_launched_one(self):
        src = """
            import asyncio

            async def main():
                for i in range(3):
                    await asyncio.sleep(0.01)  # @loop
                print("finished")

            asyncio.run(main())
            """
        p = Program(src)
        a = Adapter(p)
        try:
            a.ok("set-breakpoints", file=p.path, breakpoints=[{"id": 1, "line": p.line("loop")}])
            a.ok("start")
            a.stopped()
            a.ok("detach")
            code, out, _ = a.finish()
            self.assertEqual((code, out), (0, "finished\n"))
        finally:
            a.close()
        b = Adapter(Program(src))
        try:
            b.ok("set-breakpoints", file=b.proc.args[-1], breakpoints=[{"id": 1, "line": p.line("loop")}])
            b.ok("start")
            b.stopped()
            b.sock.shutdown(socket.SHUT_RDWR)
            b.sock.close()
            b.proc.wait(20)
            self.assertNotEqual(b.proc.returncode, 0)
            self.assertIn(b"the debugger that started this program went away", b.proc.stderr.read())
        finally:
            b.close()


if __name__ == "__main__":
    unittest.main()
