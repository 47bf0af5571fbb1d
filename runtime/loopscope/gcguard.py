"""Keeps the program's garbage collections off the drain thread.

An automatic collection runs on the thread whose allocation crosses the
threshold, and runs the finalizers (``__del__``, weakref callbacks) of all the
program's garbage there. Without Loopscope a single-threaded asyncio program
runs them all on its loop thread; with it, the drain thread's allocations would
start some collections, so the program's finalizers would run on a thread it
never made, and a ``gc.collect()`` made meanwhile returns without collecting
(CPython's test_log_destroyed_pending_task failed that way under the tracer;
test/runtime/test_gcguard.py).

So the drain thread works with automatic collection off (``gc.disable()``).
When the program crossed the threshold meanwhile, collection stays off until
the loop thread's next iteration turns it back on, so the deferred collection
runs there. The program still sees its own view:
``gc.isenabled()`` answers what it last asked for, and a ``gc.disable()`` or
``gc.enable()`` it makes while the drain holds collection off takes effect when
the drain lets go. ``gc.collect()`` is untouched (it works while disabled).
"""
import gc
import threading
from time import monotonic as _monotonic
from time import sleep as _sleep

from . import hooks

_real = {"enable": gc.enable, "disable": gc.disable, "isenabled": gc.isenabled}
_get_count, _get_threshold = gc.get_count, gc.get_threshold
_lock = threading.Lock()
_held = False  # collection is off because the drain thread turned it off
_wanted = True  # what the program asked for while _held
_holders = 0
_pending_since = None  # when the drain last kept collection off past a crossed threshold


def _enable():
    global _wanted
    with _lock:
        if _held:
            _wanted = True
            return
        _real["enable"]()


def _disable():
    global _wanted
    with _lock:
        if _held:
            _wanted = False
            return
        _real["disable"]()


def _isenabled():
    with _lock:
        return _wanted if _held else _real["isenabled"]()


_enable.__doc__ = gc.enable.__doc__
_disable.__doc__ = gc.disable.__doc__
_isenabled.__doc__ = gc.isenabled.__doc__
_installed = False


def _let_go():
    """Stop holding collection off (the caller holds _lock); True when that
    turned it back on."""
    global _held, _pending_since
    _held = False
    _pending_since = None
    hooks.gc_release_requested = False
    if _wanted:
        _real["enable"]()
        return True
    return False


def install():
    global _installed
    if not _installed:
        gc.enable, gc.disable, gc.isenabled = _enable, _disable, _isenabled
        _installed = True


def uninstall():
    global _installed
    with _lock:
        if _installed and not _holders:
            if _held:
                _let_go()
            gc.enable, gc.disable, gc.isenabled = _real["enable"], _real["disable"], _real["isenabled"]
            _installed = False


class Hold:
    """``with hold:`` automatic collection is off for the block (when the
    program has it on); the drain's work goes in it. Re-entrant and shared: the
    final drain on the main thread may overlap the drain thread's last turn."""

    __slots__ = ()

    def __enter__(self):
        global _held, _wanted, _holders
        with _lock:
            if _installed:
                if _holders == 0 and not _held and _real["isenabled"]():
                    _real["disable"]()
                    _held = True
                    _wanted = True
                _holders += 1
        return self

    def __exit__(self, *exc):
        global _holders, _pending_since
        with _lock:
            if _holders:
                _holders -= 1
                if _holders == 0 and _held and _wanted:
                    if _get_count()[0] < _get_threshold()[0]:
                        _let_go()
                    elif _pending_since is None:
                        # The program went past the threshold while we held
                        # collection off: the next tracked allocation after
                        # enabling collects, on whatever thread makes it. The
                        # loop thread enables it (release_on_loop_thread) so it
                        # is the one; the drain thread keeps it off till then.
                        _pending_since = _monotonic()
                        hooks.gc_release_requested = True
                elif _holders == 0 and _held:
                    _let_go()  # the program turned collection off meanwhile
        return False


def release_on_loop_thread():
    """From a loop iteration (hooks._run_once): collection back on, so the
    deferred collection runs on this thread at its next allocation."""
    hooks.gc_release_requested = False
    with _lock:
        if _held and _holders == 0 and _pending_since is not None:
            _let_go()


def release_if_stale(max_wait_s=0.5):
    """From the drain thread between turns: no loop iterated for a while (the
    program is in synchronous code or every loop is idle), so collection comes
    back on anyway rather than stay off. Then nothing tracked is allocated
    before the GIL goes to the program's threads (a sleep: METH_O, constant
    argument; no ``with`` block, whose exit call builds a tuple), so a busy
    program thread trips the collection."""
    since = _pending_since
    if since is None or _monotonic() - since <= max_wait_s:
        return
    enabled = False
    _lock.acquire()
    if _pending_since is not None and _holders == 0 and _held:
        enabled = _let_go()
    _lock.release()
    if enabled:
        _sleep(0.002)


hold = Hold()
