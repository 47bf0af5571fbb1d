"""``python -m loopscope report [--json] FILE``: the final picture of a recording.

Folds the recorded messages (the same JSON lines as on the wire) into what was
left at the end: every task with its state, steps, who awaited it, who
cancelled it; futures; queues with the items still in them; dropped events.
A truncated last line (a run killed mid-write) is tolerated; other garbage is
an error naming the line.
"""
import json
import sys

from . import _protocol as P
from .packed import unpack


_DONE_STATES = ("done", "cancelled", "failed")


class TraceError(Exception):
    pass


def fold(lines):
    """Iterable of text lines -> the report dict."""
    rep = {
        "protocol": None,
        "python": None,
        "exit_code": None,
        "tasks": [],
        "futures": [],
        "queues": [],
        "dropped_events": 0,
    }
    sites = {}
    tasks = {}
    futures = {}
    queues = {}
    lines = list(lines)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            if n == len(lines):
                break  # the run ended mid-write
            raise TraceError("line %d is not JSON" % n)
        error = P.validate(msg)
        if error:
            raise TraceError("line %d: %s" % (n, error))
        kind = msg["kind"]
        if kind == P.SESSION_HELLO:
            rep["protocol"] = msg["protocol"]
            rep["python"] = msg.get("python")
        elif kind == P.PROGRAM_EXIT:
            rep["exit_code"] = msg["code"]
        elif kind == P.EVENTS_BATCH:
            rep["dropped_events"] = max(rep["dropped_events"], msg["dropped"])
            for ev in msg["events"]:
                _apply(ev, sites, tasks, futures, queues)
    if rep["protocol"] is None:
        raise TraceError("not a Loopscope trace: no session/hello line")

    def site(sid):
        s = sites.get(sid)
        return {"file": s["file"], "line": s["line"]} if s else None

    for t in tasks.values():
        t["created_at"] = site(t.pop("_site"))
        t["awaited_by"] = sorted(t["awaited_by"])
        by_site = t.pop("_cancel_site")
        t["cancelled_by_site"] = site(by_site) if by_site is not None else None
        rep["tasks"].append(t)
    for f in futures.values():
        f["created_at"] = site(f.pop("_site"))
        f["awaited_by"] = sorted(f["awaited_by"])
        rep["futures"].append(f)
    rep["queues"] = list(queues.values())
    return rep


def _apply(ev, sites, tasks, futures, queues):
    kind = ev["kind"]
    if kind == P.SITE_DEF:
        sites[ev["site"]] = ev
    elif kind == P.TASK_CREATED:
        tasks[ev["task"]] = {
            "id": ev["task"],
            "name": ev["name"],
            "coro": ev["coro"],
            "state": "pending",
            "_site": ev["site"],
            "parent": ev["parent"],
            "steps": 0,
            "awaited_by": set(),
            "cancelled_by": None,
            "_cancel_site": None,
            "cancel_message": None,
            "exception": None,
            "result": None,
        }
    elif kind == P.TASK_CREATED_BATCH:
        data = unpack(ev["data"])
        for i in range(len(data) // 5):
            k = i * 5
            _apply(
                {
                    "kind": P.TASK_CREATED,
                    "task": data[k],
                    "loop": ev["loop"],
                    "ts": data[k + 1],
                    "name": ev["names"][i] if i < len(ev["names"]) else "?",
                    "coro": ev["coros"][i] if i < len(ev["coros"]) else "?",
                    "site": data[k + 2] or None,
                    "parent": data[k + 3] or None,
                    "eager": bool(data[k + 4]),
                },
                sites,
                tasks,
                futures,
                queues,
            )
    elif kind == P.TASK_DONE_BATCH:
        data = unpack(ev["data"])
        for i in range(len(data) // 2):
            t = tasks.get(data[i * 2])
            if t is not None:
                t["state"] = "done"
                t["result"] = ev["results"][i] if i < len(ev["results"]) else None
    elif kind == P.TASK_RENAMED:
        t = tasks.get(ev["task"])
        if t is not None:
            t["name"] = ev["name"]
    elif kind == P.TASK_STEPS:
        data = unpack(ev["data"])
        for i in range(0, len(data) - 3, 4):
            t = tasks.get(data[i])
            if t is not None:
                t["steps"] += 1
            target = data[i + 3]
            if target:
                awaited = tasks.get(target) or futures.get(target)
                if awaited is not None:
                    awaited["awaited_by"].add(data[i])
    elif kind == P.TASK_DONE:
        t = tasks.get(ev["task"])
        if t is not None:
            t["state"] = ev["state"]
            t["result"] = ev["result"]
            t["exception"] = ev["exception"]
            if ev["cancel_message"] is not None:
                t["cancel_message"] = ev["cancel_message"]
    elif kind == P.TASK_CANCEL_REQUESTED:
        t = tasks.get(ev["task"])
        if t is not None:
            t["cancelled_by"] = ev["by_task"]
            t["_cancel_site"] = ev["by_site"]
            if ev["message"] is not None:
                t["cancel_message"] = ev["message"]
    elif kind == P.FUTURE_CREATED:
        futures[ev["future"]] = {
            "id": ev["future"],
            "type": ev["type"],
            "state": "pending",
            "_site": ev["site"],
            "owner": ev["owner"],
            "children": ev["children"],
            "awaited_by": set(),
        }
        for child in ev["children"]:
            awaited = tasks.get(child) or futures.get(child)
            if awaited is not None:
                awaited["awaited_by"].add(ev["future"])
    elif kind == P.FUTURE_CREATED_BATCH:
        types = ev["types"]
        data = unpack(ev["data"])
        for i in range(0, len(data) - 5, 6):
            t = data[i + 2]
            futures[data[i]] = {
                "id": data[i],
                "type": types[t] if 0 <= t < len(types) else "future",
                "state": "pending",
                "_site": data[i + 3] or None,
                "owner": data[i + 4] or None,
                "children": [],
                "awaited_by": set(),
            }
    elif kind == P.FUTURE_DONE_BATCH:
        data = unpack(ev["data"])
        for i in range(0, len(data) - 2, 3):
            f = futures.get(data[i])
            if f is not None:
                f["state"] = _DONE_STATES[data[i + 2]] if 0 <= data[i + 2] < 3 else "done"
    elif kind == P.FUTURE_DONE:
        f = futures.get(ev["future"])
        if f is not None:
            f["state"] = ev["state"]
    elif kind == P.QUEUE_CREATED:
        queues[ev["queue"]] = {
            "id": ev["queue"],
            "type": ev["type"],
            "maxsize": ev["maxsize"],
            "puts": 0,
            "gets": 0,
            "items": [],
        }
    elif kind == P.QUEUE_SAMPLE:
        q = queues.get(ev["queue"])
        if q is not None:
            q["puts"] = ev["puts"]
            q["gets"] = ev["gets"]
            q["items"] = ev["items"]


def render(rep):
    """The report as text for a person."""
    out = []
    out.append(
        "Loopscope trace: Python %s, protocol %s, exit code %s"
        % (rep["python"], rep["protocol"], "unknown (the run did not end cleanly)" if rep["exit_code"] is None else rep["exit_code"])
    )
    counts = {}
    for t in rep["tasks"]:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    out.append(
        "tasks: %d (%s)"
        % (len(rep["tasks"]), ", ".join("%d %s" % (counts[k], k) for k in ("pending", "done", "cancelled", "failed") if k in counts) or "none")
    )
    for t in rep["tasks"]:
        where = "%s:%s" % (t["created_at"]["file"], t["created_at"]["line"]) if t["created_at"] else "?"
        line = "  #%-5s %-9s %-20s %s()  steps=%d  created at %s" % (t["id"], t["state"], t["name"], t["coro"], t["steps"], where)
        if t["awaited_by"]:
            line += "  awaited by %s" % ", ".join("#%s" % a for a in t["awaited_by"])
        out.append(line)
        if t["state"] == "failed" and t["exception"]:
            out.append("          %s: %s" % (t["exception"]["type"], t["exception"]["message"]))
        if t["state"] == "cancelled" or t["cancelled_by"] is not None:
            who = "task #%s" % t["cancelled_by"] if t["cancelled_by"] is not None else "code outside any task"
            if t["cancelled_by_site"]:
                who += " at %s:%s" % (t["cancelled_by_site"]["file"], t["cancelled_by_site"]["line"])
            msg = " (message: %s)" % t["cancel_message"] if t["cancel_message"] is not None else ""
            out.append("          cancelled by %s%s" % (who, msg))
    fcounts = {}
    for f in rep["futures"]:
        fcounts[f["state"]] = fcounts.get(f["state"], 0) + 1
    out.append("futures: %d (%s)" % (len(rep["futures"]), ", ".join("%d %s" % (v, k) for k, v in sorted(fcounts.items())) or "none"))
    out.append("queues: %d" % len(rep["queues"]))
    for q in rep["queues"]:
        out.append(
            "  #%-5s %s(maxsize=%s)  puts=%d gets=%d  left: %s"
            % (q["id"], q["type"], q["maxsize"], q["puts"], q["gets"], "[" + ", ".join(q["items"]) + "]")
        )
    out.append("dropped events: %d" % rep["dropped_events"])
    return "\n".join(out) + "\n"


def main(argv):
    as_json = False
    files = []
    for a in argv:
        if a == "--json":
            as_json = True
        elif a.startswith("-"):
            sys.stderr.write("loopscope: report: unknown option %s\n" % a)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        sys.stderr.write("loopscope: report needs exactly one trace FILE\n")
        return 2
    try:
        with open(files[0], "r", encoding="utf-8", errors="replace") as f:
            rep = fold(f)
    except OSError as exc:
        sys.stderr.write("loopscope: can't open trace %r: %s\n" % (files[0], exc.strerror))
        return 2
    except TraceError as exc:
        sys.stderr.write("loopscope: %s: %s\n" % (files[0], exc))
        return 1
    if as_json:
        sys.stdout.write(json.dumps(rep, indent=1) + "\n")
    else:
        sys.stdout.write(render(rep))
    return 0
