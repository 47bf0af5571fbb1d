"""The debugger side of the runtime: breakpoints, stepping, exception and
loop-event stops, threads/frames/variables for the debug adapter.

Installed on a Runtime that talks to a debugger (``run --connect`` or
``loopscope.listen()``): it adds control commands to the Controller and nothing
else until the debugger sets a breakpoint or a filter. Costs:

* No breakpoint, no step, no filter: nothing is traced.
* 3.12+: ``sys.monitoring``. PY_START is enabled globally while breakpoints
  exist and returns DISABLE for every code object outside the files that hold
  them, so each other code object pays once; LINE events are enabled only on
  code objects of those files, and DISABLE'd on their lines without a
  breakpoint.
* 3.8-3.11: a global trace function slows every call down several times
  even when it returns None at once (measured: 3-10x on bench/workloads.py),
  so a breakpoint is compiled into the code object that holds its line
  (_Injector): nothing else pays. ``sys.settrace`` (a global trace function
  returning None for every frame that needs no line events) is used only while
  stepping, for the 'raised' filter, the entry stop, and for frames that were
  already running a function's old code when a breakpoint was added. A thread
  can only install its own trace function: the main thread does at start; a
  loop thread does at its next iteration (woken through the pause flag);
  threads started later get it through ``threading.settrace``.

A stop (breakpoint, step, exception, entry, task created/cancelled/failed)
parks the thread that hit it on the Controller's condition (the GIL is
released, the control thread keeps answering) and raises the pause flag so
every other traced loop parks between callbacks: all tasks stop. Continue or
step lowers it again.

Stepping follows one asyncio task: over/out stop at the next line executed by
the same task in the frame stepped from or one of its callers (a coroutine's
awaiter counts as its caller), so stepping over an ``await`` stops at the next
line of that task, whatever other tasks run meanwhile. Into stops at the next
line the task runs in any user frame (``justMyCode``: not the standard library
or site-packages). When the task ends during a step, the step stops at the
next user line anywhere.

Evaluation (eval, set-var) runs the user's code on a 'loopscope-eval' thread
(never stopped by a breakpoint; a deadline stops runaway Python code and the
control thread stops waiting for a blocked call), as if on the frame's loop:
that loop is the thread's running loop, so asyncio.get_running_loop(),
current_task() and all_tasks() answer for it, and the frame's task's context
variables are seen. set-var changes a local (through PyFrame_LocalsToFast
before 3.13, the write-through f_locals from 3.13), a global, an item or an
attribute.
"""
import asyncio
import contextvars
import dis
import gc
import itertools
import linecache
import os
import signal
import sys
import sysconfig
import threading
import time
import traceback
from asyncio import base_events
from asyncio import events as aio_events
from asyncio import tasks as aio_tasks

from . import _protocol as P
from . import drain
from . import hooks
from . import recorder as R
from .control import CommandError, Controller, _wake
from .safe_repr import safe_repr, safe_str

PY = sys.version_info[:2]
MONITORING = PY >= (3, 12)
# 3.8-3.11: breakpoints are compiled into the code that holds them (see _Injector);
# sys.settrace only runs for steps, 'raised', the entry stop, and frames that were
# already running when a breakpoint was added.
INJECT = not MONITORING
_OWN_DIR = os.path.dirname(os.path.abspath(__file__))
_ASYNCIO_DIR = os.path.dirname(os.path.abspath(asyncio.__file__))
_CancelledError = asyncio.CancelledError
_CREATE_TASK_CODE = getattr(aio_tasks.create_task, "__code__", None)
_QUIET_EXCEPTIONS = (StopIteration, StopAsyncIteration, GeneratorExit, _CancelledError)
MAX_CHILDREN = 1000  # variables listed at once when the debugger asks for no page
EVAL_DEADLINE_S = 10.0
FILTERS = ("raised", "uncaught", "task-failed", "task-created", "task-cancelled")

_dbg = None  # the Debugger of this process (trace functions read it)

# -- file names ---------------------------------------------------------------------

_canon_cache = {}


def canon(filename):
    """A file name as breakpoints are keyed: absolute, real, case-normalised.
    Names like '<string>' stay as they are."""
    c = _canon_cache.get(filename)
    if c is None:
        if filename.startswith("<") and filename.endswith(">"):
            c = filename
        else:
            try:
                c = os.path.normcase(os.path.realpath(os.path.abspath(filename)))
            except (OSError, ValueError):
                c = filename
        _canon_cache[filename] = c
    return c


def _library_roots():
    roots = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = paths.get(key)
        if p:
            roots.add(p)
    try:
        import site

        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except Exception:  # some embedded interpreters have a reduced site module
        pass
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        roots.add(os.path.join(prefix, "lib", "python%d.%d" % PY))
        roots.add(os.path.join(prefix, "Lib"))
    out = []
    for r in roots:
        if r and os.path.isabs(r):
            c = canon(r)
            out.append(c if c.endswith(os.sep) else c + os.sep)
    return tuple(out)


_LIB_ROOTS = None
_kind_cache = {}
OWN, LIB, USER = 0, 1, 2


def file_kind(filename):
    """OWN (Loopscope itself), LIB (standard library, site-packages, frozen or
    generated code) or USER."""
    global _LIB_ROOTS
    k = _kind_cache.get(filename)
    if k is None:
        if _LIB_ROOTS is None:
            _LIB_ROOTS = _library_roots()
        c = canon(filename)
        if c.startswith(canon(_OWN_DIR) + os.sep):
            k = OWN
        elif c.startswith("<") or c.startswith(_LIB_ROOTS):
            k = LIB
        else:
            k = USER
        _kind_cache[filename] = k
    return k


def _code_lines(code):
    """Lines where code starts in this code object (nested ones not included)."""
    return {line for _offset, line in dis.findlinestarts(code) if line is not None and line > 0}


def executable_lines(path):
    """Line numbers where code starts, over every code object of the file.
    Raises OSError or SyntaxError."""
    import tokenize

    with tokenize.open(path) as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    lines = set()
    stack = [code]
    while stack:
        co = stack.pop()
        for _offset, line in dis.findlinestarts(co):
            if line is not None and line > 0:
                lines.add(line)
        for c in co.co_consts:
            if hasattr(c, "co_code"):
                stack.append(c)
    return lines


# -- breakpoints --------------------------------------------------------------------


class Breakpoint:
    __slots__ = ("id", "file", "line", "condition", "condition_code", "hit_condition", "hit_op", "hit_n", "log_message", "hits")

    def __init__(self, bid, file, line):
        self.id = bid
        self.file = file
        self.line = line
        self.condition = None
        self.condition_code = None
        self.hit_condition = None
        self.hit_op = None
        self.hit_n = 0
        self.log_message = None
        self.hits = 0


def parse_hit_condition(text):
    """'5', '==5', '>5', '>=5', '<5', '<=5', '%5' -> (op, n). Raises ValueError."""
    t = text.strip()
    for op in (">=", "<=", "==", ">", "<", "%"):
        if t.startswith(op):
            n = int(t[len(op) :].strip())
            break
    else:
        op, n = "==", int(t)
    if op == "%" and n <= 0:
        raise ValueError("'%' needs a positive number")
    return op, n


def hit_ok(op, n, hits):
    if op == "==":
        return hits == n
    if op == ">":
        return hits > n
    if op == ">=":
        return hits >= n
    if op == "<":
        return hits < n
    if op == "<=":
        return hits <= n
    return hits % n == 0


def split_log_message(message):
    """'x is {x}' -> ['x is ', ('x', code)] ({{ and }} are literal braces).
    Raises SyntaxError for an expression that does not compile."""
    parts = []
    buf = []
    i = 0
    while i < len(message):
        c = message[i]
        if c == "{" and message.startswith("{{", i):
            buf.append("{")
            i += 2
        elif c == "}" and message.startswith("}}", i):
            buf.append("}")
            i += 2
        elif c == "{":
            depth = 1
            j = i + 1
            while j < len(message) and depth:
                if message[j] == "{":
                    depth += 1
                elif message[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                raise SyntaxError("unclosed '{' in log message")
            expr = message[i + 1 : j - 1]
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append((expr, compile(expr.strip(), "<logpoint>", "eval")))
            i = j
        else:
            buf.append(c)
            i += 1
    if buf:
        parts.append("".join(buf))
    return parts


# -- stops and steps ----------------------------------------------------------------


class Stop:
    """A thread stopped for the debugger."""

    __slots__ = ("ident", "thread_name", "frame", "task", "task_id", "st", "reason", "frames", "exc", "exc_mode", "released")

    def __init__(self, ident, thread_name, frame, task, task_id, st, reason, frames, exc, exc_mode):
        self.ident = ident
        self.thread_name = thread_name
        self.frame = frame  # innermost frame where it stopped, or None
        self.task = task
        self.task_id = task_id
        self.st = st
        self.reason = reason
        self.frames = frames  # [(frame, line)] innermost first: a post-mortem stack (exceptions)
        self.exc = exc
        self.exc_mode = exc_mode
        self.released = False


OVER, INTO, OUT = "over", "into", "out"


class Step:
    __slots__ = ("kind", "task", "ident", "frames", "anywhere")

    def __init__(self, kind, task, ident, frames, anywhere):
        self.kind = kind
        self.task = task  # the task to follow, or None (follow the OS thread)
        self.ident = ident
        self.frames = frames  # frames a line event must be in (over/out)
        self.anywhere = anywhere  # any user line of the task (into), or anywhere at all once the task ended


def _running_task():
    """(loop, LoopState, task) of the calling thread; any may be None."""
    loop = aio_events._get_running_loop()
    if loop is None:
        return None, None, None
    st = getattr(loop, "_ls", None)
    try:
        task = aio_tasks.current_task(loop)
    except Exception:
        task = None
    return loop, st, task


def _coro_frame(coro):
    return getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or getattr(coro, "ag_frame", None)


def _await_chain(task):
    """A suspended task's frames, innermost first, walking cr_await."""
    chain = []
    try:
        coro = task.get_coro()
    except Exception:
        return chain
    depth = 0
    while coro is not None and depth < 256:
        frame = _coro_frame(coro)
        if frame is not None:
            chain.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None) or getattr(coro, "ag_await", None)
        depth += 1
    chain.reverse()
    return chain


def _tb_frames(tb):
    """[(frame, line)] of a traceback, innermost first."""
    out = []
    while tb is not None:
        out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    out.reverse()
    return out


def _user_caller(frame):
    """The nearest frame that is neither Loopscope's nor asyncio's."""
    while frame is not None:
        fn = frame.f_code.co_filename
        if not fn.startswith(_OWN_DIR) and not fn.startswith(_ASYNCIO_DIR):
            return frame
        frame = frame.f_back
    return None


def _coro_name(task):
    name = drain.coro_name(task)
    if name == "?":
        # A finished task whose coroutine may not be read (3.12): a failed one
        # still names it in its traceback, which starts at the coroutine's frame.
        tb = getattr(getattr(task, "_exception", None), "__traceback__", None)
        if tb is not None:
            code = tb.tb_frame.f_code
            name = getattr(code, "co_qualname", code.co_name)
    return name


def _task_label(task, session):
    tid = drain.task_id(task, session)
    try:
        name = task.get_name()
    except Exception:
        name = "Task-%s" % tid
    return "%s %s()" % (safe_str(name), _coro_name(task))


def _exc_text(exc):
    msg = safe_str(exc)
    return "%s: %s" % (type(exc).__qualname__, msg) if msg else type(exc).__qualname__


def _is_run_main(loop, task):
    """Is asyncio.run / run_until_complete waiting on this (just finished) task?
    Its done callbacks are in the ready queue by now."""
    cb = base_events._run_until_complete_cb
    try:
        for h in list(loop._ready):
            if h._callback is cb and h._args and h._args[0] is task:
                return True
    except Exception:
        pass
    return False


# -- the debugger -------------------------------------------------------------------


class Debugger:
    def __init__(self, controller):
        self.rt = None  # the Runtime, once install() ran
        self.session = controller.session
        self.controller = controller
        self.cond = controller.cond
        self.bps = {}  # canon file -> {line: [Breakpoint]} (replaced, never mutated)
        self.bp_files = frozenset()
        self.filters = set()
        self.filter_conditions = {}
        self.just_my_code = True
        self.entry = None  # canon file whose first line stops ("stopOnEntry")
        self.entry_file = None  # the program's file, for stopOnEntry
        self.stop_on_entry = False
        self.stop = None
        self.step = None
        self.pause_wanted = False
        self.attached = False
        self.started = False
        self.gone = False
        self.launched = False
        self.reported_exc = None
        self.traced_line = None
        self.refs = {}
        self.next_ref = itertools.count(1).__next__
        self.backend = _Monitor(self) if MONITORING else _Settrace(self)
        self._prev_excepthook = None
        self._prev_thread_excepthook = None

    # -- what is wanted --------------------------------------------------------------

    @property
    def raised(self):
        return "raised" in self.filters

    def file_wanted(self, filename):
        c = canon(filename)
        return c in self.bp_files or c == self.entry

    def code_wanted(self, code):
        """Must this code object's lines be watched: it holds a breakpoint's
        line (not counting code nested in it), or its file is the entry's."""
        c = canon(code.co_filename)
        if c == self.entry:
            return True
        lines = self.bps.get(c)
        return bool(lines) and not _code_lines(code).isdisjoint(lines)

    def tracing_wanted(self):
        """Is sys.settrace needed (3.8-3.11)?"""
        legacy = INJECT and bool(self.backend.injector.legacy)
        return bool(legacy or self.entry or self.step is not None or "raised" in self.filters)

    def traceable(self, filename):
        """May a step stop in this file?"""
        k = file_kind(filename)
        return k == USER or (k == LIB and not self.just_my_code)

    def _update_hooks(self):
        wanted = self.attached and (
            self.step is not None or bool(self.filters & {"uncaught", "task-failed", "task-created", "task-cancelled"})
        )
        hooks.debug_hooks = self if wanted else None
        if self.attached and "uncaught" in self.filters:
            if sys.excepthook is not _excepthook:
                self._prev_excepthook = sys.excepthook
                sys.excepthook = _excepthook
            if getattr(threading, "excepthook", None) is not None and threading.excepthook is not _thread_excepthook:
                self._prev_thread_excepthook = threading.excepthook
                threading.excepthook = _thread_excepthook
        else:
            if sys.excepthook is _excepthook:
                sys.excepthook = self._prev_excepthook or sys.__excepthook__
            if getattr(threading, "excepthook", None) is _thread_excepthook:
                threading.excepthook = self._prev_thread_excepthook or threading.__excepthook__

    def reconfigure(self):
        self._update_hooks()
        self.backend.reconfigure()

    # -- messages --------------------------------------------------------------------

    def _ts(self):
        return R.now_ns() - self.session.origin_ns

    def _send(self, msg):
        try:
            return self.controller.send(msg)
        except Exception:
            return False

    def output(self, text, category="console", file=None, line=None):
        self._send({"kind": P.DEBUG_OUTPUT, "category": category, "text": text, "file": file, "line": line, "ts": self._ts()})

    # -- events from the trace backends (on program threads) -------------------------

    def on_line(self, frame):
        """A line event in a traced frame. Returns True when this location
        matters (a breakpoint, the entry, a step) so monitoring keeps it on."""
        self.traced_line = (frame, frame.f_lineno)  # the compiled-in hook of this line skips it
        code = frame.f_code
        c = canon(code.co_filename)
        relevant = False
        lines = self.bps.get(c)
        if lines:
            found = lines.get(frame.f_lineno)
            if found:
                relevant = True
                if self._hit(frame, found):
                    return True
        if self.entry is not None and c == self.entry:
            self.entry = None
            self.backend.reconfigure()
            self._stop(frame, "entry", "Paused on entry")
            return True
        s = self.step
        if s is not None:
            if self._step_matches(s, frame):
                self._stop(frame, "step", "Paused after step")
            return True
        return relevant

    def _hit(self, frame, bps):
        """Breakpoints on this line: conditions, hit counts, logpoints.
        Returns True when it stopped."""
        stop_ids = []
        for bp in bps:
            if bp.condition_code is not None:
                try:
                    ok = eval(bp.condition_code, frame.f_globals, frame.f_locals)
                except BaseException as exc:  # the user's condition: report, then stop
                    self.output(
                        "Breakpoint condition %r at %s:%d raised %s\n" % (bp.condition, os.path.basename(bp.file), bp.line, _exc_text(exc)),
                        "stderr",
                        bp.file,
                        bp.line,
                    )
                    ok = True
                if not ok:
                    continue
            bp.hits += 1
            if bp.hit_op is not None and not hit_ok(bp.hit_op, bp.hit_n, bp.hits):
                continue
            if bp.log_message is not None:
                self.output(self._format_log(bp.log_message, frame) + "\n", "console", bp.file, bp.line)
                continue
            stop_ids.append(bp.id)
        if stop_ids:
            self._stop(frame, "breakpoint", "Paused on breakpoint", bp_ids=stop_ids)
            return True
        return False

    def _format_log(self, parts, frame):
        out = []
        for p in parts:
            if isinstance(p, str):
                out.append(p)
                continue
            try:
                v = eval(p[1], frame.f_globals, frame.f_locals)
                out.append(v if isinstance(v, str) else safe_repr(v))
            except BaseException as exc:  # the user's expression
                out.append("<%s>" % _exc_text(exc))
        return "".join(out)

    def _step_matches(self, s, frame):
        if s.kind == "ended":
            # The followed task ended (or the stop was post-mortem): the next user line anywhere.
            return self.traceable(frame.f_code.co_filename)
        if s.task is not None:
            _loop, _st, task = _running_task()
            if task is not s.task:
                if s.task.done():
                    self._step_anywhere(s)
                    return self.traceable(frame.f_code.co_filename)
                return False
        elif threading.get_ident() != s.ident:
            return False
        if s.anywhere:
            return self.traceable(frame.f_code.co_filename)
        return frame in s.frames

    def _step_anywhere(self, s):
        """The stepped task ended: the step stops at the next user line anywhere."""
        s.anywhere = True
        s.kind = "ended"
        self.backend.reconfigure()

    def on_raise(self, frame, exc, tb):
        if not self.attached or "raised" not in self.filters or isinstance(exc, _QUIET_EXCEPTIONS):
            return
        if not self.traceable(frame.f_code.co_filename):
            return
        # Report at the first traceable frame it reaches: skip it when a deeper
        # frame of its traceback already was one.
        t = tb.tb_next if tb is not None else None
        while t is not None:
            if self.traceable(t.tb_frame.f_code.co_filename):
                return
            t = t.tb_next
        if exc is self.reported_exc or not self._exc_condition("raised", exc):
            return
        self.reported_exc = exc
        self._stop(frame, "exception", "Exception raised: %s" % type(exc).__qualname__, text=_exc_text(exc), exc=exc, exc_mode="always")

    def _exc_condition(self, filt, exc):
        cond = self.filter_conditions.get(filt)
        if not cond:
            return True
        names = {n.strip() for n in cond.split(",") if n.strip()}
        for klass in type(exc).__mro__:
            if klass.__name__ in names or klass.__qualname__ in names or "%s.%s" % (klass.__module__, klass.__qualname__) in names:
                return True
        return False

    def _task_condition(self, filt, task):
        return self._label_condition(filt, _task_label(task, self.session))

    def _label_condition(self, filt, label):
        cond = self.filter_conditions.get(filt)
        if not cond:
            return True
        return any(c.strip() and c.strip() in label for c in cond.split(","))

    # -- loop-event hooks (hooks.debug_hooks, on the loop thread) -----------------------

    def task_created(self, loop, task):
        try:
            if "task-created" not in self.filters:
                return
            caller = sys._getframe(2)
            label = _task_label(task, self.session)
            # Before 3.12 asyncio.create_task(coro, name=...) names the task after
            # the loop made it: read the name it is about to get.
            f = caller
            while f is not None and f.f_code.co_filename.startswith(_ASYNCIO_DIR):
                if f.f_code is _CREATE_TASK_CODE and f.f_locals.get("name") is not None:
                    label = "%s %s()" % (safe_str(f.f_locals["name"]), drain.coro_name(task))
                    break
                f = f.f_back
            if not self._label_condition("task-created", label):
                return
            self._stop(_user_caller(caller), "task created", "Task created: %s" % label)
        except Exception:
            self._internal("task created")

    def task_cancelling(self, task, args, kwargs):
        try:
            if "task-cancelled" not in self.filters or not self._task_condition("task-cancelled", task):
                return
            loop, _st, by = _running_task()
            what = "Task cancelled: %s" % _task_label(task, self.session)
            if by is not None and by is not task:
                what += " by %s" % _task_label(by, self.session)
            msg = args[0] if args else kwargs.get("msg")
            frame = _user_caller(sys._getframe(2))
            self._stop(frame, "task cancelled", what, text=safe_str(msg) if msg is not None else None)
        except Exception:
            self._internal("task cancelled")

    def task_done(self, loop, st, task):
        try:
            s = self.step
            if s is not None and s.task is task and not s.anywhere:
                self._step_anywhere(s)
            exc = task._exception
            if exc is None or isinstance(exc, _CancelledError) or task.cancelled():
                return
            main = "uncaught" in self.filters and _is_run_main(loop, task)
            if not main and ("task-failed" not in self.filters or not self._exc_condition("task-failed", exc)):
                return
            if main and not self._exc_condition("uncaught", exc):
                return
            self.reported_exc = exc
            label = _task_label(task, self.session)
            if main:
                what = "Uncaught exception in %s" % label
            else:
                what = "Task failed: %s" % label
            self._stop(
                None,
                "exception",
                what,
                text=_exc_text(exc),
                task=task,
                frames=_tb_frames(exc.__traceback__),
                exc=exc,
                exc_mode="unhandled" if main else "userUnhandled",
            )
        except Exception:
            self._internal("task done")

    def uncaught(self, value, tb, thread=None):
        if not self.attached or "uncaught" not in self.filters or value is self.reported_exc:
            return
        if isinstance(value, (KeyboardInterrupt, SystemExit)) or not self._exc_condition("uncaught", value):
            return
        self.reported_exc = value
        where = "" if thread is None else " in thread %s" % thread
        self._stop(None, "exception", "Uncaught exception%s" % where, text=_exc_text(value), frames=_tb_frames(tb), exc=value, exc_mode="unhandled", task=None)

    def _internal(self, where):
        try:
            self.output("loopscope: internal error in the debugger (%s): %s\n" % (where, traceback.format_exc()), "stderr")
        except Exception:
            pass

    # -- stopping --------------------------------------------------------------------

    _NO_TASK = object()

    def _stop(self, frame, reason, description, text=None, bp_ids=(), task=_NO_TASK, frames=None, exc=None, exc_mode=None):
        """Park this thread until the debugger continues or steps."""
        if not self.attached or threading.current_thread().name.startswith("loopscope-"):
            return  # Loopscope's own threads (evaluating for the debugger) never stop
        me = threading.get_ident()
        loop, st, current = _running_task()
        if task is Debugger._NO_TASK:
            task = current
        with self.cond:
            while self.stop is not None and self.stop.ident != me and self.attached:
                self.cond.wait(0.5)
            if not self.attached:
                return
            task_id = None
            if task is not None:
                task_id = drain.task_id(task, self.session) or (hooks._foreign_task_id(task, st) if st is not None else None) or None
            stop = Stop(me, threading.current_thread().name, frame, task, task_id, st, reason, frames, exc, exc_mode)
            self.stop = stop
            self.step = None
            hooks.pause_requested = True
        self.backend.reconfigure()
        for other in list(self.session.loops.values()):
            lp = other.loop_ref()
            if other is not st and lp is not None and not other.closed:
                _wake(lp)
        if st is not None:
            st.paused = True
            # In place: this stop is inside a step of st's loop, whose
            # _run_once appends the step to the lists it holds when it ends.
            self.session.flush(st, in_place=True)
        if self.rt is not None:
            try:
                self.rt.drainer.drain_once()  # the view sees the loop as it stopped
            except Exception:
                pass
        ts = self._ts()
        if st is not None:
            self._send({"kind": P.LOOP_PAUSED, "loop": st.id, "reason": reason, "ts": ts})
        sent = self._send(
            {
                "kind": P.DEBUG_STOPPED,
                "reason": reason,
                "thread": me,
                "thread_name": stop.thread_name,
                "loop": st.id if st is not None else None,
                "task": task_id,
                "description": description,
                "text": text,
                "breakpoints": list(bp_ids),
                "ts": ts,
            }
        )
        with self.cond:
            if sent:
                while not stop.released and self.attached:
                    self.cond.wait(0.5)
            self.stop = None
            self.refs.clear()
            if not self.pause_wanted:
                hooks.pause_requested = self.backend.sync_pending()
            self.cond.notify_all()
        if st is not None:
            st.paused = False
            self._send({"kind": P.LOOP_RESUMED, "loop": st.id, "ts": self._ts()})
        self.backend.prepare_thread(sys._getframe(1))

    def _release(self, step):
        """On the control thread: continue (step None) or step."""
        with self.cond:
            self.step = step
            self.pause_wanted = False
            self.refs.clear()
            self.controller.frames.clear()
            stop = self.stop
            if stop is not None:
                stop.released = True
            hooks.pause_requested = self.backend.sync_pending()
            self.cond.notify_all()
        self.reconfigure()

    def _park(self, loop, st, reason):
        """hooks._park: the loop thread between callbacks with the pause flag up."""
        self.backend.prepare_thread(sys._getframe(1))
        c = self.controller
        if self.pause_wanted or self.stop is not None or st.id in c.step_until or c.step_loops:
            c.park(loop, st, reason)
            self.backend.prepare_thread(sys._getframe(1))
        elif not self.backend.sync_pending():
            with self.cond:
                if not self.pause_wanted and self.stop is None:
                    hooks.pause_requested = False

    # -- connection ------------------------------------------------------------------

    def on_disconnect(self):
        """The debugger went away: forget it, let the program run."""
        if self.rt is not None and self.rt.finished:
            return
        with self.cond:
            self.attached = False
            self.gone = True
            self.bps = {}
            self.bp_files = frozenset()
            self.filters = set()
            self.entry = None
            self.step = None
            self.pause_wanted = False
            stop = self.stop
            if stop is not None:
                stop.released = True
            hooks.pause_requested = False
            self.refs.clear()
            self.cond.notify_all()
        self.reconfigure()
        if self.launched:
            # Started by that debugger (run --hold): nobody can see or stop it now.
            try:
                sys.stderr.write("loopscope: the debugger that started this program went away; ending it\n")
                sys.stderr.flush()
            except Exception:
                pass
            try:
                os.kill(os.getpid(), signal.SIGTERM)
            except Exception:
                pass
            t = threading.Timer(3.0, os._exit, (1,))
            t.daemon = True
            t.start()

    def watch(self, thread):
        """Call on_disconnect when this control thread ends."""

        def run():
            thread.join()
            self.on_disconnect()

        threading.Thread(target=run, name="loopscope-debugger-watch", daemon=True).start()

    # -- commands (control thread) ---------------------------------------------------

    def cmd_start(self, args):
        """Configuration done: the debugger has set its breakpoints."""
        with self.cond:
            self.attached = True
            self.gone = False
            # hold() turns this into the entry stop (it may not have been called yet).
            self.stop_on_entry = bool(args.get("stop_on_entry"))
            self.started = True
            self.cond.notify_all()
        self.reconfigure()
        return {"started": True, "monitoring": MONITORING}

    def cmd_detach(self, args):
        """The debugger leaves and the program runs on."""
        self.launched = False
        with self.cond:
            self.bps = {}
            self.bp_files = frozenset()
            self.filters = set()
            self.entry = None
            self.step = None
            self.pause_wanted = False
            if self.stop is not None:
                self.stop.released = True
            hooks.pause_requested = False
            self.cond.notify_all()
        self.reconfigure()
        with self.cond:
            self.attached = False
        self._update_hooks()
        return {}

    def cmd_set_options(self, args):
        if "just_my_code" in args:
            self.just_my_code = bool(args["just_my_code"])
        return {"just_my_code": self.just_my_code}

    def cmd_set_breakpoints(self, args):
        path = args.get("file")
        if not isinstance(path, str) or not path:
            raise CommandError("set-breakpoints needs a 'file'")
        c = canon(path)
        wanted = args.get("breakpoints") or []
        try:
            lines = executable_lines(path)
            problem = None
        except OSError as exc:
            lines, problem = None, "cannot read %s: %s" % (path, exc.strerror or exc)
        except (SyntaxError, ValueError) as exc:
            lines, problem = None, "%s does not compile: %s" % (os.path.basename(path), exc)
        table = {}
        out = []
        for spec in wanted:
            bid = int(spec.get("id", 0))
            line = int(spec.get("line", 0))
            result = {"id": bid, "line": line, "verified": False, "message": None}
            out.append(result)
            if problem:
                result["message"] = problem
                continue
            if line not in lines:
                later = [n for n in lines if n > line]
                if not later:
                    result["message"] = "no code at or after line %d" % line
                    continue
                line = min(later)
                result["line"] = line
            bp = Breakpoint(bid, c, line)
            try:
                if spec.get("condition"):
                    bp.condition = spec["condition"]
                    bp.condition_code = compile(bp.condition.strip(), "<condition>", "eval")
                if spec.get("hit_condition"):
                    bp.hit_condition = spec["hit_condition"]
                    bp.hit_op, bp.hit_n = parse_hit_condition(bp.hit_condition)
                if spec.get("log_message") is not None:
                    bp.log_message = split_log_message(spec["log_message"])
            except SyntaxError as exc:
                result["message"] = "invalid expression: %s" % (exc.msg or exc)
                continue
            except ValueError as exc:
                result["message"] = "invalid hit count %r (use 5, >5, >=5, <5, <=5, ==5 or %%5): %s" % (spec.get("hit_condition"), exc)
                continue
            table.setdefault(line, []).append(bp)
            result["verified"] = True
        with self.cond:
            bps = dict(self.bps)
            if table:
                bps[c] = table
            else:
                bps.pop(c, None)
            self.bps = bps
            self.bp_files = frozenset(bps)
        self.reconfigure()
        return {"breakpoints": out}

    def cmd_set_filters(self, args):
        filters = set()
        conditions = {}
        for f in args.get("filters") or []:
            fid = f.get("id") if isinstance(f, dict) else f
            if fid not in FILTERS:
                raise CommandError("unknown filter %r (known: %s)" % (fid, ", ".join(FILTERS)))
            filters.add(fid)
            if isinstance(f, dict) and f.get("condition"):
                conditions[fid] = str(f["condition"])
        with self.cond:
            self.filters = filters
            self.filter_conditions = conditions
        self.reconfigure()
        return {"filters": sorted(filters)}

    def cmd_continue(self, args):
        self._release(None)
        self.controller.cmd_resume({})
        return {}

    def cmd_step(self, args):
        kind = args.get("kind")
        if kind not in (OVER, INTO, OUT):
            raise CommandError("step kind must be over, into or out")
        stop = self.stop
        task = None
        ident = None
        frames = None
        anywhere = kind == INTO
        if args.get("task") is not None:
            task = self._task(args["task"])
            if stop is not None and stop.task is task and stop.frames is not None:
                anywhere = True  # a post-mortem stop: the task has ended
            else:
                chain = [f for f, _ in self._task_frames(task)]
                frames = self._step_frames(kind, chain)
        elif args.get("thread") is not None:
            ident = int(args["thread"])
            if stop is not None and stop.ident == ident and stop.frames is None and stop.frame is not None:
                task = stop.task
                chain = [f for f, _ in self._thread_frames(ident)]
                frames = self._step_frames(kind, chain)
            elif stop is None or stop.ident != ident:
                # A loop paused between callbacks: run one iteration.
                if kind != INTO:
                    with self.cond:
                        self.pause_wanted = True
                    return self.controller.cmd_step_loop({})
                ident = None
            else:
                anywhere = True
        else:
            raise CommandError("step needs a 'task' or a 'thread'")
        if frames is not None and not frames:
            anywhere = True
        if anywhere and kind != INTO:
            kind = "ended"
        self._release(Step(kind, task, ident, set(frames or ()), anywhere))
        self.controller.cmd_resume({})
        return {"kind": kind}

    def _step_frames(self, kind, chain):
        """Frames where a step over/out may stop: the one stepped from (over)
        and its callers, the ones a step may stop in (justMyCode)."""
        if kind == OUT:
            chain = chain[1:]
        return [f for f in chain if self.traceable(f.f_code.co_filename)]

    def _task(self, tid):
        stop = self.stop
        if stop is not None and stop.task_id == tid and stop.task is not None:
            return stop.task
        for st in list(self.session.loops.values()):
            loop = st.loop_ref()
            if loop is None or st.closed:
                continue
            for task in drain._all_tasks(loop):
                if drain.task_id(task, self.session) == tid:
                    return task
        raise CommandError("no live task with id %r" % (tid,))

    def cmd_threads(self, args):
        stop = self.stop
        session = self.session
        threads = {}
        main = threading.main_thread()
        names = {t.ident: t.name for t in threading.enumerate()}

        def add(ident, loop_id=None):
            t = threads.get(ident)
            if t is None:
                t = threads[ident] = {
                    "ident": ident,
                    "name": names.get(ident) or "Thread-%s" % ident,
                    "loops": [],
                    "main": ident == main.ident,
                    "stopped": stop is not None and stop.ident == ident,
                }
            if loop_id is not None:
                t["loops"].append(loop_id)

        add(main.ident)
        tasks = []
        seen = set()
        for st in list(session.loops.values()):
            loop = st.loop_ref()
            if loop is None or st.closed:
                continue
            if st.thread_ident is not None:
                add(st.thread_ident, st.id)
            try:
                running = aio_tasks.current_task(loop)
            except Exception:
                running = None
            for task in drain._all_tasks(loop):
                tid = drain.task_id(task, session)
                if not tid:
                    continue
                seen.add(tid)
                tasks.append(self._task_info(task, tid, st, task is running))
        if stop is not None:
            add(stop.ident)
            if stop.task is not None and stop.task_id and stop.task_id not in seen:
                tasks.append(self._task_info(stop.task, stop.task_id, stop.st, False))
        return {"threads": sorted(threads.values(), key=lambda t: (not t["main"], t["ident"])), "tasks": tasks, "stop": self._stop_info()}

    def _stop_info(self):
        stop = self.stop
        if stop is None:
            return None
        return {"thread": stop.ident, "task": stop.task_id, "reason": stop.reason}

    def _task_info(self, task, tid, st, running):
        waiter = getattr(task, "_fut_waiter", None)
        wid = None
        if waiter is not None:
            wid = drain.task_id(waiter, self.session) or self.session.future_id(waiter) or None
        stop = self.stop
        return {
            "task": tid,
            "loop": st.id if st is not None else 0,
            "name": safe_str(task.get_name()),
            "coro": _coro_name(task),
            "state": "running" if running else drain.future_state(task),
            "waits": wid,
            "waits_repr": safe_repr(waiter, 80) if waiter is not None and not wid else None,
            "stopped": stop is not None and stop.task is task,
        }

    def _task_frames(self, task):
        """[(frame, line)] innermost first."""
        stop = self.stop
        if stop is not None and stop.task is task:
            if stop.frames is not None:
                return stop.frames
            if stop.frame is not None:
                root = _coro_frame(task.get_coro())
                out = []
                f = stop.frame
                while f is not None:
                    out.append((f, f.f_lineno))
                    if f is root:
                        return out
                    f = f.f_back
        return [(f, f.f_lineno) for f in _await_chain(task)]

    def _thread_frames(self, ident):
        stop = self.stop
        if stop is not None and stop.ident == ident:
            if stop.frames is not None and stop.task is None:
                return stop.frames
            top = stop.frame
            if top is None:
                top = sys._current_frames().get(ident)
        else:
            top = sys._current_frames().get(ident)
        out = []
        f = top
        while f is not None and len(out) < 512:
            if file_kind(f.f_code.co_filename) != OWN:
                out.append((f, f.f_lineno))
            f = f.f_back
        return out

    def _ref(self, kind, obj, owner=None):
        """A reference the debugger can come back with while stopped. owner:
        (frame, loop, task) the object was reached from, or None; evaluation
        and setVariable use it (see _evaluate)."""
        ref = self.next_ref()
        self.refs[ref] = (kind, obj, owner)
        return ref

    def _owner_of_thread(self, ident, frame):
        """(frame, loop, task) for a frame of an OS thread: the loop that thread runs, and its running task."""
        loop = task = None
        stop = self.stop
        for st in list(self.session.loops.values()):
            if st.thread_ident == ident and not st.closed:
                loop = st.loop_ref()
                break
        if stop is not None and stop.ident == ident:
            task = stop.task
        elif loop is not None:
            try:
                task = aio_tasks.current_task(loop)
            except Exception:
                task = None
        return (frame, loop, task)

    def cmd_frames(self, args):
        if args.get("task") is not None:
            task = self._task(args["task"])
            frames = self._task_frames(task)
            try:
                loop = task.get_loop()
            except Exception:
                loop = None

            def owner(f):
                return (f, loop, task)

        elif args.get("thread") is not None:
            ident = int(args["thread"])
            frames = self._thread_frames(ident)

            def owner(f):
                return self._owner_of_thread(ident, f)

        else:
            raise CommandError("frames needs a 'task' or a 'thread'")
        out = []
        keep = args.get("refs", True) is not False  # the view's stack listings need no refs
        for f, line in frames:
            code = f.f_code
            out.append(
                {
                    "ref": self._ref("frame", f, owner(f)) if keep else 0,
                    "file": code.co_filename,
                    "line": int(line or 0),
                    "func": getattr(code, "co_qualname", code.co_name),
                    "user": file_kind(code.co_filename) == USER,
                }
            )
        return {"frames": out}

    def _frame(self, ref):
        """(frame, owner) of a frame reference."""
        entry = self.refs.get(ref)
        if entry is None or entry[0] != "frame":
            raise CommandError("unknown or expired frame %r (frames expire when the program continues)" % (ref,))
        return entry[1], entry[2]

    def cmd_scopes(self, args):
        frame, owner = self._frame(args.get("frame"))
        if frame.f_code.co_name == "<module>":
            return {"scopes": [{"name": "Globals", "ref": self._ref("globals", frame, owner), "expensive": False}]}
        return {
            "scopes": [
                {"name": "Locals", "ref": self._ref("locals", frame, owner), "expensive": False},
                {"name": "Globals", "ref": self._ref("globals", frame, owner), "expensive": True},
            ]
        }

    def cmd_vars(self, args):
        ref = args.get("ref")
        entry = self.refs.get(ref)
        if entry is None:
            raise CommandError("unknown or expired variables reference %r" % (ref,))
        kind, obj, owner = entry
        start = max(0, int(args.get("start") or 0))
        count = max(0, int(args.get("count") or 0))
        filt = args.get("filter")
        if kind == "locals":
            items = [(k, v, k) for k, v in list(obj.f_locals.items())]
            return {"variables": [self._describe(n, v, e, owner) for n, v, e in _page(items, start, count)]}
        if kind == "globals":
            g = obj.f_globals
            items = [(k, v, k) for k, v in sorted(list(g.items()), key=lambda kv: str(kv[0])) if k != "__builtins__" and not (k.startswith("__") and k.endswith("__"))]
            return {"variables": [self._describe(n, v, e, owner) for n, v, e in _page(items, start, count)]}
        value, expr = obj
        return {"variables": [self._describe(n, v, e, owner) for n, v, e in _children(value, expr, start, count, filt)]}

    def _describe(self, name, value, expr, owner=None):
        out = {"name": str(name), "value": safe_repr(value), "type": _type_name(value), "ref": 0, "indexed": 0, "named": 0, "evaluate_name": expr}
        if _expandable(value):
            out["ref"] = self._ref("value", (value, expr), owner)
            n = _indexed_len(value)
            if n is not None:
                out["indexed"] = n
        return out

    def cmd_eval(self, args):
        expression = args.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise CommandError("evaluate needs an expression")
        owner = None
        if args.get("frame") is not None:
            frame, owner = self._frame(args["frame"])
            g, l = frame.f_globals, frame.f_locals
        else:
            g = sys.modules["__main__"].__dict__
            l = g
        mode = "eval"
        try:
            code = compile(expression, "<loopscope-eval>", "eval")
        except SyntaxError as exc:
            if args.get("context") != "repl":
                raise CommandError("SyntaxError: %s" % exc.msg)
            try:
                code = compile(expression, "<loopscope-repl>", "exec")
                mode = "exec"
            except SyntaxError as exc2:
                raise CommandError("SyntaxError: %s" % exc2.msg)
        value = self._evaluate(lambda: eval(code, g, l), owner)
        if mode == "exec":
            if owner is not None and l is not g:
                _locals_to_fast(owner[0])  # `x = 5` in the console changes the frame's x
            return {"value": "", "type": "", "ref": 0, "indexed": 0}
        d = self._describe(expression, value, expression, owner)
        return {"value": d["value"], "type": d["type"], "ref": d["ref"], "indexed": d["indexed"]}

    def _evaluate(self, fn, owner):
        """Run the user's code fn() for the debugger; its exceptions come back
        as CommandError. It runs on a thread of its own ('loopscope-eval': it
        never stops at a breakpoint), within a deadline, so neither an endless
        loop nor a blocking call ties up the control thread. For a frame of a
        task (owner: frame, loop, task) it runs as if on that task's loop: the
        loop is the thread's running loop (asyncio.get_running_loop(),
        current_task(), all_tasks() work) and the task's context variables are
        seen (in a copy of its context: the task may hold it entered)."""
        loop = owner[1] if owner is not None else None
        ctx = _task_context(owner[2]) if owner is not None else None
        box = {}

        def run():
            try:
                if loop is not None:
                    aio_events._set_running_loop(loop)
                if ctx is not None:
                    box["value"] = ctx.copy().run(_with_deadline, fn, EVAL_DEADLINE_S)
                else:
                    box["value"] = _with_deadline(fn, EVAL_DEADLINE_S)
            except BaseException as exc:  # the user's code: reported, never raised here
                box["error"] = exc
            finally:
                if loop is not None:
                    aio_events._set_running_loop(None)

        t = threading.Thread(target=run, name="loopscope-eval", daemon=True)
        t.start()
        t.join(EVAL_DEADLINE_S + 2.0)
        if t.is_alive():
            raise CommandError("evaluation did not finish within %d s (it is blocked and goes on in the background)" % EVAL_DEADLINE_S)
        if "error" in box:
            exc = box["error"]
            if isinstance(exc, _Deadline):
                raise CommandError("evaluation took longer than %d s and was stopped" % EVAL_DEADLINE_S)
            raise CommandError(_exc_text(exc))
        return box.get("value")

    def cmd_set_var(self, args):
        """setVariable: `name` in a scope or expandable value (a ref from
        scopes/vars) gets the value of the expression `value`, evaluated in
        the frame the ref came from."""
        ref = args.get("ref")
        entry = self.refs.get(ref)
        if entry is None:
            raise CommandError("unknown or expired variables reference %r" % (ref,))
        name = args.get("name")
        text = args.get("value")
        if not isinstance(name, str) or not isinstance(text, str) or not text.strip():
            raise CommandError("set-var needs a 'name' and a 'value' expression")
        kind, obj, owner = entry
        frame = owner[0] if owner is not None else None
        try:
            code = compile(text.strip(), "<loopscope-set>", "eval")
        except SyntaxError as exc:
            raise CommandError("SyntaxError: %s" % exc.msg)
        if frame is not None:
            g, l = frame.f_globals, frame.f_locals
        else:
            g = l = sys.modules["__main__"].__dict__
        value = self._evaluate(lambda: eval(code, g, l), owner)
        if kind == "locals":
            _set_local(obj, name, value)
            expr = name
        elif kind == "globals":
            if name not in obj.f_globals:
                raise CommandError("no global named %r" % name)
            obj.f_globals[name] = value
            expr = name
        elif kind == "value":
            container, parent = obj
            expr = _set_item(container, parent, name, value)
        else:
            raise CommandError("that variable cannot be changed")
        return self._describe(name, value, expr, owner)

    def cmd_exception_info(self, args):
        stop = self.stop
        if stop is None or stop.exc is None:
            raise CommandError("not stopped on an exception")
        exc = stop.exc
        klass = type(exc)
        module = getattr(klass, "__module__", "")
        name = klass.__qualname__ if module in ("builtins", "__main__", None, "") else "%s.%s" % (module, klass.__qualname__)
        try:
            tb = "".join(traceback.format_exception(klass, exc, exc.__traceback__))
        except Exception:
            tb = ""
        return {"type": name, "message": safe_str(exc, 2000), "traceback": tb, "mode": stop.exc_mode or "always"}

    def cmd_source(self, args):
        path = args.get("file")
        if not isinstance(path, str):
            raise CommandError("source needs a 'file'")
        lines = linecache.getlines(path)
        if not lines:
            raise CommandError("no source for %s" % path)
        return {"content": "".join(lines)}


# -- variables ----------------------------------------------------------------------


def _task_context(task):
    """The contextvars.Context a task runs in (None when it cannot be had):
    Task.get_context() from 3.12; before, the C Task keeps it where only the
    garbage collector's view of its references reaches."""
    if task is None:
        return None
    get = getattr(task, "get_context", None)
    if get is not None:
        try:
            return get()
        except Exception:
            return None
    ctx = getattr(task, "_context", None)
    if isinstance(ctx, contextvars.Context):
        return ctx
    try:
        for r in gc.get_referents(task):
            if isinstance(r, contextvars.Context):
                return r
    except Exception:
        pass
    return None


_LocalsToFast = None


def _locals_to_fast(frame):
    """Before 3.13 frame.f_locals is a snapshot dict: copy it back into the
    frame's variables (cells too), as trace functions do. 3.13+: f_locals
    writes through (PEP 667), nothing to do."""
    global _LocalsToFast
    if PY >= (3, 13):
        return
    if _LocalsToFast is None:
        try:
            import ctypes

            fn = ctypes.pythonapi.PyFrame_LocalsToFast
            fn.argtypes = [ctypes.py_object, ctypes.c_int]
            fn.restype = None
            _LocalsToFast = fn
        except Exception as exc:  # no ctypes in this build
            raise CommandError("changing a local needs ctypes, which this Python lacks (%s)" % exc)
    _LocalsToFast(frame, 0)


def _set_local(frame, name, value):
    code = frame.f_code
    known = name in code.co_varnames or name in code.co_cellvars or name in code.co_freevars
    if PY >= (3, 13):
        proxy = frame.f_locals
        if not known and name not in proxy:
            raise CommandError("no local named %r" % name)
        proxy[name] = value
        return
    d = frame.f_locals  # refreshed from the frame's variables
    if not known and name not in d:
        raise CommandError("no local named %r" % name)
    d[name] = value
    _locals_to_fast(frame)


def _set_item(container, parent, name, value):
    """Set the child `name` (as _children lists it) of a container or object;
    returns its evaluate name."""
    import collections

    if isinstance(container, dict):
        for k in list(container.keys()):
            if safe_repr(k, 80) == name:
                container[k] = value
                return _key_expr(parent, k)
        raise CommandError("no key %s in that dict any more" % name)
    if isinstance(container, (list, collections.deque)):
        try:
            i = int(name)
            container[i] = value
        except (ValueError, IndexError):
            raise CommandError("no item %s in that %s any more" % (name, type(container).__name__))
        return "%s[%d]" % (parent, i) if parent and isinstance(container, list) else None
    if isinstance(container, (tuple, set, frozenset, str, bytes)):
        raise CommandError("a %s cannot be changed in place" % type(container).__name__)
    try:
        setattr(container, name, value)
    except Exception as exc:
        raise CommandError("cannot set %s: %s" % (name, _exc_text(exc)))
    return "%s.%s" % (parent, name) if parent else None

_SCALARS = (int, float, complex, str, bytes, bytearray, bool, type(None), type(Ellipsis))


def _type_name(v):
    try:
        return type(v).__qualname__
    except Exception:
        return "?"


def _expandable(v):
    if isinstance(v, _SCALARS):
        return False
    if isinstance(v, (list, tuple, dict, set, frozenset)):
        return len(v) > 0
    return True


def _indexed_len(v):
    import collections

    if isinstance(v, (list, tuple, dict, set, frozenset, collections.deque)):
        try:
            return len(v)
        except Exception:
            return None
    return None


def _page(items, start, count):
    end = start + count if count else start + MAX_CHILDREN
    return items[start:end]


def _key_expr(parent, k):
    if parent is None:
        return None
    if isinstance(k, (str, int, float, bool, type(None), bytes)):
        return "%s[%r]" % (parent, k)
    return None


def _children(value, expr, start, count, filt):
    """[(name, value, evaluate_name)] of an expandable value, one page."""
    import collections

    if isinstance(value, dict):
        if filt == "named":
            return []
        items = list(value.items())
        return [(safe_repr(k, 80), v, _key_expr(expr, k)) for k, v in _page(items, start, count)]
    if isinstance(value, (list, tuple, collections.deque)):
        if filt == "named":
            return []
        items = list(value)
        end = start + count if count else start + MAX_CHILDREN
        return [(str(i), v, "%s[%d]" % (expr, i) if expr and not isinstance(value, collections.deque) else None) for i, v in zip(range(start, end), items[start:end])]
    if isinstance(value, (set, frozenset)):
        if filt == "named":
            return []
        items = list(value)
        try:
            items.sort()
        except TypeError:
            items.sort(key=lambda x: safe_repr(x, 80))
        end = start + count if count else start + MAX_CHILDREN
        return [(str(i), v, None) for i, v in zip(range(start, end), items[start:end])]
    if filt == "indexed":
        return []
    attrs = []
    d = getattr(value, "__dict__", None)
    if isinstance(d, dict) or type(d).__name__ == "mappingproxy":
        for k, v in list(d.items()):
            if isinstance(k, str) and not (k.startswith("__") and k.endswith("__")) and not (isinstance(value, type) and callable(v)):
                attrs.append((k, v))
    for klass in type(value).__mro__:
        for slot in getattr(klass, "__slots__", ()) if isinstance(getattr(klass, "__slots__", ()), (tuple, list)) else ():
            if slot in ("__dict__", "__weakref__") or any(slot == a for a, _ in attrs):
                continue
            try:
                attrs.append((slot, getattr(value, slot)))
            except Exception:
                pass
    if isinstance(value, BaseException):
        attrs.append(("args", value.args))
    if isinstance(value, asyncio.Future):
        attrs.append(("_state", value._state))
    attrs.sort(key=lambda kv: kv[0])
    return [(k, v, "%s.%s" % (expr, k) if expr else None) for k, v in _page(attrs, start, count)]


class _Deadline(BaseException):
    pass


def _with_deadline(fn, seconds):
    """Run fn on this thread, stopped by a line-trace deadline."""
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise _Deadline()
        return tracer

    sys.settrace(tracer)
    try:
        return fn()
    finally:
        sys.settrace(previous)


# -- backends -------------------------------------------------------------------------


class _CodeInterest(dict):
    """code -> _trace_local when frames of that code must be line-traced for a
    breakpoint (the code holds its line) or the entry stop, else None. Rebuilt
    when breakpoints change."""

    def __missing__(self, code):
        d = _dbg
        v = None
        if d is not None:
            if INJECT:
                # Breakpoints are compiled in: only the entry file and frames still
                # running code from before a breakpoint was added are traced.
                if canon(code.co_filename) == d.entry or (code in d.backend.injector.legacy and d.code_wanted(code)):
                    v = _trace_local
            elif d.file_wanted(code.co_filename) and d.code_wanted(code):
                v = _trace_local
        self[code] = v
        return v


_interest = _CodeInterest()
_slow = False  # a step, the 'raised' filter, or tracing being switched off: see _trace_global_slow


def _trace_global(frame, event, arg):
    if _slow:
        return _trace_global_slow(frame, event, arg)
    return _interest[frame.f_code]


def _trace_global_slow(frame, event, arg):
    d = _dbg
    if d is None or not d.tracing_wanted():
        sys.settrace(None)
        if d is not None:
            d.backend.applied[threading.get_ident()] = d.backend.gen
        return None
    r = _interest[frame.f_code]
    if r is not None:
        return r
    s = d.step
    if s is not None:
        if s.anywhere:
            if d.traceable(frame.f_code.co_filename):
                return _trace_local
        elif frame in s.frames:
            return _trace_local
        elif s.task is not None and s.task.done():
            d._step_anywhere(s)
            if d.traceable(frame.f_code.co_filename):
                return _trace_local
    if "raised" in d.filters and d.traceable(frame.f_code.co_filename):
        return _trace_local
    return None


def _trace_local(frame, event, arg):
    d = _dbg
    if d is None:
        return None
    if event == "line":
        d.on_line(frame)
        if not _slow and _interest[frame.f_code] is None:
            return None  # its file has no breakpoint any more
        return _trace_local
    if event == "exception":
        if "raised" in d.filters:
            d.on_raise(frame, arg[1], arg[2])
    return _trace_local


class _Injector:
    """3.8-3.11: a breakpoint is a call compiled into the code that holds its
    line, so the program pays nothing for code without breakpoints (a global
    trace function would slow every call down several times).

    For a file with breakpoints the source is parsed, a call
    ``__loopscope_bp__(LINE)`` (a builtin) is put before the statement that
    starts on each breakpoint's line (a loop header's also at the start of its
    body, a while's into its condition, so it stops at every iteration), and
    the module is compiled
    again. Every live function of that file gets the new code object of the
    same place (matched through a fresh compile of the unchanged source: code
    objects compare equal when their code is the same, whatever the file
    name); modules imported later are compiled with the calls by an import
    hook, the program itself by hold(). Frames that were already running the
    old code when a breakpoint was added (a worker's endless loop) cannot be
    changed: they are line-traced with sys.settrace until they end
    (``legacy``)."""

    def __init__(self, d):
        self.d = d
        self.installed = {}  # canon file -> frozenset of breakpoint lines compiled into its live code
        self.patched = {}  # code object we compiled (by equality) -> its key
        self.legacy = set()  # old code objects with a breakpoint line that still run
        self.lock = threading.RLock()
        self.finder = None
        self._timer = None

    # -- compiling ---------------------------------------------------------------------

    @staticmethod
    def _index(code):
        """key -> code over a module's code tree; a key is the path of
        (name, first line, rank among siblings of that name and line)."""
        out = {}
        todo = [((), code)]
        while todo:
            path, co = todo.pop()
            out[path] = co
            seen = {}
            for k in co.co_consts:
                if hasattr(k, "co_code"):
                    tag = (k.co_name, k.co_firstlineno)
                    rank = seen.get(tag, 0)
                    seen[tag] = rank + 1
                    todo.append((path + (tag + (rank,),), k))
        return out

    @staticmethod
    def _inject(tree, lines):
        import ast

        lines = set(lines)
        done = set()

        def call(line, at):
            node = ast.Expr(value=ast.Call(func=ast.Name(id="__loopscope_bp__", ctx=ast.Load()), args=[ast.Constant(value=line)], keywords=[]))
            for n in (node, node.value, node.value.func, node.value.args[0]):
                n.lineno = n.end_lineno = line
                n.col_offset = n.end_col_offset = at.col_offset
            return node

        def first_line(stmt):
            decorators = getattr(stmt, "decorator_list", None) or []
            return min([stmt.lineno] + [x.lineno for x in decorators])

        def is_docstring(body, i):
            return i == 0 and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str)

        def walk(body):
            out = []
            for i, stmt in enumerate(body):
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        setattr(stmt, field, walk(inner))
                for handler in getattr(stmt, "handlers", None) or []:
                    handler.body = walk(handler.body)
                    if handler.lineno in lines and handler.lineno not in done:
                        done.add(handler.lineno)
                        handler.body.insert(0, call(handler.lineno, handler.body[0]))
                for case in getattr(stmt, "cases", None) or []:
                    case.body = walk(case.body)
                line = first_line(stmt)
                if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                    done.add(line)  # nothing may come before it: that line cannot stop (3.8-3.11)
                if line in lines and line not in done and not is_docstring(body, i):
                    done.add(line)
                    if isinstance(stmt, ast.While) and stmt.lineno == line:
                        # Each time the condition is evaluated, as a line tracer would stop.
                        test = call(line, stmt).value
                        stmt.test = ast.BoolOp(op=ast.Or(), values=[test, stmt.test])
                        ast.copy_location(stmt.test, test)
                        stmt.test.end_lineno, stmt.test.end_col_offset = test.end_lineno, test.end_col_offset
                    elif isinstance(stmt, (ast.For, ast.AsyncFor)) and stmt.lineno == line:
                        # Before the loop and at each iteration, as a line tracer would stop.
                        out.append(call(line, stmt))
                        stmt.body.insert(0, call(line, stmt.body[0]))
                    else:
                        out.append(call(line, stmt))
                out.append(stmt)
            return out

        tree.body = walk(tree.body)
        # A line inside a statement (a continuation line): before that statement.
        for line in sorted(lines - done):
            best = None
            for node in ast.walk(tree):
                if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
                    if best is None or node.lineno >= best.lineno:
                        best = node
            if best is None:
                continue
            for parent in ast.walk(tree):
                for field in ("body", "orelse", "finalbody"):
                    seq = getattr(parent, field, None)
                    if isinstance(seq, list) and any(x is best for x in seq):
                        seq.insert(next(i for i, x in enumerate(seq) if x is best), call(line, best))
                        done.add(line)
                        break
                if line in done:
                    break
        return tree

    def compile(self, source, filename, lines):
        """The module's code with the breakpoint calls for these lines."""
        import ast

        if not lines:
            return compile(source, filename, "exec", dont_inherit=True)
        tree = self._inject(ast.parse(source, filename), lines)
        code = compile(tree, filename, "exec", dont_inherit=True)
        with self.lock:
            for key, co in self._index(code).items():
                self.patched[co] = key
        return code

    # -- applying -------------------------------------------------------------------------

    def _lines(self, c):
        return frozenset(self.d.bps.get(c, {}))

    def sync(self):
        """Bring every file's live code in line with the breakpoints set."""
        with self.lock:
            files = set(self.installed) | set(self.d.bps)
            changed = [c for c in files if self.installed.get(c, frozenset()) != self._lines(c)]
            if changed:
                _install_builtin()
                self._ensure_finder()
                functions = [f for f in gc.get_objects() if type(f).__name__ == "function"]
                for c in changed:
                    self._update(c, self._lines(c), functions)
            self._refresh_legacy()

    def _update(self, c, lines, functions):
        import importlib.util

        live = [f for f in functions if canon(getattr(f.__code__, "co_filename", "")) == c]
        filename = live[0].__code__.co_filename if live else c
        try:
            with open(c, "rb") as fh:
                source = importlib.util.decode_source(fh.read())
            original = self._index(compile(source, filename, "exec", dont_inherit=True))
            new = self._index(self.compile(source, filename, lines))
        except (OSError, SyntaxError, ValueError):
            self.installed[c] = lines
            return
        key_of = {co: key for key, co in original.items()}
        for f in live:
            code = f.__code__
            key = self.patched.get(code)
            if key is None:
                key = key_of.get(code)
            if key is None:
                continue  # not this file's code as it is on disk now (edited since it was loaded)
            target = new.get(key)
            if target is None or target is code or target.co_freevars != code.co_freevars:
                continue
            try:
                f.__code__ = target
            except (TypeError, ValueError):
                pass
        self.installed[c] = lines
        # Frames running old code of this file now: traced until they end.
        for frame in self._live_frames():
            code = frame.f_code
            if canon(code.co_filename) != c:
                continue
            key = self.patched.get(code)
            if key is None:
                key = key_of.get(code)
            if key is not None and new.get(key) is not code and self.d.code_wanted(code):
                self.legacy.add(code)

    @staticmethod
    def _live_frames():
        frames = []
        for obj in gc.get_objects():
            name = type(obj).__name__
            if name in ("coroutine", "generator", "async_generator"):
                f = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None) or getattr(obj, "ag_frame", None)
                if f is not None:
                    frames.append(f)
        for top in sys._current_frames().values():
            f = top
            while f is not None:
                frames.append(f)
                f = f.f_back
        return frames

    def _refresh_legacy(self):
        """Forget old code that no frame runs any more."""
        if not self.legacy:
            return
        running = {f.f_code for f in self._live_frames()}
        self.legacy = {co for co in self.legacy if co in running and self.d.code_wanted(co)}
        if self.legacy and self._timer is None:
            self._timer = threading.Timer(5.0, self._recheck)
            self._timer.daemon = True
            self._timer.start()

    def _recheck(self):
        self._timer = None
        before = len(self.legacy)
        with self.lock:
            self._refresh_legacy()
        if len(self.legacy) != before:
            self.d.reconfigure()

    # -- the program and later imports ------------------------------------------------------

    def main_code(self, code, path):
        """hold(): the program's own code, with its breakpoints compiled in."""
        c = canon(path)
        lines = self._lines(c)
        if not lines:
            return code
        import importlib.util

        try:
            with open(path, "rb") as fh:
                source = importlib.util.decode_source(fh.read())
            new = self.compile(source, code.co_filename, lines)
        except (OSError, SyntaxError, ValueError):
            return code
        _install_builtin()
        self._ensure_finder()
        with self.lock:
            self.installed[c] = lines
        return new

    def _ensure_finder(self):
        if self.finder is None:
            self.finder = _BreakpointFinder(self)
            sys.meta_path.insert(0, self.finder)


class _BreakpointFinder:
    """A meta path finder that hands modules holding breakpoints to a loader
    compiling the breakpoint calls in; every other import goes on as usual."""

    def __init__(self, injector):
        self.injector = injector

    def find_spec(self, fullname, path=None, target=None):
        d = self.injector.d
        if not d.bps:
            return None
        import importlib.machinery

        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        except Exception:
            return None
        if spec is None or not spec.origin or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        if canon(spec.origin) not in d.bps:
            return None
        spec.loader = _BreakpointLoader(spec.loader.name, spec.loader.path, self.injector)
        return spec

    def invalidate_caches(self):
        pass


def _breakpoint_loader_class():
    import importlib.machinery
    import importlib.util

    class Loader(importlib.machinery.SourceFileLoader):
        def __init__(self, fullname, path, injector):
            importlib.machinery.SourceFileLoader.__init__(self, fullname, path)
            self.injector = injector

        def get_code(self, fullname):
            source = importlib.util.decode_source(self.get_data(self.path))
            c = canon(self.path)
            lines = self.injector._lines(c)
            code = self.injector.compile(source, self.path, lines)
            with self.injector.lock:
                self.injector.installed[c] = lines
            return code

    return Loader


def _BreakpointLoader(fullname, path, injector):
    global _LOADER
    if _LOADER is None:
        _LOADER = _breakpoint_loader_class()
    return _LOADER(fullname, path, injector)


_LOADER = None


def _bp_hook(line):
    """__loopscope_bp__(LINE), compiled in before a breakpoint's line (3.8-3.11)."""
    d = _dbg
    if d is None:
        return
    frame = sys._getframe(1)
    t = d.traced_line
    if t is not None and t[0] is frame and t[1] == line:
        d.traced_line = None  # the line tracer has just handled this line
        return
    lines = d.bps.get(canon(frame.f_code.co_filename))
    found = lines.get(line) if lines else None
    if found:
        d._hit(frame, found)


def _install_builtin():
    import builtins

    if getattr(builtins, "__loopscope_bp__", None) is not _bp_hook:
        builtins.__loopscope_bp__ = _bp_hook


class _Settrace:
    """3.8-3.11: sys.settrace, per thread."""

    def __init__(self, d):
        self.d = d
        self.gen = 0
        self.applied = {}  # thread ident -> gen its trace state matches
        self.traced = set()  # idents that have our trace function installed
        self.injector = _Injector(d)

    def reconfigure(self):
        global _interest, _slow
        d = self.d
        self.injector.sync()
        want = d.tracing_wanted()
        _interest = _CodeInterest()
        _slow = d.step is not None or "raised" in d.filters or not want
        self.gen += 1
        threading.settrace(_trace_global if want else None)
        if (want or self.traced) and self._loop_threads_behind():
            # Loop threads install (or drop) the trace function themselves at
            # their next iteration: raise the pause flag and wake them.
            hooks.pause_requested = True
            for st in list(d.session.loops.values()):
                loop = st.loop_ref()
                if loop is not None and not st.closed:
                    _wake(loop)

    def _loop_threads_behind(self):
        for st in list(self.d.session.loops.values()):
            if st.closed or st.loop_ref() is None or st.thread_ident is None:
                continue
            if self.applied.get(st.thread_ident) != self.gen and (self.d.tracing_wanted() or st.thread_ident in self.traced):
                return True
        return False

    def sync_pending(self):
        return self._loop_threads_behind()

    def prepare_thread(self, frame):
        """On a program thread: match its trace function to what is wanted and
        trace the frames already running that need it."""
        d = self.d
        ident = threading.get_ident()
        if d.tracing_wanted():
            if sys.gettrace() is not _trace_global:
                sys.settrace(_trace_global)
            self.traced.add(ident)
            s = d.step
            f = frame
            while f is not None:
                if _interest[f.f_code] is not None or (s is not None and (f in s.frames or (s.anywhere and d.traceable(f.f_code.co_filename)))):
                    f.f_trace = _trace_local
                    f.f_trace_lines = True
                f = f.f_back
        else:
            if sys.gettrace() is _trace_global:
                sys.settrace(None)
            self.traced.discard(ident)
        self.applied[ident] = self.gen


class _Monitor:
    """3.12+: sys.monitoring, process-wide."""

    def __init__(self, d):
        self.d = d
        M = sys.monitoring
        self.M = M
        self.E = M.events
        self.tool = None
        self.lock = threading.RLock()
        self.instrumented = set()  # code objects with LINE local events
        self.codes_by_file = {}  # canon file -> set of code objects seen
        self.applied = {}

    def _ensure_tool(self):
        if self.tool is not None:
            return True
        M = self.M
        for tid in (M.DEBUGGER_ID, 1, 3, 4, 5):
            if M.get_tool(tid) is None:
                M.use_tool_id(tid, "loopscope")
                self.tool = tid
                break
        else:
            return False
        M.register_callback(self.tool, self.E.PY_START, self._on_start)
        M.register_callback(self.tool, self.E.LINE, self._on_line)
        M.register_callback(self.tool, self.E.RAISE, self._on_raise)
        return True

    def sync_pending(self):
        return False

    def prepare_thread(self, frame):
        pass

    def _codes_of(self, c):
        """Every code object of file c that exists now (functions, nested code,
        running and suspended frames); later ones are caught by PY_START."""
        codes = self.codes_by_file.get(c)
        if codes is not None:
            return codes
        codes = set()
        todo = []
        for obj in gc.get_objects():
            code = None
            if type(obj).__name__ in ("function", "coroutine", "generator", "async_generator"):
                code = getattr(obj, "__code__", None) or getattr(obj, "cr_code", None) or getattr(obj, "gi_code", None) or getattr(obj, "ag_code", None)
            if code is not None and canon(code.co_filename) == c:
                todo.append(code)
        for top in sys._current_frames().values():
            f = top
            while f is not None:
                if canon(f.f_code.co_filename) == c:
                    todo.append(f.f_code)
                f = f.f_back
        while todo:
            code = todo.pop()
            if code in codes:
                continue
            codes.add(code)
            for k in code.co_consts:
                if hasattr(k, "co_code"):
                    todo.append(k)
        self.codes_by_file[c] = codes
        return codes

    def reconfigure(self):
        d = self.d
        E = self.E
        with self.lock:
            files = set(d.bp_files)
            if d.entry:
                files.add(d.entry)
            s = d.step
            raised = "raised" in d.filters
            if not files and s is None and not raised and self.tool is None:
                return
            if not self._ensure_tool():
                return
            global_events = 0
            if files:
                global_events |= E.PY_START
            if s is not None and s.anywhere:
                global_events |= E.LINE
            if raised:
                global_events |= E.RAISE
            wanted = set()
            for c in files:
                wanted.update(code for code in self._codes_of(c) if d.code_wanted(code))
            if s is not None and not s.anywhere:
                wanted |= {f.f_code for f in s.frames}
            M = self.M
            for code in self.instrumented - wanted:
                try:
                    M.set_local_events(self.tool, code, 0)
                except ValueError:
                    pass
            for code in wanted - self.instrumented:
                try:
                    M.set_local_events(self.tool, code, E.LINE)
                except ValueError:
                    pass
            self.instrumented = wanted
            M.set_events(self.tool, global_events)
            M.restart_events()

    def _on_start(self, code, offset):
        d = _dbg
        if d is not None and d.file_wanted(code.co_filename):
            with self.lock:
                self.codes_by_file.setdefault(canon(code.co_filename), set()).add(code)
                if d.code_wanted(code):
                    self.M.set_local_events(self.tool, code, self.E.LINE)
                    self.instrumented.add(code)
        return self.M.DISABLE

    def _on_line(self, code, line):
        d = _dbg
        if d is None:
            return self.M.DISABLE
        if d.on_line(sys._getframe(1)):
            return None
        if d.step is None and d.entry is None:
            return self.M.DISABLE
        return None

    def _on_raise(self, code, offset, exc):
        d = _dbg
        if d is not None:
            d.on_raise(sys._getframe(1), exc, exc.__traceback__)


# -- excepthooks ----------------------------------------------------------------------


def _excepthook(etype, value, tb):
    d = _dbg
    if d is not None:
        try:
            d.uncaught(value, tb)
        except Exception:
            pass
        prev = d._prev_excepthook or sys.__excepthook__
    else:
        prev = sys.__excepthook__
    return prev(etype, value, tb)


def _thread_excepthook(args):
    d = _dbg
    if d is not None:
        try:
            d.uncaught(args.exc_value, args.exc_traceback, thread=getattr(args.thread, "name", None))
        except Exception:
            pass
        prev = d._prev_thread_excepthook or threading.__excepthook__
    else:
        prev = threading.__excepthook__
    return prev(args)


# -- installing ------------------------------------------------------------------------

COMMANDS = (
    "start",
    "detach",
    "set_options",
    "set_breakpoints",
    "set_filters",
    "continue",
    "step",
    "threads",
    "frames",
    "scopes",
    "vars",
    "eval",
    "set_var",
    "exception_info",
    "source",
)


def _debugger_of(controller):
    d = controller.__dict__.get("_ls_debugger")
    if d is None:
        with _install_lock:
            d = controller.__dict__.get("_ls_debugger")
            if d is None:
                d = controller._ls_debugger = Debugger(controller)
                _setup(d, controller)
    return d


def _setup(d, c):
    global _dbg
    _dbg = d
    pause, resume = c.cmd_pause, c.cmd_resume

    def cmd_pause(args):
        d.pause_wanted = True
        return pause(args)

    def cmd_resume(args):
        d.pause_wanted = False
        out = resume(args)
        if d.backend.sync_pending():
            hooks.pause_requested = True
        return out

    c.cmd_pause = cmd_pause
    c.cmd_resume = cmd_resume
    hooks._park = d._park


def _command(name):
    def cmd(self, args):
        return getattr(_debugger_of(self), "cmd_" + name)(args)

    cmd.__name__ = "cmd_" + name
    return cmd


_install_lock = threading.Lock()
# Importing this module gives every Controller the debugger's commands, so they
# answer from the first request on (the control thread serves as soon as the
# connection is up, before install() runs).
for _name in COMMANDS:
    setattr(Controller, "cmd_" + _name, _command(_name))


def install(rt):
    """Bind the debugger to this Runtime: its drain (flushed at each stop) and
    the end of its control connections. Idempotent."""
    if rt is None:
        return None
    d = _debugger_of(rt.controller)
    if d.rt is rt:
        return d
    d.rt = rt
    rt.debugger = d
    # The control connection's end is the debugger's end: watch the threads
    # serving it, now (run --connect) and for each later attach (listen).
    for t in threading.enumerate():
        if t.name == "loopscope-control" and t.is_alive():
            d.watch(t)
    serve = rt.serve

    def watched_serve(chan):
        t = serve(chan)
        d.watch(t)
        return t

    rt.serve = watched_serve
    return d


def hold(rt, target):
    """run --hold: wait on the main thread until the debugger has sent its
    breakpoints (the 'start' command). False when it went away first."""
    d = install(rt)
    d.launched = True
    if target.path is not None:
        d.entry_file = target.path
    elif target.module is not None:
        try:
            import importlib.util

            spec = importlib.util.find_spec(target.module)
            d.entry_file = spec.origin if spec is not None else None
        except Exception:
            d.entry_file = None
    with d.cond:
        while not d.started and not d.gone:
            d.cond.wait(0.5)
    if not d.started:
        return False
    if d.stop_on_entry and d.entry_file:
        d.entry = canon(d.entry_file)
        d.reconfigure()
    if INJECT and target.code is not None and target.path is not None:
        target.code = d.backend.injector.main_code(target.code, target.path)
    d.backend.prepare_thread(sys._getframe(1))
    return True
