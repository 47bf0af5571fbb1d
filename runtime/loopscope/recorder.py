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
        "tnew",
        "tnames",
        "tcoros",
        "tdone",
        "tresults",
        "iterations",
        "last_flush",
        "flush_wanted",
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
        # Tasks made on the loop's thread (5 ints: id, ts, site, parent, eager;
        # their names and coroutine names) and tasks that finished normally
        # (2 ints: id, ts; their results' reprs): flat, as the steps, so the
        # drain converts them in C rather than one tuple at a time.
        self.tnew = []
        self.tnames = []
        self.tcoros = []
        self.tdone = []
        self.tresults = []
        self.iterations = 0
        self.last_flush = now_ns()
        self.flush_wanted = False  # set by the drain thread (ask_flush)
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
        # id(code) -> {f_lasti: site id} for user code, or a marker for
        # asyncio's and Loopscope's own code (see hooks._user_site).
        self.code_sites = {}
        self.live_futs = {}  # future id -> weak reference (see register_future)
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
        st.last_flush = now_ns()
        st.flush_wanted = False
        steps = st.steps
        if not (steps or st.events or st.futs or st.fdone or st.tnew or st.tdone):
            return
        lists = (steps, st.futs, st.fdone, st.events, st.tnew, st.tnames, st.tcoros, st.tdone, st.tresults)
        if in_place:
            copies = tuple(lst[:] for lst in lists)
            for lst in lists:
                del lst[:]
            lists = copies
        else:
            st.steps, st.futs, st.fdone, st.events = [], [], [], []
            st.tnew, st.tnames, st.tcoros, st.tdone, st.tresults = [], [], [], [], []
        chunk = Chunk(st, *lists)
        n = chunk.count()
        if self.pending + n > self.MAX_PENDING and chunk.steps:
            dropped = len(chunk.steps) // 4
            self.dropped += dropped
            n -= dropped
            chunk.steps = []
        self.pending += n
        self.outbox.append(chunk)
        self.wake.set()

    def ask_flush(self):
        """Drain thread: ask each loop whose buffers are FLUSH_NS old to hand
        them over at the end of its current iteration (a loop about to sleep
        in select hands them over anyway). True if a loop was asked."""
        due = now_ns() - self.FLUSH_NS
        asked = False
        for st in list(self.loops.values()):
            # An idle loop flushed before it went to sleep: nothing to ask.
            if st.last_flush <= due and not st.closed and (st.steps or st.events or st.futs or st.fdone or st.tnew or st.tdone):
                st.flush_wanted = asked = True
        return asked

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

    def keep_code(self, code):
        self._site_codes.append(code)

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
        """Everything recorded so far, oldest first: a list of Chunk."""
        # Events from other threads first: they hold the creations (queues,
        # loops, tasks made before their loop ran) that loop chunks refer to.
        chunks = []
        others, self.other_events = self.other_events, []
        if others:
            chunks.append(Chunk(None, events=others))
        popleft = self.outbox.popleft
        while True:
            try:
                chunks.append(popleft())
            except IndexError:
                break
        for chunk in chunks:
            self.pending -= chunk.count()
        if self.pending < 0:
            self.pending = 0
        return chunks

    # Futures have no slot for an id: a future made by create_future (or met
    # later) gets an ``_ls_id`` attribute (the C Future has an instance dict),
    # read back in one lookup; no table keyed by id() that a freed future's
    # address could alias. ``live_futs`` (id -> weak reference) lets prune()
    # find the futures that complete with no task to wake; whoever pops an id
    # from it (a wakeup on the loop thread, or prune) reports that future done.

    def register_future(self, fut, fid):
        try:
            _setattr(fut, "_ls_id", fid)  # not type(fut).__setattr__: no user code
        except (AttributeError, TypeError):
            return  # a future class with __slots__: it keeps no id
        self.live_futs[fid] = weakref.ref(fut)

    @staticmethod
    def future_id(fut):
        """The id of a registered future, else None. Runs no user code: the
        attribute is read the way object.__getattribute__ does."""
        try:
            fid = _getattribute(fut, "_ls_id")
        except Exception:
            return None
        return fid if type(fid) is int else None

    def prune(self):
        """Report the futures that completed with no task woken by them (done
        callbacks only): (fut id, FUT_* state) each, and forget them and the
        freed ones. No future is kept: one the program dropped meanwhile must
        be freed (and its "exception was never retrieved" logged) on the
        program's thread."""
        done = []
        sent = self.sent_futs
        live = self.live_futs
        for fid, ref in list(live.items()):
            fut = ref()
            if fut is None:
                if live.pop(fid, None) is not None:
                    sent.discard(fid)
                continue
            if fid not in sent:
                continue  # its created event has not gone out yet
            try:
                state = fut._state
                code = FUT_CANCELLED if state == "CANCELLED" else FUT_FAILED if state == "FINISHED" and fut._exception is not None else FUT_DONE
            except Exception:
                state, code = "FINISHED", FUT_DONE
            fut = None
            # dict.pop is one step under the GIL: of this and a wakeup on the
            # loop thread, only one gets the id, and only that one reports it.
            if state != "PENDING" and live.pop(fid, None) is not None:
                sent.discard(fid)
                done.append((fid, code))
        return done


_getattribute = object.__getattribute__
_setattr = object.__setattr__


class Chunk:
    """What one loop handed over at one flush (or, loop None, what other
    threads recorded: ``events`` only)."""

    __slots__ = ("st", "steps", "futs", "fdone", "events", "tnew", "tnames", "tcoros", "tdone", "tresults")

    def __init__(self, st, steps=(), futs=(), fdone=(), events=(), tnew=(), tnames=(), tcoros=(), tdone=(), tresults=()):
        self.st = st
        self.steps = steps
        self.futs = futs
        self.fdone = fdone
        self.events = events
        self.tnew = tnew
        self.tnames = tnames
        self.tcoros = tcoros
        self.tdone = tdone
        self.tresults = tresults

    def count(self):
        return len(self.steps) // 4 + len(self.events) + len(self.futs) // 6 + len(self.fdone) // 3 + len(self.tnew) // 5 + len(self.tdone) // 2
