"""Helpers for the runtime tests: run a program plain or under Loopscope, read a
trace. Programs are written to a temp dir; markers like ``# @site`` name lines so
tests never hard-code line numbers."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNTIME = os.path.join(REPO, "runtime")
sys.path.insert(0, RUNTIME)

from loopscope import report as _report  # noqa: E402
from loopscope.packed import unpack  # noqa: E402

PY = sys.version_info[:2]
TIMEOUT = 60


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = RUNTIME + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.pop("PYTHONASYNCIODEBUG", None)
    return e


class Program:
    def __init__(self, source, name="prog.py"):
        self.dir = tempfile.mkdtemp(prefix="loopscope-test-")
        self.source = textwrap.dedent(source)
        self.path = os.path.join(self.dir, name)
        with open(self.path, "w") as f:
            f.write(self.source)

    def line(self, marker):
        """1-based number of the line carrying ``# @marker``."""
        for n, text in enumerate(self.source.splitlines(), 1):
            if text.rstrip().endswith("# @" + marker):
                return n
        raise KeyError(marker)

    def run_plain(self, *args, stdin=None):
        return subprocess.run(
            [sys.executable, self.path] + list(args), cwd=self.dir, env=env(), capture_output=True, timeout=TIMEOUT, input=stdin
        )

    def run_loopscope(self, *cli, args=(), stdin=None):
        return subprocess.run(
            [sys.executable, "-m", "loopscope"] + list(cli) + ["--", self.path] + list(args),
            cwd=self.dir,
            env=env(),
            capture_output=True,
            timeout=TIMEOUT,
            input=stdin,
        )

    def record(self, *args):
        """-> (completed process, Trace)."""
        trace = os.path.join(self.dir, "trace.jsonl")
        proc = self.run_loopscope("record", "-o", trace, args=args)
        return proc, Trace(trace)


class Trace:
    def __init__(self, path):
        with open(path) as f:
            self.lines = f.read().splitlines()
        self.messages = [json.loads(l) for l in self.lines if l.strip()]
        self.events = [e for m in self.messages if m["kind"] == "events/batch" for e in m["events"]]
        self.report = _report.fold(self.lines)
        self.sites = {e["site"]: e for e in self.events if e["kind"] == "site/def"}

    def of_kind(self, kind):
        return [e for e in self.events if e["kind"] == kind]

    def task(self, name):
        found = [t for t in self.report["tasks"] if t["name"] == name]
        if len(found) != 1:
            raise AssertionError("expected one task named %r, found %d: %r" % (name, len(found), [t["name"] for t in self.report["tasks"]]))
        return found[0]

    def steps(self):
        """[(task, start, end, waits)] in order."""
        out = []
        for e in self.of_kind("task/steps"):
            d = unpack(e["data"])
            out.extend(tuple(d[i : i + 4]) for i in range(0, len(d), 4))
        return out

    def task_created(self):
        """[task/created-like dicts] from both encodings."""
        out = []
        for e in self.events:
            if e["kind"] == "task/created":
                out.append(e)
            elif e["kind"] == "task/created-batch":
                d = unpack(e["data"])
                for i in range(len(d) // 5):
                    out.append({"task": d[i * 5], "loop": e["loop"], "ts": d[i * 5 + 1], "name": e["names"][i], "coro": e["coros"][i],
                                "site": d[i * 5 + 2] or None, "parent": d[i * 5 + 3] or None, "eager": bool(d[i * 5 + 4])})
        return out

    def futures(self):
        """id -> {type, site, owner, children, state} from both future encodings."""
        futs = {}
        for e in self.events:
            if e["kind"] == "future/created":
                futs[e["future"]] = {"type": e["type"], "site": e["site"], "owner": e["owner"], "children": e["children"], "state": "pending"}
            elif e["kind"] == "future/created-batch":
                d = unpack(e["data"])
                for i in range(0, len(d), 6):
                    futs[d[i]] = {"type": e["types"][d[i + 2]], "site": d[i + 3] or None, "owner": d[i + 4] or None, "children": [], "state": "pending"}
            elif e["kind"] == "future/done" and e["future"] in futs:
                futs[e["future"]]["state"] = e["state"]
            elif e["kind"] == "future/done-batch":
                d = unpack(e["data"])
                for i in range(0, len(d), 3):
                    if d[i] in futs:
                        futs[d[i]]["state"] = ("done", "cancelled", "failed")[d[i + 2]]
        return futs

    def waits_of(self, task_id):
        """Ids a task waited on after its steps, in order (0s dropped)."""
        return [w for t, _s, _e, w in self.steps() if t == task_id and w]

    def site_line(self, site_id):
        s = self.sites.get(site_id)
        return (os.path.basename(s["file"]), s["line"]) if s else None

    def last_sample(self, kind, key, oid):
        found = [e for e in self.of_kind(kind) if e[key] == oid]
        return found[-1] if found else None
