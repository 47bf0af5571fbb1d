"""The command line: the program behaves exactly as under plain python, and
bad input gets one clear line and the right exit code."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

from support import PY, RUNTIME, Program, Trace, env


def loopscope(*args, cwd=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "loopscope"] + list(args), cwd=cwd, env=env(), capture_output=True, timeout=timeout)


class Fidelity(unittest.TestCase):
    def assertSame(self, p, *args, stdin=None):
        plain = p.run_plain(*args, stdin=stdin)
        traced = p.run_loopscope("run", args=args, stdin=stdin)
        self.assertEqual(traced.stdout, plain.stdout)
        self.assertEqual(traced.stderr, plain.stderr)
        self.assertEqual(traced.returncode, plain.returncode)
        trace = os.path.join(p.dir, "t.jsonl")
        recorded = p.run_loopscope("record", "-o", trace, args=args, stdin=stdin)
        self.assertEqual(recorded.stdout, plain.stdout)
        self.assertEqual(recorded.stderr, plain.stderr)
        self.assertEqual(recorded.returncode, plain.returncode)
        return plain, Trace(trace)

    def test_argv_path_main_and_file(self):
        p = Program(
            """
            import sys, os, asyncio
            print(sys.argv)
            print(sys.path[0] == os.path.dirname(os.path.realpath(__file__)))
            print(__name__, __file__ == os.path.join(os.getcwd(), "prog.py") or __file__ == "prog.py" or __file__)
            import __main__
            print(__main__.__dict__ is globals(), __spec__, __package__)
            print(type(asyncio.get_event_loop_policy()).__name__)
            """
        )
        plain = p.run_plain("a", "--flag", "x y")
        self.assertIn(b"'a', '--flag', 'x y'", plain.stdout)
        self.assertSame(p, "a", "--flag", "x y")

    def test_exit_codes_and_uncaught_exception(self):
        for body, code in (
            ("import sys; sys.exit(3)", 3),
            ("import sys; sys.exit('bye bye')", 1),
            ("import sys; sys.exit(None)", 0),
            ("raise KeyError('nope')", 1),
            ("import asyncio\nasync def main():\n    raise ValueError('in a task')\nasyncio.run(main())", 1),
        ):
            with self.subTest(body=body):
                p = Program(body)
                plain, trace = self.assertSame(p)
                self.assertEqual(plain.returncode, code)
                self.assertEqual(trace.report["exit_code"], code)

    def test_os_exit_still_ends_the_trace(self):
        p = Program(
            """
            import asyncio, os, sys
            async def main():
                await asyncio.sleep(0)
                sys.stdout.flush()
                os._exit(4)
            asyncio.run(main())
            """
        )
        plain, trace = self.assertSame(p)
        self.assertEqual(plain.returncode, 4)
        self.assertEqual(trace.messages[-1]["kind"], "program/exit")
        self.assertEqual(trace.messages[-1]["code"], 4)
        self.assertEqual(trace.task("Task-1")["steps"], 1)

    def test_binary_output_stdin_warnings(self):
        p = Program(
            """
            import sys, warnings, asyncio
            data = sys.stdin.buffer.read()
            sys.stdout.buffer.write(bytes(range(256)) + data[::-1])
            warnings.warn("careful", DeprecationWarning)
            warnings.warn("loud", UserWarning)
            sys.stderr.buffer.write(b"\\xff\\xfe raw\\n")
            """
        )
        self.assertSame(p, stdin=b"\x00\x01binary\xff")

    def test_module_mode(self):
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, "pkg"))
        with open(os.path.join(d, "pkg", "__init__.py"), "w"):
            pass
        with open(os.path.join(d, "pkg", "tool.py"), "w") as f:
            f.write("import sys, asyncio\nprint(__name__, sys.argv[1:], sys.argv[0].endswith('tool.py'))\nasync def m():\n    return 5\nprint(asyncio.run(m()))\n")
        plain = subprocess.run([sys.executable, "-m", "pkg.tool", "x"], cwd=d, env=env(), capture_output=True, timeout=60)
        traced = loopscope("run", "-m", "pkg.tool", "x", cwd=d)
        self.assertEqual(plain.stdout, b"__main__ ['x'] True\n5\n")
        self.assertEqual(traced.stdout, plain.stdout)
        self.assertEqual(traced.returncode, 0)
        rec = loopscope("record", "-o", os.path.join(d, "t.jsonl"), "-m", "pkg.tool", "x", cwd=d)
        self.assertEqual(rec.stdout, plain.stdout)
        self.assertEqual(Trace(os.path.join(d, "t.jsonl")).task("Task-1")["coro"], "m")


class BadInput(unittest.TestCase):
    def one_line(self, proc):
        lines = proc.stderr.decode().strip().splitlines()
        self.assertTrue(lines and lines[-1].startswith("loopscope: "), proc.stderr)
        return lines[-1]

    def test_missing_program(self):
        r = loopscope("run", "--", "/nonexistent/prog.py")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(self.one_line(r), "loopscope: can't open file '/nonexistent/prog.py': [Errno 2] No such file or directory")
        self.assertEqual(r.stdout, b"")

    def test_syntax_error_names_file_and_line(self):
        p = Program("import asyncio\n\nasync def main(:\n    pass\n")
        r = p.run_loopscope("run")
        self.assertEqual(r.returncode, 1)
        line = self.one_line(r)
        self.assertTrue(line.startswith("loopscope: %s:3:" % p.path), line)
        self.assertIn("SyntaxError: ", line)

    def test_no_such_module(self):
        r = loopscope("run", "-m", "no_such_module_here")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.one_line(r), "loopscope: No module named no_such_module_here")

    def test_bad_arguments(self):
        for args, needle in (
            ([], "usage"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["run"], "no program given"),
            (["run", "--bogus", "--", "x.py"], "unknown option --bogus"),
            (["run", "--connect", "nohostport", "--token", "t", "--", "x.py"], "--connect wants HOST:PORT"),
            (["run", "--connect", "10.0.0.1:9", "--token", "t", "--", "x.py"], "only goes to this machine"),
            (["run", "--connect", "127.0.0.1:9", "--", "x.py"], "--connect needs --token"),
            (["record", "--", "x.py"], "record needs -o FILE"),
        ):
            with self.subTest(args=args):
                r = loopscope(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(needle, r.stderr.decode() + r.stdout.decode())

    def test_unreachable_connect(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        p = Program("print('never runs')\n")
        r = p.run_loopscope("run", "--connect", "127.0.0.1:%d" % port, "--token", "t")
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot reach the debugger at 127.0.0.1:%d" % port, self.one_line(r))
        self.assertEqual(r.stdout, b"")

    def test_wrong_token_is_refused_and_nothing_leaks(self):
        received = []
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)

        def adapter():
            conn, _ = srv.accept()
            f = conn.makefile("rb")
            hello = json.loads(f.readline())
            received.append(hello)
            conn.sendall(b'{"kind":"session/refused","reason":"wrong session token"}\n')
            rest = f.read()  # until the runtime closes: must be nothing
            received.append(rest)
            conn.close()

        t = threading.Thread(target=adapter)
        t.start()
        p = Program("import asyncio\nasync def main():\n    print('secret')\nasyncio.run(main())\n")
        r = p.run_loopscope("run", "--connect", "127.0.0.1:%d" % srv.getsockname()[1], "--token", "not-the-token")
        t.join(10)
        srv.close()
        self.assertEqual(r.returncode, 3)
        self.assertEqual(self.one_line(r), "loopscope: the debugger refused the connection: wrong session token")
        self.assertEqual(r.stdout, b"")  # the program never ran
        self.assertEqual(received[0]["kind"], "session/hello")
        self.assertEqual(received[0]["token"], "not-the-token")
        self.assertEqual(received[1], b"")

    def test_a_debugger_that_stops_reading_never_hangs_the_program(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        conns = []

        def adapter():
            conn, _ = srv.accept()
            conn.makefile("rb").readline()  # the hello
            conn.sendall(b'{"kind":"session/welcome","protocol":"1.1","role":"adapter"}\n')
            conns.append(conn)  # ...and never reads again

        t = threading.Thread(target=adapter)
        t.start()
        p = Program(
            """
            import asyncio
            async def spin(i):
                for _ in range(20):
                    await asyncio.sleep(0)
                return "x" * 150
            async def main():
                await asyncio.gather(*[spin(i) for i in range(20000)])
                print("finished")
            asyncio.run(main())
            """
        )
        e = env()
        e["LOOPSCOPE_SEND_TIMEOUT"] = "1"
        r = subprocess.run(
            [sys.executable, "-m", "loopscope", "run", "--connect", "127.0.0.1:%d" % srv.getsockname()[1], "--token", "t", "--", p.path],
            cwd=p.dir, env=e, capture_output=True, timeout=120,
        )
        t.join(10)
        for c in conns:
            c.close()
        srv.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"finished\n")

    def test_report_errors(self):
        d = tempfile.mkdtemp()
        bad = os.path.join(d, "bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"kind":"session/hello","protocol":"1.0","token":"","role":"recording"}\nnot json\n{"kind":"program/exit","code":0,"ts":1}\n')
        r = loopscope("report", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("line 2 is not JSON", r.stderr.decode())
        r = loopscope("report", os.path.join(d, "missing.jsonl"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("can't open trace", r.stderr.decode())


class Report(unittest.TestCase):
    def test_json_and_text_report(self):
        p = Program(
            """
            import asyncio
            async def ok():
                return 1
            async def bad():
                raise RuntimeError("x")
            async def main():
                q = asyncio.Queue()
                q.put_nowait("left")
                globals()["q"] = q
                await asyncio.gather(ok(), bad(), return_exceptions=True)
            asyncio.run(main())
            """
        )
        trace = os.path.join(p.dir, "t.jsonl")
        self.assertEqual(p.run_loopscope("record", "-o", trace).returncode, 0)
        r = loopscope("report", "--json", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual(set(rep), {"protocol", "python", "exit_code", "tasks", "futures", "queues", "dropped_events"})
        self.assertEqual(rep["python"], "%d.%d.%d" % sys.version_info[:3])
        self.assertEqual(rep["exit_code"], 0)
        fields = {"id", "name", "coro", "state", "created_at", "parent", "steps", "awaited_by", "cancelled_by", "cancel_message", "exception", "result"}
        for t in rep["tasks"]:
            self.assertTrue(fields <= set(t), set(t))
        states = sorted(t["state"] for t in rep["tasks"] if t["coro"] in ("ok", "bad"))
        self.assertEqual(states, ["done", "failed"])
        self.assertEqual(rep["queues"][0]["items"], ["'left'"])
        text = loopscope("report", trace)
        self.assertEqual(text.returncode, 0)
        out = text.stdout.decode()
        self.assertIn("tasks: ", out)
        self.assertIn("RuntimeError: x", out)
        self.assertIn("left: ['left']", out)


if __name__ == "__main__":
    unittest.main()
