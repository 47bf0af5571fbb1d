"""Control of traced loops from another thread: pause between callbacks, run one
iteration, resume, snapshot, async stacks, evaluate, cancel a task.

A paused loop parks in ``park()`` on a Condition, which releases the GIL, so the
control thread keeps answering while the loop is paused. A loop stuck in a
blocking call cannot park, but snapshots and stacks still answer: they read
the loop's structures (deques, heaps, coroutine frames) without its help.
"""
import asyncio
import sys
import threading
import traceback

from . import _protocol as P
from . import drain
from . import hooks
from . import recorder as R
from .safe_repr import safe_repr, safe_str

MAX_STACK = 64


class Controller:
    def __init__(self, session, send):
        self.session = session
        self.send = send  # send(msg) -> bool, thread-safe
        self.cond = threading.Condition()
        self.step_loops = set()  # loop ids told to run one iteration
        self.step_until = {}  # loop id -> iteration at which it parks again
        self.frames = {}  # frame ref -> frame object, valid while paused
        self.next_ref = 1
        hooks._park = self.park

    # -- on the loop thread ---------------------------------------------------------

    def park(self, loop, st, reason):
        """Block the loop thread until resumed (called between callbacks)."""
        until = self.step_until.get(st.id)
        if until is not None:
            if st.iterations < until:
                return  # still inside the iteration being stepped
            del self.step_until[st.id]
            reason = "step"
        self.session.flush(st)
        st.paused = True
        self.send({"kind": P.LOOP_PAUSED, "loop": st.id, "reason": reason, "ts": R.now_ns() - self.session.origin_ns})
        with self.cond:
            while hooks.pause_requested and not self._stepping(st):
                self.cond.wait(0.5)
        st.paused = False
        self.send({"kind": P.LOOP_RESUMED, "loop": st.id, "ts": R.now_ns() - self.session.origin_ns})

    def _stepping(self, st):
        if st.id in self.step_loops:
            self.step_loops.discard(st.id)
            self.step_until[st.id] = st.iterations + 1
            return True
        return False

    # -- on the control thread ------------------------------------------------------

    def handle(self, msg):
        """A control/request -> control/response."""
        rid = msg.get("id", 0)
        command = msg.get("command")
        args = msg.get("args") if isinstance(msg.get("args"), dict) else {}
        fn = getattr(self, "cmd_" + str(command).replace("-", "_"), None)
        if fn is None:
            return {"kind": P.CONTROL_RESPONSE, "id": rid, "ok": False, "error": "unknown command %r" % (command,)}
        try:
            body = fn(args)
        except CommandError as exc:
            return {"kind": P.CONTROL_RESPONSE, "id": rid, "ok": False, "error": str(exc)}
        except Exception as exc:  # a bug here must not take the program down
            return {
                "kind": P.CONTROL_RESPONSE,
                "id": rid,
                "ok": False,
                "error": "internal error in %s: %s\n%s" % (command, exc, traceback.format_exc()),
            }
        return {"kind": P.CONTROL_RESPONSE, "id": rid, "ok": True, "body": body}

    def _loops(self):
        out = []
        for st in list(self.session.loops.values()):
            loop = st.loop_ref()
            if loop is not None and not st.closed:
                out.append((st, loop))
        return out

    def cmd_pause(self, args):
        hooks.pause_requested = True
        for st, loop in self._loops():
            if not st.paused:
                _wake(loop)
        return {"loops": [st.id for st, _ in self._loops()]}

    def cmd_resume(self, args):
        with self.cond:
            hooks.pause_requested = False
            self.frames.clear()
            self.cond.notify_all()
        return {}

    def cmd_step_loop(self, args):
        """Let paused loops run exactly one iteration, then park again."""
        with self.cond:
            targets = [st for st, _ in self._loops() if st.paused]
            if "loop" in args:
                targets = [st for st in targets if st.id == args["loop"]]
            if not targets:
                raise CommandError("no paused loop to step")
            for st in targets:
                self.step_loops.add(st.id)
            self.frames.clear()
            self.cond.notify_all()
        return {"loops": [st.id for st in targets]}

    def cmd_snapshot(self, args):
        loops = []
        tasks = []
        for st, loop in self._loops():
            loops.append(
                {"loop": st.id, "thread": st.thread_name, "paused": st.paused, "iterations": st.iterations}
            )
            for task in drain._all_tasks(loop):
                tid = drain.task_id(task, self.session)
                if not tid:
                    continue
                tasks.append(self._task_snapshot(task, tid, st))
        return {"loops": loops, "tasks": tasks, "paused": hooks.pause_requested}

    def _task_snapshot(self, task, tid, st):
        waiter = task._fut_waiter
        wid = None
        if waiter is not None:
            wid = drain.task_id(waiter, self.session) or self.session.future_id(waiter)
        running = asyncio.current_task(st.loop_ref()) is task
        return {
            "task": tid,
            "loop": st.id,
            "name": safe_str(task.get_name()),
            "coro": drain.coro_name(task),
            "state": "running" if running else drain.future_state(task),
            "waits": wid,
            "stack": [f for f, _ in self._stack(task)],
        }

    def _stack(self, task):
        """The task's async call chain, innermost frame first: [(Frame, frame)]."""
        chain = []
        coro = task.get_coro()
        depth = 0
        while coro is not None and depth < MAX_STACK:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                chain.append(frame)
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
            depth += 1
        chain.reverse()
        return [({"file": f.f_code.co_filename, "line": f.f_lineno, "func": f.f_code.co_name}, f) for f in chain]

    def _find_task(self, tid):
        for st, loop in self._loops():
            for task in drain._all_tasks(loop):
                if drain.task_id(task, self.session) == tid:
                    return task, st, loop
        raise CommandError("no live task with id %r" % (tid,))

    def cmd_stack(self, args):
        task, _st, _loop = self._find_task(args.get("task"))
        frames = []
        for info, frame in self._stack(task):
            ref = self.next_ref
            self.next_ref += 1
            self.frames[ref] = frame
            frames.append(dict(info, ref=ref))
        return {"frames": frames}

    def cmd_variables(self, args):
        frame = self.frames.get(args.get("frame"))
        if frame is None:
            raise CommandError("unknown or expired frame %r (frames expire when the loop resumes)" % (args.get("frame"),))
        return {"variables": [{"name": k, "value": safe_repr(v), "type": type(v).__qualname__} for k, v in frame.f_locals.items()]}

    def cmd_evaluate(self, args):
        expression = args.get("expression")
        if not isinstance(expression, str):
            raise CommandError("evaluate needs an 'expression' string")
        frame = self.frames.get(args.get("frame")) if args.get("frame") is not None else None
        scope_globals = frame.f_globals if frame is not None else sys.modules["__main__"].__dict__
        scope_locals = frame.f_locals if frame is not None else None
        try:
            value = eval(compile(expression, "<loopscope-eval>", "eval"), scope_globals, scope_locals)
        except BaseException as exc:  # user code: report, never raise
            raise CommandError("%s: %s" % (type(exc).__name__, safe_str(exc)))
        return {"value": safe_repr(value), "type": type(value).__qualname__}

    def cmd_cancel_task(self, args):
        task, _st, loop = self._find_task(args.get("task"))
        message = args.get("message")
        if message is not None and sys.version_info >= (3, 9):
            loop.call_soon_threadsafe(task.cancel, str(message))
        else:
            loop.call_soon_threadsafe(task.cancel)
        return {"task": args.get("task")}


class CommandError(Exception):
    pass


def _wake(loop):
    """Make a loop sleeping in select() come round to its pause check."""
    write = getattr(loop, "_write_to_self", None)
    if write is not None:
        try:
            write()
        except Exception:
            pass
