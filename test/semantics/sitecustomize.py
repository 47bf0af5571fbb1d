"""Installs the Loopscope tracer in every Python process that starts with this
file's directory first on PYTHONPATH and LOOPSCOPE_SEMANTICS_TRACE=1.

run_asyncio_suite.py copies this file into a temp dir and runs CPython's
asyncio test suite with that dir (and the repo's runtime/) on PYTHONPATH, so
the regrtest main process, its -j workers and every Python subprocess the tests
start trace all of their loops, exactly as a user's program under Loopscope:

    rt = lifecycle.Runtime(lifecycle.SwitchSink())   # events go nowhere
    rt.start()                                       # every hook, drain + watchdog threads

Proof that tracing really happened (a run that silently stays untraced proves
nothing): when LOOPSCOPE_SEMANTICS_MARKERS names a directory, each process
appends JSON lines to <dir>/<pid>.jsonl: one when tracing starts (or fails to)
and one at exit with its final argv, whether the tracer was still installed,
how many loops, loop iterations and ids it saw, and any internal error the
runtime reported (an internal error uninstalls the tracer: that would be a
runtime bug, and the rest of that process would run untraced).

With LOOPSCOPE_SEMANTICS_TRACE unset or not "1" this file does nothing but
hand over to any other sitecustomize further down sys.path.
"""
import os
import sys


def _chain_next_sitecustomize():
    """This file shadows any sitecustomize the interpreter has: run that one too."""
    here = os.path.dirname(os.path.abspath(__file__))
    import importlib.machinery
    import importlib.util

    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def _marker_writer():
    directory = os.environ.get("LOOPSCOPE_SEMANTICS_MARKERS")
    if not directory:
        return lambda record: None
    import json

    path = os.path.join(directory, "%d.jsonl" % os.getpid())

    def write(record):
        try:
            with open(path, "a") as f:
                f.write(json.dumps(record) + "\n")
        except Exception:
            pass  # a marker we cannot write shows up as a missing marker

    return write


def _install():
    write = _marker_writer()
    pid = os.getpid()
    try:
        from loopscope import hooks, lifecycle

        if lifecycle.current is not None or hooks.session is not None:
            write({"pid": pid, "event": "start", "installed": True, "note": "already tracing"})
            return
        rt = lifecycle.Runtime(lifecycle.SwitchSink())
        session = rt.session
        errors = []
        report_error = session.internal_error

        def internal_error(message, tb_text):
            errors.append(message)
            write({"pid": pid, "event": "internal-error", "message": message, "traceback": tb_text})
            return report_error(message, tb_text)

        session.internal_error = internal_error
        rt.start()
        lifecycle.current = rt
    except BaseException as exc:
        write({"pid": pid, "event": "start", "installed": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        sys.stderr.write("loopscope semantics: could not install the tracer: %r\n" % (exc,))
        return
    argv = [str(a) for a in getattr(sys, "argv", [])]  # at site time: ['-m' or '-c' or the script, args...]
    write({"pid": pid, "ppid": os.getppid(), "event": "start", "installed": hooks.session is session, "argv": argv})

    def at_exit():
        # Registered after rt.start(): atexit runs this before rt.finish uninstalls.
        loops = list(session.loops.values())
        write(
            {
                "pid": pid,
                "event": "exit",
                "argv": [str(a) for a in getattr(sys, "argv", [])],
                "installed": hooks.session is session and session.enabled,
                "loops": len(loops),
                "iterations": sum(st.iterations for st in loops),
                "ids": session.next_id() - 1,
                "dropped": session.dropped,
                "errors": errors,
            }
        )

    import atexit

    atexit.register(at_exit)


if os.environ.get("LOOPSCOPE_SEMANTICS_TRACE") == "1":
    _install()
try:
    _chain_next_sitecustomize()
except Exception as exc:
    sys.stderr.write("loopscope semantics: the next sitecustomize failed: %r\n" % (exc,))
