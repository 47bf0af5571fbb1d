"""What the tracer records, and where it keeps it until the drain thread sends it.

The loop thread only appends: task steps as 4 ints into a flat list (no tuples,
nothing for the GC to track) and rarer events as small tuples into a list.
Both live on the loop's ``LoopState`` and are handed to the drain thread as one
chunk at an iteration boundary, so a chunk is always internally ordered.
Everything costly (reprs, names, tracebacks, JSON) happens on the drain thread.
"""
import collections
import itertools
import os
import queue
import sys
import threading
import time
import weakref

# Event codes of the internal tuples (first element). The drain turns each into
# the wire event named beside it (see drain.py).
E_SITE = 1  # site/def         (E, site, file, line, func)
E_LOOP_CREATED = 2  # loop/created (E, loop, ts, thread, cls)
E_LOOP_CLOSED = 3  # loop/closed   (E, loop, ts)
E_TASK_CREATED = 4  # task/created (E, task, loop, ts, name|task_obj|None, site, parent, eager, coro name|coro|None)
E_TASK_DONE = 5  # task/done       (E, task, ts, state, result|exception|cancel message)
E_CANCEL = 6  # task/cancel-requested (E, task, ts, by_task, by_site, message)
E_FUT_CREATED = 7  # future/created (E, fut, loop, ts, kind, site, owner, children, due_ns)
E_FUT_DONE = 8  # future/done      (E, fut, ts, fut_obj)
E_QUEUE_CREATED = 9  # queue/created (E, queue, ts, type, maxsize, site)
E_SYNC_CREATED = 10  # sync/created (E, prim, ts, type, site)
E_BLOCKED = 11  # loop/blocked     (E, loop, ts, duration_ns, task, frames)
E_ERROR = 12  # runtime/error      (E, ts, message, traceback)
# Future types, by index in future/created-batch (see hooks._CREATORS).
FUTURE_TYPES = [
    "future",
    "sleep",
    "queue-get",
    "queue-put",
    "lock",
    "event",
    "semaphore",
    "condition",
    "wait",
    "wait_for",
    "shield",
    "executor",
    "taskgroup",
    "stream-read",
    "gather",
]
TYPE_INDEX = {name: i for i, name in enumerate(FUTURE_TYPES)}
FUT_DONE, FUT_CANCELLED, FUT_FAILED = 0, 1, 2
FUT_STATE_NAMES = ("done", "cancelled", "failed")

E_RENAMED = 15  # task/renamed   (E, task, ts, name)
E_SYNC_FINAL = 14  # sync/sample of a primitive being freed (E, prim, ts, state)
E_QUEUE_FINAL = 13  # queue/sample of a queue being freed (E, queue, ts, items, puts, type)

now_ns = time.monotonic_ns


class FutRef(weakref.ref):
    """A weak reference to a future, carrying its wire id and table key."""

    __slots__ = ("key", "fid")


class LoopState:
    """Per-loop recording state, stored on the loop as ``loop._ls``."""

    __slots__ = (
        "id",
        "loop_ref",
        "thread_ident",
        "thread_name",
        "steps",
        "futs",
        "fdone",
        "events",
        "iterations",
        "last_flush",
        "closed",
        "paused",
        "__weakref__",
    )

    def __init__(self, loop_id, loop):
        self.id = loop_id
        self.loop_ref = weakref.ref(loop)
        self.thread_ident = None
        self.thread_name = ""
        # Flat lists of ints (no tuples: nothing for the GC to track).
        self.steps = []  # 4 a step: task, start, end, awaited id
        self.futs = []  # 6 a future: id, ts, type, site, owner, due
        self.fdone = []  # 3 a completion: id, ts, state
        self.events = []
        self.iterations = 0
        self.last_flush = now_ns()
        self.closed = False
        self.paused = False


class Wake:
    """threading.Event's set/wait/clear for waking the drain thread, with no
    Python-level lock in set(). The GC runs finalizers at any allocation, also
    inside Event.set() or Event.wait() while they hold the Event's lock, and
    finalizers reach set() (an unclosed loop's __del__ closes it: our close hook
    flushes): with threading.Event that thread waited for its own lock forever.
    SimpleQueue.put() is reentrant by design (safe from __del__)."""

    def __init__(self):
        self._q = queue.SimpleQueue()

    def set(self):
        self._q.put(None)

    def wait(self, timeout=None):
        try:
            self._q.get(timeout=timeout)
        except queue.Empty:
            return False
        self._q.put(None)  # stays set until clear(), as an Event
        return True

    def clear(self):
        get = self._q.get_nowait
        try:
            while True:
                get()
        except queue.Empty:
            pass

    def is_set(self):
        return not self._q.empty()


class Session:
    """Everything one traced process has recorded and not yet sent."""

    FLUSH_NS = 50_000_000
    # Bound on events waiting for the drain thread; past it, step records are
    # dropped (and counted) while the rarer structural events are kept.
    MAX_PENDING = 2_000_000
    MAX_OTHER_EVENTS = 200_000

    def __init__(self, origin_ns=None):
        try:
            self.MAX_PENDING = max(100, int(os.environ.get("LOOPSCOPE_BUFFER_EVENTS", self.MAX_PENDING)))
        except ValueError:
            pass
        self.origin_ns = now_ns() if origin_ns is None else origin_ns
        self.next_id = itertools.count(1).__next__
        self.loops = {}  # loop id -> LoopState
        self.outbox = collections.deque()  # (LoopState|None, steps, futs, fdone, events)
        self.pending = 0
        self.dropped = 0
        self.other_events = []  # events from threads that run no traced loop
        self.sites = {}  # (id(code), line) -> site id
        self._site_codes = []
        self.lasti_sites = {}  # (id(code), f_lasti) -> site id, for hot call sites
        # Futures and non-Loopscope tasks have no slot for an id. Both tables
        # are weak: tracing must never keep a future (or, through its
        # callbacks, the task waiting on it) alive, or "Task was destroyed but
        # it is pending!" would never come. fut_ids: id(future) -> FutRef.
        self.fut_ids = {}
        self.fut_gone = self._fut_gone
        # Ids of futures whose created event the drain has converted and that
        # are not reported done yet: prune() reports only those, so a done
        # event never goes out before its future's created event (which may
        # still sit in the loop's unflushed buffer).
        self.sent_futs = set()
        self.foreign_task_ids = weakref.WeakKeyDictionary()
        self.queues = weakref.WeakSet()
        self.prims = weakref.WeakSet()
        self.lock = threading.Lock()
        self.wake = Wake()
        self.enabled = True
        self.error_reported = False

    # -- called on loop threads -------------------------------------------------

    def flush(self, st, in_place=False):
        """Hand the loop's buffers to the drain thread (loop thread only).
        ``in_place``: copy and empty the lists instead of swapping in new
        ones, for a flush from inside a task step (a debugger stop): the
        traced _run_once holds the step lists in locals until the step ends."""
        steps, futs, fdone, events = st.steps, st.futs, st.fdone, st.events
        st.last_flush = now_ns()
        if not steps and not events and not futs and not fdone:
            return
        if in_place:
            steps, futs, fdone, events = steps[:], futs[:], fdone[:], events[:]
            del st.steps[:], st.futs[:], st.fdone[:], st.events[:]
        else:
            st.steps = []
            st.futs = []
            st.fdone = []
            st.events = []
        n = len(steps) // 4 + len(events) + len(futs) // 6 + len(fdone) // 3
        if self.pending + n > self.MAX_PENDING and steps:
            self.dropped += len(steps) // 4
            n -= len(steps) // 4
            steps = []
        self.pending += n
        self.outbox.append((st, steps, futs, fdone, events))
        self.wake.set()

    def site_for(self, code, line, events):
        # Keyed by id(code): hashing a code object hashes its bytecode. The code
        # object is kept in _site_codes so its id is never reused.
        key = (id(code), line)
        site = self.sites.get(key)
        if site is None:
            site = self.next_id()
            self.sites[key] = site
            self._site_codes.append(code)
            events.append((E_SITE, site, code.co_filename, line, code.co_name))
        return site

    def other_event(self, ev):
        """An event from a thread with no traced loop (or the watchdog)."""
        if len(self.other_events) >= self.MAX_OTHER_EVENTS:
            self.dropped += 1
            return
        self.other_events.append(ev)
        self.wake.set()

    def internal_error(self, message, tb_text):
        """Report once; the caller stops tracing."""
        if self.error_reported:
            return
        self.error_reported = True
        self.other_event((E_ERROR, now_ns(), message, tb_text))
        try:
            sys.stderr.write("loopscope: internal error, tracing stopped: %s\n" % message)
        except Exception:
            pass

    # -- called on the drain thread ------------------------------------------------

    def take(self):
        """Everything recorded so far, oldest first:
        list of (LoopState|None, steps, futs, fdone, events)."""
        # Events from other threads first: they hold the creations (queues,
        # loops, tasks made before their loop ran) that loop chunks refer to.
        chunks = []
        others, self.other_events = self.other_events, []
        if others:
            chunks.append((None, [], [], [], others))
        popleft = self.outbox.popleft
        while True:
            try:
                chunks.append(popleft())
            except IndexError:
                break
        for _st, steps, futs, fdone, events in chunks:
            self.pending -= len(steps) // 4 + len(events) + len(futs) // 6 + len(fdone) // 3
        if self.pending < 0:
            self.pending = 0
        return chunks

    def _fut_gone(self, ref):
        # The future is being freed: forget it before its id can be reused.
        # Any thread may free it, while another pops the key (see prune).
        self.sent_futs.discard(ref.fid)
        cur = self.fut_ids.pop(ref.key, None)
        if cur is not None and cur is not ref:
            self.fut_ids[ref.key] = cur  # a new future has the id already: keep its entry

    def register_future(self, fut, fid):
        ref = FutRef(fut, self.fut_gone)
        ref.key = id(fut)
        ref.fid = fid
        self.fut_ids[ref.key] = ref

    def future_id(self, fut):
        ref = self.fut_ids.get(id(fut))
        return ref.fid if ref is not None and ref() is fut else None

    def prune(self):
        """Report the futures that completed with no task woken by them (done
        callbacks only): (fut id, FUT_* state) each, and forget them. No
        future is kept: one the program dropped meanwhile must be freed (and
        its "exception was never retrieved" logged) on the program's thread."""
        done = []
        sent = self.sent_futs
        for ref in list(self.fut_ids.values()):
            if ref.fid not in sent:
                continue  # its created event has not gone out yet
            fut = ref()
            if fut is None:
                continue
            try:
                state = fut._state
                code = FUT_CANCELLED if state == "CANCELLED" else FUT_FAILED if state == "FINISHED" and fut._exception is not None else FUT_DONE
            except Exception:
                state, code = "FINISHED", FUT_DONE
            fut = None
            if state != "PENDING":
                # dict.pop is one step under the GIL; a get-then-del was not:
                # the loop thread's wakeup could pop the key in between
                # (KeyError: an internal error that stopped tracing), and
                # both threads then reported the future done.
                cur = self.fut_ids.pop(ref.key, None)
                if cur is None:
                    continue  # a task woke on it: the loop thread reports it
                if cur is not ref:
                    self.fut_ids[ref.key] = cur  # registered again since: keep that
                    continue
                sent.discard(ref.fid)
                done.append((ref.fid, code))
        return done
