"""Starting and ending a traced run: where events go (a trace file, a connected
debugger, or a listener waiting for one), the watchdog, and the last words
(``program/exit``) whatever way the program ends, ``os._exit`` included.
The slow-callback threshold of the watchdog is given here (``--slow-callback-ms``,
``listen(slow_callback_ms=...)``) and may be changed by the debugger
(``set-watchdog``)."""
import asyncio
import atexit
import os
import socket
import sys
import threading
import traceback

from . import _protocol as P
from . import drain, gcguard
from . import hooks
from . import recorder as R
from . import wire
from .control import CommandError, Controller
from .drain import Drainer
from .watchdog import Watchdog, threshold_ms


current = None  # the one Runtime of this process


def _hello_fields(session):
    return {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "pid": os.getpid(),
        "origin_ns": session.origin_ns,
        "argv": [str(a) for a in sys.argv],
    }


class FileSink:
    """A recording: the same JSON lines as on the wire, one message a line."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.lock = threading.Lock()

    def send(self, msg):
        data = wire.encode(msg)
        with self.lock:
            if self.f is None:
                return False
            self.f.write(data)
            self.f.flush()
            return True

    def close(self):
        with self.lock:
            if self.f is not None:
                self.f.close()
                self.f = None


class SwitchSink:
    """Listen mode: events go to whichever debugger is attached, else nowhere."""

    def __init__(self):
        self.chan = None

    def send(self, msg):
        chan = self.chan
        if chan is None:
            return False
        if not chan.send(msg):
            self.chan = None
            return False
        return True

    def close(self):
        chan, self.chan = self.chan, None
        if chan is not None:
            chan.close()


class TeeSink:
    def __init__(self, *sinks):
        self.sinks = sinks

    def send(self, msg):
        ok = False
        for s in self.sinks:
            ok = s.send(msg) or ok
        return ok

    def close(self):
        for s in self.sinks:
            s.close()


class Runtime:
    def __init__(self, sink, slow_callback_ms=None):
        self.session = R.Session()
        self.sink = sink
        self.drainer = Drainer(self.session, sink)
        self.controller = Controller(self.session, self._send_now)
        self.exit_code = 0
        self.finished = False
        self.finish_lock = threading.Lock()
        self.watchdog = Watchdog(self.session, slow_callback_ms)
        self.drainer.ticks.append(self.watchdog.check)
        # Every chunk the drain takes passes the watchdog, which adds the slow task steps in it.
        take = self.session.take
        self.session.take = lambda: self.watchdog.inspect(take())
        self.controller.cmd_set_watchdog = self._cmd_set_watchdog

    def _send_now(self, msg):
        kind = msg.get("kind")
        if kind == P.LOOP_PAUSED:
            self.watchdog.loop_paused(msg["loop"])
        elif kind == P.LOOP_RESUMED:
            self.watchdog.loop_resumed(msg["loop"])
        return self.sink.send(msg)

    def _cmd_set_watchdog(self, args):
        """Control command set-watchdog {slow_callback_ms}: the debugger's threshold."""
        if args.get("slow_callback_ms") is not None:
            try:
                self.watchdog.set_threshold(args["slow_callback_ms"])
            except ValueError as exc:
                raise CommandError(str(exc))
        return {"slow_callback_ms": self.watchdog.threshold}

    def start(self):
        hooks.install(self.session)
        gcguard.install()
        self.drainer.start()
        atexit.register(self.finish)

    def serve(self, chan):
        """Answer control requests on a connected channel until it closes."""

        def loop():
            while True:
                try:
                    msg = chan.receive()
                except wire.ProtocolError as exc:
                    # Malformed input loses nothing: say so and keep serving.
                    chan.send({"kind": P.CONTROL_RESPONSE, "id": 0, "ok": False, "error": "rejected message: %s" % exc})
                    continue
                except (OSError, ValueError):
                    return
                if msg is None:
                    return
                if msg["kind"] == P.CONTROL_REQUEST:
                    chan.send(self.controller.handle(msg))
                else:
                    chan.send({"kind": P.CONTROL_RESPONSE, "id": 0, "ok": False, "error": "unexpected %s" % msg["kind"]})

        t = threading.Thread(target=loop, name="loopscope-control", daemon=True)
        t.start()
        return t

    def finish(self, code=None):
        """Flush everything, say program/exit, close. Safe to call twice."""
        with self.finish_lock:
            if self.finished:
                return
            self.finished = True
        if code is not None:
            self.exit_code = code
        try:
            self.drainer.stop()
            self.watchdog.close()
            s = self.session
            for st in list(s.loops.values()):
                s.flush(st)
            self.drainer.drain_once(force_sample=True, lock_timeout=5)
            self.sink.send({"kind": P.PROGRAM_EXIT, "code": int(self.exit_code), "ts": R.now_ns() - s.origin_ns})
        except Exception:
            try:
                sys.stderr.write("loopscope: could not send the end of the trace: %s\n" % (sys.exc_info()[1],))
            except Exception:
                pass
        finally:
            hooks.uninstall()
            gcguard.uninstall()
            self.sink.close()


def on_os_exit(code):
    rt = current
    if rt is not None:
        try:
            rt.finish(code)
        except Exception:
            pass


def start_recording(path, slow_callback_ms=None):
    global current
    sink = FileSink(path)
    rt = Runtime(sink, slow_callback_ms)
    sink.send(dict({"kind": P.SESSION_HELLO, "protocol": P.PROTOCOL_VERSION, "token": "", "role": "recording"}, **_hello_fields(rt.session)))
    rt.start()
    current = rt
    return rt


def start_connected(host, port, token, record=None, slow_callback_ms=None):
    """--connect: the debugger listens, we connect. Raises on failure, before
    the program has run."""
    global current
    session_probe = R.Session()
    chan = wire.connect(host, port, token, _hello_fields(session_probe))
    sinks = [chan]
    if record:
        fs = FileSink(record)
        fs.send(dict({"kind": P.SESSION_HELLO, "protocol": P.PROTOCOL_VERSION, "token": "", "role": "recording"}, **_hello_fields(session_probe)))
        sinks.append(fs)
    rt = Runtime(TeeSink(*sinks) if len(sinks) > 1 else chan, slow_callback_ms)
    rt.session.origin_ns = session_probe.origin_ns
    rt.start()
    rt.serve(chan)
    current = rt
    return rt


def listen(port=0, token=None, host="127.0.0.1", slow_callback_ms=None):
    """Trace this process and wait for a debugger to attach on host:port.
    Returns (host, port) actually bound. The token is required."""
    global current
    if slow_callback_ms is not None:
        threshold_ms(slow_callback_ms)  # ValueError before anything starts
    if not token:
        raise ValueError("loopscope.listen() needs a token: the debugger must present it to attach")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("loopscope.listen() binds to loopback only (127.0.0.1), not %r" % (host,))
    if current is not None:
        raise RuntimeError("loopscope is already tracing this process")
    sink = SwitchSink()
    rt = Runtime(sink, slow_callback_ms)
    srv = socket.socket(socket.AF_INET6 if host == "::1" else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host if host != "localhost" else "127.0.0.1", port))
    srv.listen(4)
    rt.start()
    current = rt

    def accept_loop():
        while True:
            try:
                sock, _addr = srv.accept()
            except OSError:
                return
            sock.settimeout(wire.HANDSHAKE_TIMEOUT_S)
            chan = wire.Channel(sock)
            if wire.accept_hello(chan, token, _hello_fields(rt.session)) is not None:
                continue
            sock.settimeout(None)
            if sink.chan is not None:
                sink.chan.close()
            with rt.drainer.send_lock:
                sink.chan = chan
                _announce_existing(rt, chan)
            rt.serve(chan).join()
            if sink.chan is chan:
                sink.chan = None
            if sink.chan is None:
                # Detached: the program runs on, untouched by any pause.
                rt.controller.cmd_resume({})

    threading.Thread(target=accept_loop, name="loopscope-listen", daemon=True).start()
    return srv.getsockname()[:2]


def _announce_existing(rt, chan):
    """An attaching debugger missed the creations: describe what exists now."""
    s = rt.session
    events = []
    ts = R.now_ns() - s.origin_ns
    for st in list(s.loops.values()):
        loop = st.loop_ref()
        if loop is None or st.closed:
            continue
        events.append({"kind": P.LOOP_CREATED, "loop": st.id, "ts": ts, "thread": st.thread_name, "cls": type(loop).__qualname__})
        for task in drain._all_tasks(loop):
            tid = drain.task_id(task, s)
            if not tid:
                # Made before tracing began: adopted, and announced in the next batch.
                hooks._foreign_task_id(task, st)
                continue
            events.append(
                {
                    "kind": P.TASK_CREATED,
                    "task": tid,
                    "loop": st.id,
                    "ts": ts,
                    "name": str(task.get_name()),
                    "coro": drain.coro_name(task),
                    "site": None,
                    "parent": None,
                    "eager": False,
                }
            )
    for q in drain._copy(s.queues):
        qid = getattr(q, "_ls_id", None)
        if qid:
            events.append({"kind": P.QUEUE_CREATED, "queue": qid, "ts": ts, "type": type(q).__qualname__, "maxsize": int(q.maxsize), "site": None})
    for p in drain._copy(s.prims):
        pid = getattr(p, "_ls_id", None)
        if pid:
            events.append({"kind": P.SYNC_CREATED, "prim": pid, "ts": ts, "type": type(p).__qualname__, "site": None})
    rt.drainer._signatures.clear()  # resend every sample to the new debugger
    rt.drainer.announced.update(e.get("queue") or e.get("prim") or e.get("loop") for e in events if e["kind"] != P.TASK_CREATED)
    rt.drainer.seq += 1
    chan.send({"kind": P.EVENTS_BATCH, "seq": rt.drainer.seq, "events": events, "dropped": s.dropped})
