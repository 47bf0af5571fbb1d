"""The drain thread: turns recorded chunks into wire batches and samples the
loop's queues, off the loop thread.

Every ~50 ms (sooner when a loop is about to sleep) it takes what the loops have
handed over, converts the internal tuples to protocol events (reprs, names and
tracebacks are taken here, never on the loop thread), adds samples of ready
queues, timers, asyncio queues and primitives that changed, and sends one
``events/batch`` to the sink. A slow sink only delays this thread; the bounded
outbox in recorder.Session drops (and counts) step records instead of growing.
"""
import asyncio
import bisect
import heapq
import sys
import threading
import traceback

from . import _protocol as P
from . import gcguard, hooks
from . import recorder as R
from .packed import pack
from .safe_repr import safe_repr, safe_str

SAMPLE_NS = 100_000_000
MAX_LISTED = 200
MAX_QUEUE_ITEMS = 50
MAX_TB = 30


def frame_dicts(frames):
    """[(file, line, func)] -> Frame objects of the wire."""
    return [{"file": f, "line": int(l or 0), "func": fn} for f, l, fn in frames]


def callable_name(cb):
    for attr in ("__qualname__", "__name__"):
        name = getattr(cb, attr, None)
        if isinstance(name, str):
            return name
    func = getattr(cb, "func", None)  # functools.partial
    if func is not None and func is not cb:
        return "partial(%s)" % callable_name(func)
    return type(cb).__qualname__


def coro_name(task, coro=None):
    if coro is None:
        if task.done() and sys.version_info[:2] == (3, 12):
            # get_coro() of a finished eager task segfaults 3.12.1 (seen here);
            # a name we cannot read is no reason to crash the program.
            return "?"
        try:
            coro = task.get_coro()
        except Exception:
            coro = None
    if coro is None:
        return "?"
    name = getattr(coro, "__qualname__", None)
    return name if isinstance(name, str) else type(coro).__qualname__


def _task_names(ev):
    """(name, coroutine name) of a creation event: strings taken on the loop
    thread, or the task itself for tasks adopted from elsewhere."""
    name, coro = ev[4], ev[8]
    if type(name) is not str:
        task = ev[4]
        try:
            name = task.get_name() if task is not None else "Task-?"
        except Exception:
            name = "Task-?"
        name = safe_str(name)
    if type(coro) is not str:
        coro = coro_name(ev[4], coro) if ev[4] is not None else "?"
    return name, coro


def future_state(fut):
    state = fut._state
    if state == "CANCELLED":
        return "cancelled"
    if state == "FINISHED":
        return "failed" if fut._exception is not None else "done"
    return "pending"


def _exception_dict(summary):
    """(type, message, [(file, line, func)]) from hooks._done_event -> ExceptionInfo."""
    etype, message, frames = summary
    return {"type": etype, "message": message, "traceback": frame_dicts(frames)}


class Drainer:
    def __init__(self, session, sink):
        self.session = session
        self.sink = sink
        self.seq = 0
        self.stopping = False
        self.ticks = []  # called after each drain (the watchdog)
        self.thread = threading.Thread(target=self._run, name="loopscope-drain", daemon=True)
        self.send_lock = threading.Lock()
        self._last_sample = 0
        self._sent_dropped = 0
        self._signatures = {}
        # Ids whose */created event has been sent: only those are sampled, so a
        # sample never reaches the debugger before what it describes.
        self.announced = set()

    def start(self):
        self.thread.start()

    def stop(self):
        """Stop the thread (the caller drains what is left)."""
        self.stopping = True
        self.session.wake.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(2.0)

    def _run(self):
        s = self.session
        busy = False
        while not self.stopping:
            # While a loop is busy, look twice as often: its buffers are asked
            # for 0-25 ms after they are FLUSH_NS (50 ms) old.
            s.wake.wait(0.025 if busy else 0.05)
            s.wake.clear()
            busy = s.ask_flush()
            try:
                with gcguard.hold:  # the program's collections stay on its threads
                    self.drain_once()
                    for tick in self.ticks:
                        tick()
                gcguard.release_if_stale()
            except Exception:
                s.internal_error("drain: %s" % (sys.exc_info()[1],), traceback.format_exc())
                hooks.uninstall()
                return

    def drain_once(self, force_sample=False, lock_timeout=-1):
        # The final drain waits a bounded time for a drain thread stuck on a
        # sink that stopped reading; the program's exit never hangs on us.
        if not self.send_lock.acquire(timeout=lock_timeout):
            return
        try:
            self._drain_locked(force_sample)
        finally:
            self.send_lock.release()

    def _drain_locked(self, force_sample):
        s = self.session
        events = []
        for chunk in s.take():
            self._convert_chunk(chunk, events)
        pruned = s.prune()
        if pruned:
            ts = self._rel(R.now_ns())
            data = []
            for fid, code in pruned:
                data += (fid, ts, code)
            events.append({"kind": P.FUTURE_DONE_BATCH, "data": pack(data)})
        now = R.now_ns()
        if force_sample or now - self._last_sample >= SAMPLE_NS:
            self._last_sample = now
            self._sample(events, now)
        if events or s.dropped != self._sent_dropped:
            self._sent_dropped = s.dropped
            self.seq += 1
            self.sink.send({"kind": P.EVENTS_BATCH, "seq": self.seq, "events": events, "dropped": s.dropped})

    def _rel(self, ts):
        return ts - self.session.origin_ns

    # -- conversion ---------------------------------------------------------------

    def _convert_chunk(self, chunk, out):
        """Order within a chunk: code locations; the tasks and futures made in
        it (steps and events refer to them), packed; events and steps
        interleaved by time (a step goes before the first event that happened
        after it ended, so what a step made precedes the step); last, the
        tasks and futures that completed in it, packed."""
        st, steps, futs, fdone = chunk.st, chunk.steps, chunk.futs, chunk.fdone
        rest = []
        # The loop thread's flat lists, extended by the events that carry the
        # same (tasks made or finished off the loop's thread, adopted tasks).
        names, coros, created = list(chunk.tnames), list(chunk.tcoros), list(chunk.tnew)
        done_data, done_results = list(chunk.tdone), list(chunk.tresults)
        rel = self._rel
        for ev in chunk.events:
            code = ev[0]
            if code == R.E_SITE:
                out.append({"kind": P.SITE_DEF, "site": ev[1], "file": ev[2], "line": ev[3], "func": ev[4]})
            elif code == R.E_TASK_CREATED and st is not None:
                name, coro = _task_names(ev)
                names.append(name)
                coros.append(coro)
                created += (ev[1], rel(ev[3]), ev[5] or 0, ev[6] or 0, 1 if ev[7] else 0)
            elif code == R.E_TASK_DONE and ev[3] == "done":
                done_data += (ev[1], rel(ev[2]))
                done_results.append(ev[4])  # repr taken on the loop thread
            else:
                rest.append(ev)
        if created:
            out.append({"kind": P.TASK_CREATED_BATCH, "loop": st.id, "names": names, "coros": coros, "data": pack(created)})
        if futs:
            self.session.sent_futs.update(futs[0::6])  # prune() may report these done now
            out.append({"kind": P.FUTURE_CREATED_BATCH, "loop": st.id, "types": R.FUTURE_TYPES, "data": pack(futs)})
        n = len(steps) // 4
        ends = steps[2::4] if n else None
        j = 0
        for ev in rest:
            code = ev[0]
            if n:
                ts = rel(ev[3] if code in (R.E_TASK_CREATED, R.E_FUT_CREATED) else ev[2])
                k = bisect.bisect_right(ends, ts, j)
                if k > j:
                    out.append({"kind": P.TASK_STEPS, "loop": st.id, "data": pack(steps[j * 4 : k * 4])})
                    j = k
            converted = self._convert(ev)
            if code in (R.E_QUEUE_CREATED, R.E_SYNC_CREATED, R.E_LOOP_CREATED):
                self.announced.add(ev[1])
            out.append(converted)
        if n and j < n:
            out.append({"kind": P.TASK_STEPS, "loop": st.id, "data": pack(steps[j * 4 :])})
        if done_data:
            out.append({"kind": P.TASK_DONE_BATCH, "data": pack(done_data), "results": done_results})
        if fdone:
            self.session.sent_futs.difference_update(fdone[0::3])
            out.append({"kind": P.FUTURE_DONE_BATCH, "data": pack(fdone)})

    def _convert(self, ev):
        code = ev[0]
        rel = self._rel
        if code == R.E_SITE:
            return {"kind": P.SITE_DEF, "site": ev[1], "file": ev[2], "line": ev[3], "func": ev[4]}
        if code == R.E_TASK_CREATED:
            name, coro = _task_names(ev)
            return {
                "kind": P.TASK_CREATED,
                "task": ev[1],
                "loop": ev[2] if ev[2] is not None else 0,
                "ts": rel(ev[3]),
                "name": name,
                "coro": coro,
                "site": ev[5],
                "parent": ev[6],
                "eager": ev[7],
            }
        if code == R.E_TASK_DONE:
            state, payload = ev[3], ev[4]
            return {
                "kind": P.TASK_DONE,
                "task": ev[1],
                "ts": rel(ev[2]),
                "state": state,
                "result": payload if state == "done" else None,
                "exception": _exception_dict(payload) if state == "failed" else None,
                "cancel_message": safe_str(payload) if state == "cancelled" and payload is not None else None,
            }
        if code == R.E_RENAMED:
            return {"kind": P.TASK_RENAMED, "task": ev[1], "ts": rel(ev[2]), "name": safe_str(ev[3])}
        if code == R.E_CANCEL:
            return {
                "kind": P.TASK_CANCEL_REQUESTED,
                "task": ev[1],
                "ts": rel(ev[2]),
                "by_task": ev[3],
                "by_site": ev[4],
                "message": safe_str(ev[5]) if ev[5] is not None else None,
            }
        if code == R.E_FUT_CREATED:
            return self._future_created(ev)
        if code == R.E_FUT_DONE:
            self.session.sent_futs.discard(ev[1])
            return {"kind": P.FUTURE_DONE, "future": ev[1], "ts": rel(ev[2]), "state": future_state(ev[3])}
        if code == R.E_LOOP_CREATED:
            return {"kind": P.LOOP_CREATED, "loop": ev[1], "ts": rel(ev[2]), "thread": ev[3], "cls": ev[4]}
        if code == R.E_LOOP_CLOSED:
            return {"kind": P.LOOP_CLOSED, "loop": ev[1], "ts": rel(ev[2])}
        if code == R.E_QUEUE_CREATED:
            return {"kind": P.QUEUE_CREATED, "queue": ev[1], "ts": rel(ev[2]), "type": ev[3], "maxsize": ev[4], "site": ev[5]}
        if code == R.E_SYNC_CREATED:
            return {"kind": P.SYNC_CREATED, "prim": ev[1], "ts": rel(ev[2]), "type": ev[3], "site": ev[4]}
        if code == R.E_BLOCKED:
            return {
                "kind": P.LOOP_BLOCKED,
                "loop": ev[1],
                "ts": rel(ev[2]),
                "duration_ns": ev[3],
                "task": ev[4],
                "stack": frame_dicts(ev[5]),
            }
        if code == R.E_QUEUE_FINAL:
            items = ev[3]
            if ev[5] == "LifoQueue":
                items = list(reversed(items))
            elif ev[5] == "PriorityQueue":
                try:
                    items = sorted(items)
                except Exception:
                    pass
            return {
                "kind": P.QUEUE_SAMPLE,
                "queue": ev[1],
                "ts": rel(ev[2]),
                "size": len(ev[3]),
                "items": [safe_repr(i) for i in items[:MAX_QUEUE_ITEMS]],
                "getters": [],
                "putters": [],
                "puts": ev[4],
                "gets": max(0, ev[4] - len(ev[3])),
            }
        if code == R.E_SYNC_FINAL:
            return {"kind": P.SYNC_SAMPLE, "prim": ev[1], "ts": rel(ev[2]), "state": ev[3], "waiters": []}
        if code == R.E_ERROR:
            return {"kind": P.RUNTIME_ERROR, "ts": rel(ev[1]), "message": ev[2], "traceback": ev[3]}
        raise ValueError("unknown internal event %r" % (code,))

    def _future_created(self, ev):
        self.session.sent_futs.add(ev[1])
        return {
            "kind": P.FUTURE_CREATED,
            "future": ev[1],
            "loop": ev[2],
            "ts": self._rel(ev[3]),
            "type": ev[4],
            "site": ev[5],
            "owner": ev[6],
            "children": list(ev[7]),
            "due_ns": self._rel(ev[8]) if ev[8] is not None else None,
        }

    # -- samples ------------------------------------------------------------------

    def _sample(self, out, now):
        s = self.session
        ts = self._rel(now)
        announced = self.announced
        for st in list(s.loops.values()):
            loop = st.loop_ref()
            if loop is None or st.closed or st.id not in announced:
                continue
            self._sample_loop(st, loop, ts, out)
        for q in _copy(s.queues):
            self._sample_queue(q, ts, out)
        for p in _copy(s.prims):
            self._sample_prim(p, ts, out)

    def _changed(self, key, signature):
        if self._signatures.get(key) == signature:
            return False
        self._signatures[key] = signature
        return True

    def _sample_loop(self, st, loop, ts, out):
        ready = _copy(loop._ready)
        timers = _copy(getattr(loop, "_scheduled", ()))
        if not self._changed(("loop", st.id), (st.iterations, len(ready), len(timers))):
            return
        s = self.session
        ready_items = []
        for h in ready[:MAX_LISTED]:
            if h._cancelled:
                continue
            cb = h._callback
            owner = getattr(cb, "__self__", None)
            tid = task_id(owner, s) if type(owner) in hooks._task_types else None
            if tid:
                kind = "task-wakeup" if h._args else "task-step"
                ready_items.append({"kind": kind, "task": tid, "func": coro_name(owner)})
            else:
                ready_items.append({"kind": "callback", "task": None, "func": callable_name(cb)})
        timer_items = []
        origin = s.origin_ns
        for h in heapq.nsmallest(MAX_LISTED, (t for t in timers if not t._cancelled), key=_when):
            args = h._args or ()
            waiter = self._waiting_task(args[0]) if args else None
            timer_items.append(
                {
                    "due_ns": int(h._when * 1e9) - origin,
                    "func": callable_name(h._callback),
                    "task": waiter,
                    "cancelled": False,
                }
            )
        out.append(
            {
                "kind": P.LOOP_SAMPLE,
                "loop": st.id,
                "ts": ts,
                "iterations": st.iterations,
                "ready": ready_items,
                "timers": timer_items,
                "ready_total": len(ready),
                "timers_total": len(timers),
            }
        )

    def _waiting_task(self, fut):
        """The task a future will wake (its wakeup is among the callbacks)."""
        for item in _copy(getattr(fut, "_callbacks", None) or ()):
            cb = item[0] if isinstance(item, tuple) else item
            owner = getattr(cb, "__self__", None)
            if type(owner) in hooks._task_types:
                return task_id(owner, self.session) or None
        return None

    def _sample_queue(self, q, ts, out):
        qid = getattr(q, "_ls_id", None)
        if qid is None or qid not in self.announced:
            return
        items = _copy(getattr(q, "_queue", ()))
        getters = [self._waiting_task(f) or 0 for f in _copy(q._getters) if not f.done()]
        putters = [self._waiting_task(f) or 0 for f in _copy(q._putters) if not f.done()]
        puts = int(getattr(q, "_unfinished_tasks", 0)) + int(getattr(q, "_ls_done", 0))
        size = len(items)
        sig = (size, puts, tuple(getters), tuple(putters), id(items[0]) if items else 0)
        if not self._changed(("q", qid), sig):
            return
        if isinstance(q, asyncio.PriorityQueue):
            try:
                items = sorted(items)
            except Exception:  # items that do not compare: heap order
                pass
        elif isinstance(q, asyncio.LifoQueue):
            items = list(reversed(items))
        out.append(
            {
                "kind": P.QUEUE_SAMPLE,
                "queue": qid,
                "ts": ts,
                "size": size,
                "items": [safe_repr(i) for i in items[:MAX_QUEUE_ITEMS]],
                "getters": [g for g in getters if g],
                "putters": [p for p in putters if p],
                "puts": puts,
                "gets": max(0, puts - size),
            }
        )

    def _sample_prim(self, p, ts, out):
        pid = getattr(p, "_ls_id", None)
        if pid is None or pid not in self.announced:
            return
        waiters = [self._waiting_task(f) or 0 for f in _copy(getattr(p, "_waiters", None) or ()) if not f.done()]
        state = hooks.prim_state(p)
        holder = hooks.lock_holder(p) if state == "locked" else None
        if not self._changed(("p", pid), (state, tuple(waiters), holder)):
            return
        out.append(
            {"kind": P.SYNC_SAMPLE, "prim": pid, "ts": ts, "state": state, "waiters": [w for w in waiters if w], "holder": holder}
        )


def task_id(task, session):
    if type(task) is hooks.Task:
        return getattr(task, "_ls_id", 0)
    return session.foreign_task_ids.get(task, 0)


def _when(h):
    return h._when


def _copy(seq):
    """A list copy of a deque, list or WeakSet that another thread may be
    changing (iterating one that changes size raises RuntimeError)."""
    for _ in range(10):
        try:
            return list(seq)
        except RuntimeError:
            continue
    return []


def _all_tasks(loop):
    for _ in range(10):
        try:
            return list(asyncio.all_tasks(loop))
        except RuntimeError:
            continue
    return []
