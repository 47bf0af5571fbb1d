"""Blocked-loop detection, run on the drain thread every ~50 ms.

A loop that made no progress (no iteration, step, future or event) for
BLOCKED_NS while running and not idle in select() is held by one callback.
Where it is stuck is read from the loop thread's current frame. The loop
thread pays nothing for this: progress is read from the recording buffers
it fills anyway.
"""
import asyncio
import sys
import traceback

from . import drain
from . import recorder as R

BLOCKED_NS = 100_000_000
BLOCKED_REPEAT_NS = 500_000_000


class Watchdog:
    def __init__(self, session):
        self.session = session
        self.seen = {}  # loop id -> (progress signature, ns it was first seen)
        self.reported = {}  # loop id -> (start ns, last report ns, task, frames)
        self.failed = False

    def check(self):
        if self.failed:
            return
        s = self.session
        try:
            now = R.now_ns()
            for st in list(s.loops.values()):
                loop = st.loop_ref()
                if loop is None or st.closed:
                    continue
                sig = (st.iterations, id(st.steps), len(st.steps), len(st.events), len(st.futs))
                prev = self.seen.get(st.id)
                if prev is None or prev[0] != sig or st.paused or not loop.is_running():
                    self.seen[st.id] = (sig, now)
                    last = self.reported.pop(st.id, None)
                    if last is not None:  # the blocking callback has ended
                        s.other_event((R.E_BLOCKED, st.id, last[0], now - last[0], last[2], last[3]))
                    continue
                start = prev[1]
                if now - start < BLOCKED_NS:
                    continue
                last = self.reported.get(st.id)
                if last is not None and now - last[1] < BLOCKED_REPEAT_NS:
                    continue
                # Only the loop thread's frame, and not for longer than needed:
                # _current_frames() makes frame objects of every thread, and a
                # frame object kept past its function's return keeps that
                # function's locals (CPython's test_asyncio saw a finished
                # "waitpid" Thread outlive its thread: env changed).
                top = sys._current_frames().get(st.thread_ident)
                if top is None or _idle(top):
                    top = None
                    self.seen[st.id] = (sig, now)
                    continue
                task = asyncio.current_task(loop)
                task_id = drain.task_id(task, s) if task is not None else None
                task = None
                stack = _frames_of(top)
                top = None
                self.reported[st.id] = (start, now, task_id or None, stack)
                s.other_event((R.E_BLOCKED, st.id, start, now - start, task_id or None, stack))
        except Exception:
            self.failed = True
            s.internal_error("watchdog: %s" % (sys.exc_info()[1],), traceback.format_exc())

    def close(self):
        """The program is ending: close the episodes still open."""
        now = R.now_ns()
        for loop_id, last in self.reported.items():
            self.session.other_event((R.E_BLOCKED, loop_id, last[0], now - last[0], last[2], last[3]))
        self.reported.clear()


def _idle(frame):
    """Is the loop thread waiting in select() (idle), not running a callback?"""
    code = frame.f_code
    return code.co_name in ("select", "_poll", "poll") and "selectors" in code.co_filename or code.co_filename.endswith(
        ("windows_events.py", "proactor_events.py")
    ) and code.co_name == "select"


def _frames_of(frame, limit=30):
    """Innermost first: [(file, line, func)]."""
    out = []
    while frame is not None and len(out) < limit:
        out.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return out


