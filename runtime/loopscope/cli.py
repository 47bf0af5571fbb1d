"""``python -m loopscope``: run a program on the traced loop runtime.

    python -m loopscope run [--connect HOST:PORT --token T] [--record FILE] [--slow-callback-ms N] -- program.py [args...]
    python -m loopscope run [...] -m module [args...]
    python -m loopscope record -o FILE [--slow-callback-ms N] -- program.py [args...]   (same as run --record)

--slow-callback-ms N: a callback that holds the loop N ms or longer is reported
as blocking it (loop/blocked); default 100.
    python -m loopscope report [--json] FILE

The program sees what it would see under plain ``python``: its argv, sys.path[0],
a fresh ``__main__`` module, the same stdout/stderr bytes and exit code.
Loopscope's own errors are one line on stderr starting with ``loopscope:``.
"""
import os
import sys

USAGE = """usage: python -m loopscope run [--connect HOST:PORT --token TOKEN [--hold]] [--record FILE] [--slow-callback-ms N] (-- program.py | -m module) [args...]
       python -m loopscope record -o FILE [--slow-callback-ms N] (-- program.py | -m module) [args...]
       python -m loopscope report [--json] FILE"""

EXIT_USAGE = 2


class UsageError(Exception):
    pass


def fail(message, code):
    sys.stderr.write("loopscope: %s\n" % message)
    sys.stderr.flush()
    return code


def parse_run(argv, record_only=False):
    """-> dict(connect, token, record, hold, slow_callback_ms, module, program, args)."""
    opts = {
        "connect": None,
        "token": None,
        "record": None,
        "hold": False,
        "slow_callback_ms": None,
        "module": None,
        "program": None,
        "args": [],
    }
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            if i + 1 >= len(argv):
                raise UsageError("no program after '--'")
            opts["program"] = argv[i + 1]
            opts["args"] = argv[i + 2 :]
            break
        if a == "-m":
            if i + 1 >= len(argv):
                raise UsageError("-m needs a module name")
            opts["module"] = argv[i + 1]
            opts["args"] = argv[i + 2 :]
            break
        if a == "--hold" and not record_only:
            # Debugger launch: wait for its breakpoints before running the program.
            opts["hold"] = True
            i += 1
            continue
        if a in ("--connect", "--token", "--record", "-o", "--slow-callback-ms") and i + 1 >= len(argv):
            raise UsageError("%s needs a value" % a)
        if a == "--slow-callback-ms":
            from .watchdog import threshold_ms

            try:
                opts["slow_callback_ms"] = threshold_ms(argv[i + 1])
            except ValueError as exc:
                raise UsageError("--slow-callback-ms: %s" % exc)
        elif a == "--connect" and not record_only:
            opts["connect"] = argv[i + 1]
        elif a == "--token" and not record_only:
            opts["token"] = argv[i + 1]
        elif a == "--record" and not record_only:
            opts["record"] = argv[i + 1]
        elif a == "-o" and record_only:
            opts["record"] = argv[i + 1]
        elif a.startswith("-"):
            raise UsageError("unknown option %s" % a)
        else:
            opts["program"] = a
            opts["args"] = argv[i + 1 :]
            break
        i += 2
    if opts["program"] is None and opts["module"] is None:
        raise UsageError("no program given: add '-- program.py' or '-m module'")
    if record_only and not opts["record"]:
        raise UsageError("record needs -o FILE")
    if opts["connect"] is not None:
        host, sep, port = opts["connect"].rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise UsageError("--connect wants HOST:PORT, got %r" % opts["connect"])
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            raise UsageError("--connect only goes to this machine (127.0.0.1), not %r" % host)
        opts["connect"] = (host.strip("[]"), int(port))
        if not opts["token"]:
            raise UsageError("--connect needs --token")
    elif opts["token"]:
        raise UsageError("--token goes with --connect")
    if opts["hold"] and opts["connect"] is None:
        raise UsageError("--hold goes with --connect")
    return opts


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE + "\n")
        return 0 if argv else EXIT_USAGE
    command, rest = argv[0], argv[1:]
    try:
        if command == "report":
            from . import report

            return report.main(rest)
        if command == "run":
            opts = parse_run(rest)
        elif command == "record":
            opts = parse_run(rest, record_only=True)
        else:
            raise UsageError("unknown command %r" % command)
    except UsageError as exc:
        sys.stderr.write(USAGE + "\n")
        return fail(str(exc), EXIT_USAGE)
    return run(opts)


def run(opts):
    from . import lifecycle
    from . import program as prog

    try:
        target = prog.prepare(opts["program"], opts["module"], opts["args"])
    except prog.ProgramError as exc:
        return fail(str(exc), exc.code)
    if opts["connect"]:
        from . import debugger  # noqa: F401  (its commands answer from the first request)
    try:
        if opts["connect"]:
            host, port = opts["connect"]
            lifecycle.start_connected(host, port, opts["token"], record=opts["record"], slow_callback_ms=opts["slow_callback_ms"])
        elif opts["record"]:
            lifecycle.start_recording(opts["record"], slow_callback_ms=opts["slow_callback_ms"])
    except OSError as exc:
        where = "%s:%s" % opts["connect"] if opts["connect"] else opts["record"]
        return fail("cannot reach the debugger at %s: %s" % (where, exc.strerror or exc), 3 if opts["connect"] else EXIT_USAGE)
    except Exception as exc:  # wire.ProtocolError: refused, wrong token, version
        return fail(str(exc), 3)
    if opts["connect"]:
        from . import debugger

        debugger.install(lifecycle.current)
        if opts["hold"] and not debugger.hold(lifecycle.current, target):
            return fail("the debugger went away before the program started", 3)
    if lifecycle.current is None:
        # Plain `run` with neither debugger nor file: trace into nowhere, so the
        # program still runs exactly as it will when traced.
        lifecycle.current = rt = lifecycle.Runtime(lifecycle.SwitchSink(), opts["slow_callback_ms"])
        rt.start()
    return prog.execute(target, lifecycle.current)
