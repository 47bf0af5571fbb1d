"""Blocked-loop detection: callbacks that hold the loop for the slow-callback
threshold or longer (``--slow-callback-ms``, default 100 ms) are reported as
``loop/blocked``. Two ways, both on the drain thread:

- while it happens (``check``, every ~50 ms): a loop that made no progress (no
  iteration, step, future or event) for the threshold while running and not
  idle in select() is held by one callback; where it is stuck is read from the
  loop thread's current frame. Any callback, reported up to one check late.
- once it is over (``inspect``, on every chunk the drain takes): a task step
  whose recorded start and end are the threshold or more apart, with its
  exact span, unless the first way reported it already or the debugger held
  the loop during it (a breakpoint inside the step). No stack: the step is over.

The loop thread pays nothing for this: progress and step times are read from
the recording buffers it fills anyway.
"""
import asyncio
import collections
import operator
import sys
import threading
import traceback

from . import drain
from . import recorder as R

DEFAULT_SLOW_CALLBACK_MS = 100
# Bounds of the threshold: below ~1 ms a step's own bookkeeping would count;
# above a minute nothing is ever reported. The extension's setting is within these.
MIN_SLOW_CALLBACK_MS = 1
MAX_SLOW_CALLBACK_MS = 3_600_000
BLOCKED_REPEAT_NS = 500_000_000
# Episodes and debugger pauses remembered per loop, to tell the two ways apart.
_REMEMBER = 32


def threshold_ms(value):
    """A slow-callback threshold in ms from the command line, listen() or the
    debugger: a number within the bounds, else ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a number of milliseconds: %r" % (value,))
    try:
        ms = float(value)
    except (TypeError, ValueError):
        raise ValueError("not a number of milliseconds: %r" % (value,))
    if not (MIN_SLOW_CALLBACK_MS <= ms <= MAX_SLOW_CALLBACK_MS):
        raise ValueError("the slow-callback threshold must be %d to %d ms, not %r" % (MIN_SLOW_CALLBACK_MS, MAX_SLOW_CALLBACK_MS, value))
    return ms


class Watchdog:
    def __init__(self, session, slow_callback_ms=None):
        self.session = session
        self.threshold_ns = 0
        self.set_threshold(DEFAULT_SLOW_CALLBACK_MS if slow_callback_ms is None else slow_callback_ms)
        self.seen = {}  # loop id -> (progress signature, ns it was first seen)
        self.reported = {}  # loop id -> (start ns, last report ns, task, frames)
        self.lock = threading.Lock()  # guards the two below: the loop thread adds pauses
        self.episodes = {}  # loop id -> deque of (start ns, end ns) reported while they happened
        self.pauses = {}  # loop id -> deque of (start ns, end ns or None) the debugger held the loop
        self.failed = False

    def set_threshold(self, ms):
        """The slow-callback threshold, in ms (ValueError when out of bounds)."""
        self.threshold_ns = int(threshold_ms(ms) * 1_000_000)

    @property
    def threshold(self):
        return self.threshold_ns / 1_000_000

    # -- the debugger parks the loop (loop/paused ... loop/resumed) -------------------

    def loop_paused(self, loop_id):
        with self.lock:
            self.pauses.setdefault(loop_id, collections.deque(maxlen=_REMEMBER)).append([R.now_ns(), None])

    def loop_resumed(self, loop_id):
        with self.lock:
            d = self.pauses.get(loop_id)
            if d and d[-1][1] is None:
                d[-1][1] = R.now_ns()

    def _episode_ended(self, loop_id, start, end):
        with self.lock:
            self.episodes.setdefault(loop_id, collections.deque(maxlen=_REMEMBER)).append((start, end))

    def _overlaps(self, table, loop_id, a, b):
        """Does [a, b] meet a span in table[loop_id] (an open span reaches now)?"""
        with self.lock:
            spans = list(table.get(loop_id, ()))
        for start, end in spans:
            if a <= (end if end is not None else b) and b >= start:
                return True
        return False

    # -- once it is over: slow task steps in what the drain takes ---------------------

    def inspect(self, chunks):
        """Adds a chunk of loop/blocked events for the task steps in `chunks`
        that held their loop for the threshold or longer. Returns `chunks`."""
        if self.failed:
            return chunks
        found = []
        try:
            th = self.threshold_ns
            origin = self.session.origin_ns
            for chunk in chunks:
                st, steps = chunk.st, chunk.steps
                if st is None or len(steps) < 4:
                    continue
                # 4 ints a step: task, start, end, awaited; the steps follow one
                # another in time. A chunk shorter than the threshold (most: the
                # loop hands its buffers over every 50 ms) holds no slow step;
                # else the longest step first, in C.
                if steps[-2] - steps[1] < th or max(map(operator.sub, steps[2::4], steps[1::4])) < th:
                    continue
                for i in range(0, len(steps) - 3, 4):
                    start, end = steps[i + 1] + origin, steps[i + 2] + origin
                    if end - start < th:
                        continue
                    open_ep = self.reported.get(st.id)
                    if open_ep is not None and open_ep[0] <= end:
                        continue  # being reported by check() right now
                    if self._overlaps(self.episodes, st.id, start, end) or self._overlaps(self.pauses, st.id, start, end):
                        continue
                    found.append((R.E_BLOCKED, st.id, start, end - start, steps[i] or None, []))
        except Exception:
            self.failed = True
            self.session.internal_error("watchdog: %s" % (sys.exc_info()[1],), traceback.format_exc())
        if found:
            chunks.append(R.Chunk(None, events=found))
        return chunks

    # -- while it happens: loops that make no progress ---------------------------------

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
                        self._episode_ended(st.id, last[0], now)
                        s.other_event((R.E_BLOCKED, st.id, last[0], now - last[0], last[2], last[3]))
                    continue
                start = prev[1]
                if now - start < self.threshold_ns:
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
        for loop_id, last in list(self.reported.items()):
            self._episode_ended(loop_id, last[0], now)
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


