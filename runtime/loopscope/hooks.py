"""The hooks: how Loopscope sees every task step, future, queue and primitive.

Measured facts behind the choices are in shared/notes/runtime-findings.md:

* ``BaseEventLoop._run_once`` is replaced (class-wide, so loops created before
  ``install()`` are adopted too) by a faithful copy that records each task step
  inline. A wrapper around ``Handle._run`` would add a Python frame per step;
  inlining costs a few attribute reads and four ``list.append`` calls.
* ``create_task`` is replaced so tasks are a C-Task subclass with one slot for
  our id and an overridden ``cancel()`` (the only way to learn who cancelled a
  task). A user's task factory still runs, unchanged: its tasks are adopted.
* ``create_future`` is replaced so futures are seen when the loop makes them;
  the caller's code object says what the future is for (a queue getter, a
  lock waiter, a sleep...). Futures made otherwise are classified when a task
  is first seen waiting on one.
* Queues and primitives register themselves in ``__init__``; queue counts are
  derived (puts = unfinished + task_done calls) so put/get stay unhooked.
"""
import asyncio
import heapq
import os
import sys
import threading
import traceback
import types
import weakref
from asyncio import base_events, events, format_helpers, futures, locks, queues, tasks

from . import gcguard
from . import recorder as R
from .safe_repr import exception_message, plain_repr, plain_str

PY = sys.version_info[:2]
_CTask = asyncio.Task
_now_ns = R.now_ns
_weakref = weakref.ref
_Coroutine = types.CoroutineType
_Handle = events.Handle
_handle_run = events.Handle._run
_Future = futures.Future
_task_types = {_CTask}
if hasattr(tasks, "_PyTask"):
    _task_types.add(tasks._PyTask)
_current_task = tasks.current_task

_ASYNCIO_DIR = asyncio.__file__.rsplit("/", 1)[0].rsplit("\\", 1)[0]
_OWN_DIR = __file__.rsplit("/", 1)[0].rsplit("\\", 1)[0]

# Set by install(); read by every hook.
session = None
_originals = {}
# Read per callback by the traced _run_once: a module global is the cheapest
# flag there is. Set by control.py.
pause_requested = False
_park = None  # control.park(loop, st, reason), set by control.py
# The debugger's loop-event hooks (task created / cancelled / done), set by
# debugger.py only while a debugger wants them: None costs one global read.
debug_hooks = None
# Set by gcguard when the drain thread kept automatic collection off past the
# threshold: the next loop iteration turns it back on, so the collection (and
# the program's finalizers) run on the loop thread.
gc_release_requested = False


class Task(_CTask):
    """A C Task with a slot for Loopscope's id and a cancel() that records who
    cancelled it. Named ``Task`` so reprs and tracebacks read as without us."""

    __slots__ = ("_ls_id",)

    def set_name(self, value):
        _CTask.set_name(self, value)
        if session is not None and session.enabled:
            try:
                st = _state_of(self._loop)
                _events_for(st).append((R.E_RENAMED, self._ls_id, R.now_ns(), self.get_name()))
            except Exception:
                _fail("set_name hook")

    def cancel(self, *args, **kwargs):
        if session is not None and session.enabled and self._state == "PENDING":
            try:
                _record_cancel(self, args, kwargs)
            except Exception:
                _fail("cancel hook")
            if debug_hooks is not None:
                debug_hooks.task_cancelling(self, args, kwargs)
        return _CTask.cancel(self, *args, **kwargs)


Task.__qualname__ = "Task"
Task.__module__ = _CTask.__module__
_task_types.add(Task)
_task_bases = tuple(_task_types)  # what a task factory's result must be an instance of to be adopted


def _record_cancel(task, args, kwargs):
    loop = task._loop
    st = _state_of(loop)
    by = _current_task(loop)
    by_id = _id_of(by, st) if by is not None else None
    frame = _user_frame(_caller(2))
    by_site = session.site_for(frame.f_code, frame.f_lineno, _events_for(st)) if frame is not None else None
    msg = args[0] if args else kwargs.get("msg")
    if msg is not None:
        msg = plain_str(msg)  # now: the drain must not hold it, nor call its __str__
    _events_for(st).append((R.E_CANCEL, _id_of(task, st), R.now_ns(), by_id, by_site, msg))


def _events_for(st):
    """The event list to append to from the current thread: the loop's own when
    on its thread (keeps order with its steps), the session's otherwise."""
    if st is not None and st.thread_ident == threading.get_ident():
        return st.events
    return _OtherEvents


class _OtherEventsType:
    def append(self, ev):
        session.other_event(ev)


_OtherEvents = _OtherEventsType()


def _fail(where):
    """An internal error: report it once and stop tracing; the program goes on."""
    s = session
    if s is None:
        return
    s.internal_error("%s: %s" % (where, sys.exc_info()[1]), traceback.format_exc())
    uninstall()


def _caller(depth):
    """sys._getframe(depth) as seen from the function calling this, or None
    when there is no such Python frame (a hook called straight from C, as an
    embedding host does)."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


def _user_frame(frame):
    """The nearest frame outside asyncio (where the user's code is). Meeting one
    of Loopscope's frames means the walk left the task for the loop that runs
    it: there is no user frame then."""
    while frame is not None:
        fn = frame.f_code.co_filename
        if fn.startswith(_OWN_DIR):
            return None
        if not fn.startswith(_ASYNCIO_DIR):
            return frame
        frame = frame.f_back
    return None


# -- loops --------------------------------------------------------------------------


def _state_of(loop):
    st = getattr(loop, "_ls", None)
    if st is None:
        st = _adopt_loop(loop)
    return st


def _adopt_loop(loop):
    st = R.LoopState(session.next_id(), loop)
    try:
        loop._ls = st
    except Exception:  # a loop class with __slots__: trace it all the same
        pass
    session.loops[st.id] = st
    session.other_event((R.E_LOOP_CREATED, st.id, R.now_ns(), "", type(loop).__qualname__))
    return st


def _loop_init(self, *args, **kwargs):
    _originals["__init__"](self, *args, **kwargs)
    if session is not None and session.enabled:
        try:
            _state_of(self)
        except Exception:
            _fail("loop init hook")


def _loop_close(self):
    st = getattr(self, "_ls", None)
    _originals["close"](self)
    if st is not None and not st.closed and session is not None:
        st.closed = True
        st.events.append((R.E_LOOP_CLOSED, st.id, R.now_ns()))
        session.flush(st)


def _run_once(self):
    """One loop iteration, as BaseEventLoop._run_once (3.8-3.13 are the same),
    recording each task step. Keep in step with CPython's."""
    s = session
    try:
        st = self._ls
    except AttributeError:  # a loop made before install(), or one with __slots__
        st = _state_of(self)
    if st.thread_ident is None:
        st.thread_ident = threading.get_ident()
        st.thread_name = threading.current_thread().name
    if pause_requested:
        _park(self, st, "pause")
    if gc_release_requested:
        gcguard.release_on_loop_thread()

    sched_count = len(self._scheduled)
    if (
        sched_count > base_events._MIN_SCHEDULED_TIMER_HANDLES
        and self._timer_cancelled_count / sched_count > base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION
    ):
        new_scheduled = []
        for handle in self._scheduled:
            if handle._cancelled:
                handle._scheduled = False
            else:
                new_scheduled.append(handle)
        heapq.heapify(new_scheduled)
        self._scheduled = new_scheduled
        self._timer_cancelled_count = 0
    else:
        while self._scheduled and self._scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            handle = heapq.heappop(self._scheduled)
            handle._scheduled = False

    timeout = None
    if self._ready or self._stopping:
        timeout = 0
    elif self._scheduled:
        timeout = self._scheduled[0]._when - self.time()
        if timeout > base_events.MAXIMUM_SELECT_TIMEOUT:
            timeout = base_events.MAXIMUM_SELECT_TIMEOUT
        elif timeout < 0:
            timeout = 0

    if timeout != 0 and (st.steps or st.events or st.futs or st.fdone or st.tnew or st.tdone):
        # About to sleep in select: send what we have now, not after the sleep.
        s.flush(st)
    event_list = self._selector.select(timeout)
    self._process_events(event_list)
    event_list = None

    end_time = self.time() + self._clock_resolution
    while self._scheduled:
        handle = self._scheduled[0]
        if handle._when >= end_time:
            break
        handle = heapq.heappop(self._scheduled)
        handle._scheduled = False
        self._ready.append(handle)

    st.iterations += 1
    ready = self._ready
    popleft = ready.popleft
    debug = self._debug
    # Task steps are run here rather than through Handle._run (one Python
    # frame less a step, and no star-args packing), unless something replaced
    # Handle._run (a tool timing callbacks) or the loop is in debug mode.
    inline = not debug and _Handle._run is _handle_run
    live = s.live_futs
    origin = s.origin_ns
    # Plain lists, appended in the `lst.append(x)` form: CPython specialises
    # that call; array('q').append parses its argument like PyArg_Parse.
    steps = st.steps
    fdone = st.fdone
    # Times relative to the session's origin, as sent. One clock read a step
    # where steps follow each other: a step starts where the step before it
    # ended (the few hundred ns of this loop's bookkeeping between them count
    # in the step that follows). r0 == 0: no step just ended (the iteration's
    # first handle, or a plain callback ran since).
    r0 = 0
    for _ in range(len(ready)):
        if pause_requested:
            _park(self, st, "pause")
            steps = st.steps  # parking flushed the buffers
            fdone = st.fdone
            r0 = 0  # the pause is no step's time
        handle = popleft()
        if handle._cancelled:
            continue
        owner = getattr(handle._callback, "__self__", None)
        if type(owner) is Task:
            tid = owner._ls_id
        elif type(owner) in _task_types and session is s:
            tid = _foreign_task_id(owner, st)
        else:
            if debug:
                _run_debug(self, handle)
            else:
                handle._run()
            r0 = 0
            continue
        # If an internal error stops tracing during this iteration, the rest of
        # it still records into this session's lists (which no one reads any
        # more); only the rare paths below that need the session check it.
        if not r0:
            r0 = _now_ns() - origin
        args = handle._args
        if args:
            # A wakeup: the future it carries has just completed. Of this and
            # the drain's prune(), whoever pops its id reports it.
            fut = args[0]
            fid = getattr(fut, "_ls_id", 0) if type(fut) is _Future else R.Session.future_id(fut)
            if fid and live.pop(fid, None) is not None:
                fdone.append(fid)
                fdone.append(r0)
                fdone.append(
                    R.FUT_CANCELLED if fut._state == "CANCELLED" else R.FUT_FAILED if fut._exception is not None else R.FUT_DONE
                )
            fut = None  # no local may outlive its handle (see below)
        if inline and type(handle) is _Handle:
            # Handle._run, minus its frame: the C task step lets nothing but
            # SystemExit and KeyboardInterrupt out, which it re-raises too.
            try:
                if args:
                    handle._context.run(handle._callback, *args)
                else:
                    handle._context.run(handle._callback)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                _callback_failed(handle, exc)
                exc = None
        elif debug:
            _run_debug(self, handle)
        else:
            handle._run()
        r1 = _now_ns() - origin
        waiter = owner._fut_waiter
        if waiter is None:
            wid = 0
            if owner._state != "PENDING":
                _task_done(self, st, tid, r1, origin, owner)
        elif type(waiter) is _Future:
            wid = getattr(waiter, "_ls_id", 0)
            if not wid and session is s:
                wid = _classify_waiter(waiter, owner, st, r1 + origin)
        elif type(waiter) is Task:
            wid = waiter._ls_id
        else:
            wid = R.Session.future_id(waiter)
            if not wid and session is s:
                wid = _classify_waiter(waiter, owner, st, r1 + origin)
        # Not kept while the next handles run: asyncio's _run_once holds nothing
        # but the running handle, and a task dropped by one of them must be
        # freed by its gc.collect() (a pending task is only reachable from the
        # future it waits on: holding that future here kept it alive).
        waiter = None
        steps.append(tid)
        steps.append(r0)
        steps.append(r1)
        steps.append(wid)
        r0 = r1
    # As asyncio's own _run_once clears `handle`: a failed task's traceback
    # reaches this frame (f_back), so a local still holding the task would keep
    # it alive past its last reference ("exception was never retrieved" late).
    handle = owner = waiter = args = fut = None
    # The drain thread asks for the buffers when they are FLUSH_NS old: a flag
    # here costs less than reading the clock every iteration.
    if st.flush_wanted and session is s:
        s.flush(st)


def _callback_failed(handle, exc):
    """Handle._run's report of a callback that raised, word for word."""
    if PY >= (3, 13):
        cb = format_helpers._format_callback_source(handle._callback, handle._args, debug=handle._loop.get_debug())
    else:
        cb = format_helpers._format_callback_source(handle._callback, handle._args)
    context = {"message": f"Exception in callback {cb}", "exception": exc, "handle": handle}
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    handle._loop.call_exception_handler(context)


def _task_done(loop, st, tid, ts, origin, task):
    """A task finished in the step that just ended at ts (relative ns)."""
    if task._state == "FINISHED" and task._exception is None:
        # The common case, flat (see LoopState.tdone). The result's repr is
        # taken now: holding the result until the drain runs would keep it
        # alive after the program dropped it.
        result = task._result
        st.tdone.append(tid)
        st.tdone.append(ts)
        st.tresults.append("None" if result is None else plain_repr(result))
    else:
        st.events.append(_done_event(tid, ts + origin, task))
    if debug_hooks is not None:
        debug_hooks.task_done(loop, st, task)


def _run_debug(self, handle):
    try:
        self._current_handle = handle
        t0 = self.time()
        handle._run()
        dt = self.time() - t0
        if dt >= self.slow_callback_duration:
            base_events.logger.warning("Executing %s took %.3f seconds", base_events._format_handle(handle), dt)
    finally:
        self._current_handle = None
        # A failed task's traceback reaches this frame (f_back) once it has
        # returned: `handle` (and through it the task) must not be left in it,
        # or the task lives on in a cycle and "exception was never retrieved"
        # waits for the GC (3.12+ in debug mode). asyncio's _run_once runs the
        # handle in its own frame and clears `handle` for the same reason.
        handle = None


# -- tasks --------------------------------------------------------------------------


def _create_task(self, coro, **kwargs):
    s = session
    if s is None or not s.enabled or self._task_factory is not None:
        task = _originals["create_task"](self, coro, **kwargs)
        # A factory may return any object (CPython's own tests return a wrapper
        # with no _state): only real tasks are adopted here; a Task made inside
        # such a wrapper is adopted at its first step.
        if s is not None and s.enabled and type(task) is not Task and isinstance(task, _task_bases):
            try:
                _foreign_task_id(task, _state_of(self), created=True, coro=coro)
            except Exception:
                _fail("task factory hook")
        if debug_hooks is not None:
            debug_hooks.task_created(self, task)
        return task
    self._check_closed()
    try:
        st = getattr(self, "_ls", None) or _state_of(self)
        # On the loop's thread (the loop is running): into its flat lists, in
        # order with its steps; else (made before the loop runs, or from
        # another thread) as an event of the session's.
        on_loop = events._get_running_loop() is self
        try:
            frame = sys._getframe(1)
        except ValueError:  # called straight from C, as an embedding host does
            frame = None
        site = _user_site(s, frame, st.events if on_loop else _OtherEvents)
        parent = _current_task(self)
        parent_id = 0 if parent is None else parent._ls_id if type(parent) is Task else _id_of(parent, st)
    except Exception:
        _fail("create_task hook")
        # _fail uninstalled the hooks: the class has its own create_task back.
        return base_events.BaseEventLoop.create_task(self, coro, **kwargs)
    ts = _now_ns()
    task = Task(coro, loop=self, **kwargs)
    task._ls_id = tid = s.next_id()
    # Name and coroutine name as strings now: holding the task until the drain
    # runs would keep finished tasks alive for the GC to walk.
    if on_loop:
        tnew = st.tnew
        tnew.append(tid)
        tnew.append(ts - s.origin_ns)
        tnew.append(site)
        tnew.append(parent_id)
        tnew.append(0)
        st.tnames.append(task.get_name())
        st.tcoros.append(coro.__qualname__ if type(coro) is _Coroutine else _qualname(coro))
    else:
        _OtherEvents.append((R.E_TASK_CREATED, tid, st.id, ts, task.get_name(), site or None, parent_id or None, False, _qualname(coro)))
    if self._debug and task._source_traceback:
        del task._source_traceback[-1]
    if debug_hooks is not None:
        debug_hooks.task_created(self, task)
    return task


def _qualname(coro):
    name = getattr(coro, "__qualname__", None)
    return name if type(name) is str else type(coro).__qualname__


def _done_event(tid, ts, task):
    """(E_TASK_DONE, task id, ts, state, result repr | exception summary |
    cancel message). The result's repr and the exception's summary are taken
    now: holding the result or the exception (whose traceback holds the task's
    frames and locals) until the drain runs would keep them alive after the
    program dropped them."""
    state = task._state
    if state == "CANCELLED":
        msg = getattr(task, "_cancel_message", None)
        return (R.E_TASK_DONE, tid, ts, "cancelled", plain_str(msg) if msg is not None else None)
    exc = task._exception
    if exc is not None:
        frames = [(f.f_code.co_filename, line, f.f_code.co_name) for f, line in traceback.walk_tb(exc.__traceback__)]
        return (R.E_TASK_DONE, tid, ts, "failed", (type(exc).__qualname__, exception_message(exc), frames[-30:]))
    return (R.E_TASK_DONE, tid, ts, "done", plain_repr(task._result))


def _name_of(task):
    try:
        name = task.get_name()
    except Exception:
        return None  # the drain says "Task-?"
    return name if type(name) is str else None


def _coro_name_of(task, coro):
    if coro is None:
        if PY == (3, 12) and task._state != "PENDING":
            return "?"  # get_coro() of a finished eager task crashes 3.12.1 (see drain.coro_name)
        try:
            coro = task.get_coro()
        except Exception:
            return "?"
        if coro is None:
            return "?"
    return _qualname(coro)


def _foreign_task_id(task, st, created=False, coro=None):
    """Id of a task Loopscope did not create (a user's task factory, or a Task
    constructed directly): adopted on first sight."""
    table = session.foreign_task_ids
    tid = table.get(task)
    if tid is None:
        tid = session.next_id()
        table[task] = tid
        _task_types.add(type(task))
        site = None
        events_ = _events_for(st)
        if created:
            frame = _user_frame(_caller(2))
            if frame is not None:
                site = session.site_for(frame.f_code, frame.f_lineno, events_)
        eager = bool(created and task._state != "PENDING" or getattr(task, "_fut_waiter", None) is not None)
        # Names as strings now, as _create_task does: the task in the event would
        # live until the drain runs, so a dropped pending task would outlive
        # gc.collect() ("Task was destroyed but it is pending!" late).
        events_.append((R.E_TASK_CREATED, tid, st.id if st else None, R.now_ns(), _name_of(task), site, None, eager, _coro_name_of(task, coro)))
        if task._state != "PENDING":
            events_.append(_done_event(tid, R.now_ns(), task))
    return tid


def _id_of(obj, st):
    """The wire id of a task or future, registering it if new."""
    if type(obj) is Task:
        return obj._ls_id
    if isinstance(obj, _CTask) or type(obj) in _task_types:
        return _foreign_task_id(obj, st)
    fid = session.future_id(obj)
    if fid is None:
        fid = _register_future(obj, st, "future", None, None, (), None)
    return fid


# -- futures ------------------------------------------------------------------------

# id(code object) of a function that calls loop.create_future() -> what the future
# is for: (index in FUTURE_TYPES, local holding the owner, local holding the
# children, local holding a delay). Keyed by id: the functions keep the codes alive.
_CREATORS = {}


def _build_creators():
    def add(fn, kind, owner=None, children=None, delay=None):
        code = getattr(fn, "__code__", None)
        if code is not None:
            _CREATORS[id(code)] = (R.TYPE_INDEX[kind], owner, children, delay)

    add(queues.Queue.get, "queue-get", owner="self")
    add(queues.Queue.put, "queue-put", owner="self")
    add(locks.Lock.acquire, "lock", owner="self")
    add(locks.Event.wait, "event", owner="self")
    add(locks.Semaphore.acquire, "semaphore", owner="self")
    add(locks.Condition.wait, "condition", owner="self")
    add(tasks.sleep, "sleep", delay="delay")
    add(tasks._wait, "wait", children="fs")
    add(tasks.shield, "shield", children="inner")
    add(tasks.wait_for, "wait_for")
    add(futures.wrap_future, "executor")
    try:
        from asyncio import taskgroups

        add(taskgroups.TaskGroup.__aexit__, "taskgroup", children="_tasks_of_self")
    except ImportError:
        pass
    try:
        from asyncio import streams

        add(streams.StreamReader._wait_for_data, "stream-read", owner="self")
    except (ImportError, AttributeError):
        pass


def _create_future(self):
    fut = _Future(loop=self)
    s = session
    if s is None:
        return fut
    try:
        try:
            frame = sys._getframe(1)
        except ValueError:  # made straight from C: nothing to say where
            _register_future(fut, _state_of(self), "future", None, None, (), None)
            return fut
        code = frame.f_code
        st = getattr(self, "_ls", None) or _state_of(self)
        sites = s.code_sites.get(id(code))
        if sites is None:  # a code object not met yet: what is it?
            _user_site(s, frame, st.events)
            sites = s.code_sites.get(id(code))
        if type(sites) is dict:
            # The hot case: user code made a plain future. Its site is cached by
            # instruction offset, which costs nothing to read (f_lineno scans
            # the line table).
            site = sites.get(frame.f_lasti) or _user_site(s, frame, st.events)
            fut._ls_id = fid = s.next_id()
            s.live_futs[fid] = _weakref(fut)
            futs = st.futs
            futs.append(fid)
            futs.append(_now_ns() - s.origin_ns)
            futs.append(0)
            futs.append(site)
            futs.append(0)
            futs.append(-1)
        else:
            _create_future_slow(self, fut, frame, code, _CREATORS.get(id(code)), st)
        if self._debug and fut._source_traceback:
            del fut._source_traceback[-1]
    except Exception:
        _fail("create_future hook")
    return fut


def _user_site(s, frame, events_):
    """The site id of the nearest user frame from ``frame`` outwards (0: none).
    What each code object is (user, asyncio's, Loopscope's) and the site of
    each of its instruction offsets are cached by id(code): reading a code's
    filename and a frame's line are the expensive parts (the line scans the
    line table). The session keeps the code objects, so no id is reused."""
    codes = s.code_sites
    while frame is not None:
        code = frame.f_code
        sites = codes.get(id(code))
        if sites is None:
            fn = code.co_filename
            sites = _OWN_CODE if fn.startswith(_OWN_DIR) else _ASYNCIO_CODE if fn.startswith(_ASYNCIO_DIR) else {}
            codes[id(code)] = sites
            s.keep_code(code)
        if sites is _ASYNCIO_CODE:
            frame = frame.f_back
            continue
        if sites is _OWN_CODE:
            # The walk left the task for the loop that runs it: no user frame.
            return 0
        lasti = frame.f_lasti
        site = sites.get(lasti)
        if site is None:
            site = sites[lasti] = s.site_for(code, frame.f_lineno, events_)
        return site
    return 0


_OWN_CODE = "own"
_ASYNCIO_CODE = "asyncio"


def _create_future_slow(self, fut, frame, code, spec, st):
    """A future made by asyncio itself (a queue getter, a lock waiter, a sleep)
    or by code Loopscope does not know: find out what it is for."""
    s = session
    on_loop = events._get_running_loop() is self
    events_ = st.events if on_loop else _OtherEvents
    owner = 0
    due = -1
    if spec is None:
        type_index = 0
    else:
        type_index, owner_name, children_name, delay_name = spec
        if children_name is not None:
            # Futures that gather others are rare and rich: a full event.
            _create_future_with_children(fut, frame, st, spec)
            return
        if owner_name is not None:
            obj = frame.f_locals.get(owner_name)
            if obj is not None:
                owner = getattr(obj, "_ls_id", None) or _owner_id(obj)
        if delay_name is not None:
            try:
                due = R.now_ns() - s.origin_ns + int(float(frame.f_locals.get(delay_name)) * 1e9)
            except (TypeError, ValueError, OverflowError):
                due = -1
    user = _user_frame(frame)
    site = 0
    if user is not None:
        site = s.sites.get((id(user.f_code), user.f_lineno)) or s.site_for(user.f_code, user.f_lineno, events_)
    fid = s.next_id()
    s.register_future(fut, fid)
    if on_loop:
        futs = st.futs
        futs.append(fid)
        futs.append(R.now_ns() - s.origin_ns)
        futs.append(type_index)
        futs.append(site)
        futs.append(owner)
        futs.append(due)
    else:
        _register_future_event(fut, fid, st, R.FUTURE_TYPES[type_index], site or None, owner or None, (), due)


def _create_future_with_children(fut, frame, st, spec):
    type_index, _owner, children_name, _delay = spec
    local = frame.f_locals
    if children_name == "_tasks_of_self":
        children = tuple(getattr(local.get("self"), "_tasks", ()))
    else:
        c = local.get(children_name)
        children = tuple(c) if isinstance(c, (set, list, tuple, frozenset)) else (c,) if c is not None else ()
    user = _user_frame(frame)
    site = session.site_for(user.f_code, user.f_lineno, _events_for(st)) if user is not None else None
    _register_future(fut, st, R.FUTURE_TYPES[type_index], site, None, children, None)


def _register_future(fut, st, kind, site, owner, children, due, ts=None):
    """A future with a full future/created event (children, or made off-loop)."""
    fid = session.next_id()
    session.register_future(fut, fid)
    owner_id = _owner_id(owner) if owner is not None else None
    child_ids = [_id_of(c, st) for c in children if isinstance(c, _Future) or type(c) in _task_types]
    ts = R.now_ns() if ts is None else ts
    _events_for(st).append((R.E_FUT_CREATED, fid, st.id if st else None, ts, kind, site, owner_id, child_ids, due))
    return fid


def _register_future_event(fut, fid, st, kind, site, owner_id, child_ids, due):
    due_abs = due + session.origin_ns if due is not None and due >= 0 else None
    _OtherEvents.append((R.E_FUT_CREATED, fid, st.id if st else None, R.now_ns(), kind, site, owner_id, list(child_ids), due_abs))


def _classify_waiter(waiter, task, st, ts):
    """A task waits on something Loopscope has not seen made: name it."""
    if isinstance(waiter, _CTask) or type(waiter) in _task_types:
        return _foreign_task_id(waiter, st)
    if not isinstance(waiter, _Future):
        return 0
    # It was made during the step that just ended at ts: dated just before
    # that end so the drain sends it ahead of the step that refers to it.
    ts -= 1
    try:
        children = getattr(waiter, "_children", None)
        if children is not None:  # gather's _GatheringFuture
            return _register_future(waiter, st, "gather", _await_site(task, st), None, tuple(children), None, ts)
        return _register_future(waiter, st, "future", _await_site(task, st), None, (), None, ts)
    except Exception:
        _fail("waiter classification")
        return 0


def _await_site(task, st):
    """Where the task is suspended: the innermost coroutine frame of its chain."""
    coro = task.get_coro()
    frame = None
    depth = 0
    while coro is not None and depth < 100:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or frame
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        depth += 1
    user = _user_frame(frame) if frame is not None else None
    if user is None:
        return None
    return session.site_for(user.f_code, user.f_lineno, _events_for(st))


# -- queues and primitives ----------------------------------------------------------


def _owner_id(obj):
    oid = getattr(obj, "_ls_id", None)
    if oid is None:
        if isinstance(obj, queues.Queue):
            oid = _register_queue(obj, None)
        else:
            oid = _register_prim(obj, None)
    return oid


def _current_events():
    loop = events._get_running_loop()
    st = getattr(loop, "_ls", None) if loop is not None else None
    return _events_for(st)


def _site_of(frame, events_):
    user = _user_frame(frame)
    if user is None:
        return None
    return session.site_for(user.f_code, user.f_lineno, events_)


def _register_queue(q, frame):
    events_ = _current_events()
    site = _site_of(frame, events_) if frame is not None else None
    qid = session.next_id()
    q._ls_id = qid
    q._ls_done = 0
    session.queues.add(q)
    maxsize = q._maxsize if isinstance(getattr(q, "_maxsize", None), int) else 0
    events_.append((R.E_QUEUE_CREATED, qid, R.now_ns(), type(q).__qualname__, maxsize, site))
    return qid


def _register_prim(p, frame):
    events_ = _current_events()
    site = _site_of(frame, events_) if frame is not None else None
    pid = session.next_id()
    p._ls_id = pid
    session.prims.add(p)
    events_.append((R.E_SYNC_CREATED, pid, R.now_ns(), type(p).__qualname__, site))
    return pid


def _queue_init(self, *args, **kwargs):
    _originals["Queue.__init__"](self, *args, **kwargs)
    if session is not None and session.enabled:
        try:
            _register_queue(self, _caller(1))
        except Exception:
            _fail("Queue hook")


def _final_event(s, ev):
    """An event from a finalizer, which the GC may run anywhere (inside a lock
    of this very thread too): append only, with no wake-up (see recorder.Wake);
    the drain looks every 50 ms anyway."""
    if len(s.other_events) >= s.MAX_OTHER_EVENTS:
        s.dropped += 1
    else:
        s.other_events.append(ev)


def _queue_del(self):
    """A queue going away: record what it held, since no sample can be taken later."""
    s = session
    qid = getattr(self, "_ls_id", None)
    if s is None or qid is None:
        return
    try:
        puts = int(self._unfinished_tasks) + int(getattr(self, "_ls_done", 0))
        _final_event(s, (R.E_QUEUE_FINAL, qid, R.now_ns(), list(self._queue), puts, type(self).__qualname__))
    except Exception:
        pass  # in __del__ nothing may escape; a missing last sample is no error


def _prim_del(self):
    """A primitive going away: record its last state (see _queue_del)."""
    s = session
    pid = getattr(self, "_ls_id", None)
    if s is None or pid is None:
        return
    try:
        _final_event(s, (R.E_SYNC_FINAL, pid, R.now_ns(), prim_state(self)))
    except Exception:
        pass  # in __del__ nothing may escape


def _lock_get(self):
    return self.__dict__.get("_locked", False)


def _lock_set(self, value):
    # asyncio.Lock keeps no owner; acquire() sets _locked = True inside the task
    # that gets the lock, so this setter sees who holds it (deadlock cycles).
    d = self.__dict__
    d["_locked"] = value
    if value and session is not None:
        try:
            loop = events._get_running_loop()
            task = _current_task(loop) if loop is not None else None
            d["_ls_holder"] = _id_of(task, getattr(loop, "_ls", None)) if task is not None else None
        except Exception:
            d["_ls_holder"] = None
    else:
        d["_ls_holder"] = None


def lock_holder(p):
    """The task id holding a Lock (or a Condition's lock), or None."""
    lock = p._lock if isinstance(p, locks.Condition) else p
    return lock.__dict__.get("_ls_holder") if isinstance(lock, locks.Lock) else None


def prim_state(p):
    """locked/unlocked, set/clear, or a semaphore's counter."""
    if isinstance(p, locks.Condition):
        return "locked" if p._lock.locked() else "unlocked"
    if isinstance(p, locks.Lock):
        return "locked" if p._locked else "unlocked"
    if isinstance(p, locks.Event):
        return "set" if p._value else "clear"
    return str(getattr(p, "_value", "?"))


def _queue_task_done(self):
    _originals["Queue.task_done"](self)
    try:
        self._ls_done += 1
    except AttributeError:
        pass


def _make_prim_init(key):
    def __init__(self, *args, **kwargs):
        _originals[key](self, *args, **kwargs)
        if session is not None and session.enabled and getattr(self, "_ls_id", None) is None:
            caller = _caller(1)
            while caller is not None and caller.f_code.co_name == "__init__" and caller.f_locals.get("self") is self:
                caller = caller.f_back  # a subclass's __init__ (BoundedSemaphore)
            if caller is not None and caller.f_code.co_filename.startswith(_ASYNCIO_DIR):
                # asyncio's own (a Queue's _finished Event, a Condition's Lock):
                # registered only if a task ends up waiting on it.
                return
            try:
                _register_prim(self, caller)
            except Exception:
                _fail("primitive hook")

    __init__.__wrapped__ = _originals[key]
    return __init__


_real_os_exit = os._exit


def _os_exit(code):
    from . import lifecycle

    lifecycle.on_os_exit(code)  # this uninstalls: call the saved original
    _real_os_exit(code)


_ABSENT = object()
_PRIM_CLASSES = (locks.Lock, locks.Event, locks.Semaphore, locks.Condition)

# -- install ------------------------------------------------------------------------

_PATCHES = [
    (base_events.BaseEventLoop, "__init__", "__init__", _loop_init),
    (base_events.BaseEventLoop, "close", "close", _loop_close),
    (base_events.BaseEventLoop, "_run_once", "_run_once", _run_once),
    (base_events.BaseEventLoop, "create_task", "create_task", _create_task),
    (base_events.BaseEventLoop, "create_future", "create_future", _create_future),
    (queues.Queue, "__init__", "Queue.__init__", _queue_init),
    (queues.Queue, "task_done", "Queue.task_done", _queue_task_done),
    (queues.Queue, "__del__", "Queue.__del__", _queue_del),
]


def install(new_session):
    """Start tracing every loop of this process into ``new_session``."""
    global session
    if session is not None:
        raise RuntimeError("loopscope is already tracing this process")
    session = new_session
    if not _CREATORS:
        _build_creators()
    for cls, attr, key, fn in _PATCHES:
        _originals[key] = cls.__dict__.get(attr, _ABSENT)
        setattr(cls, attr, fn)
    for cls in _PRIM_CLASSES:
        key = cls.__name__ + ".__init__"
        _originals[key] = cls.__dict__["__init__"]
        setattr(cls, "__init__", _make_prim_init(key))
        _originals[cls.__name__ + ".__del__"] = cls.__dict__.get("__del__", _ABSENT)
        cls.__del__ = _prim_del
    _originals["os._exit"] = os._exit
    os._exit = _os_exit
    locks.Lock._locked = property(_lock_get, _lock_set)
    return session


def uninstall():
    """Stop tracing; patched classes get their own methods back."""
    global session
    for cls, attr, key, _fn in _PATCHES:
        if key in _originals:
            original = _originals.pop(key)
            if original is _ABSENT:
                delattr(cls, attr)
            else:
                setattr(cls, attr, original)
    for cls in _PRIM_CLASSES:
        key = cls.__name__ + ".__init__"
        if key in _originals:
            setattr(cls, "__init__", _originals.pop(key))
        original = _originals.pop(cls.__name__ + ".__del__", _ABSENT)
        if original is _ABSENT:
            if "__del__" in cls.__dict__:
                delattr(cls, "__del__")
        else:
            cls.__del__ = original
    if isinstance(locks.Lock.__dict__.get("_locked"), property):
        del locks.Lock._locked  # instances keep the value in their __dict__
    if "os._exit" in _originals:
        os._exit = _originals.pop("os._exit")
    if session is not None:
        session.enabled = False
    session = None
