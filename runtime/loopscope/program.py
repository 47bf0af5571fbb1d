"""Running the user's program as plain ``python`` would: argv, sys.path[0],
``__main__``, exit code, and tracebacks without Loopscope's own frames."""
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import types

_OWN_DIR = os.path.dirname(os.path.abspath(__file__))


class ProgramError(Exception):
    def __init__(self, message, code):
        Exception.__init__(self, message)
        self.code = code


class Target:
    def __init__(self, path=None, module=None, args=(), code=None):
        self.path = path
        self.module = module
        self.args = list(args)
        self.code = code


def prepare(path, module, args):
    """Check and compile before anything runs: a missing file, a syntax error
    or an unknown module is reported with nothing traced yet."""
    if module is not None:
        if sys.path and sys.path[0] in ("", _OWN_DIR):
            sys.path[0] = os.getcwd()
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            raise ProgramError("Error while finding module specification for %r (%s: %s)" % (module, type(exc).__name__, exc), 1)
        if spec is None:
            raise ProgramError("No module named %s" % module, 1)
        return Target(module=module, args=args)
    try:
        with io.open_code(path) as f:
            source = f.read()
    except OSError as exc:
        raise ProgramError("can't open file %r: [Errno %s] %s" % (path, exc.errno, exc.strerror), 2)
    try:
        code = compile(source, path if sys.version_info < (3, 9) else _main_file(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = "%s:%s" % (exc.filename or path, exc.lineno or 0)
        if exc.offset:
            where += ":%s" % exc.offset
        raise ProgramError("%s: %s: %s" % (where, type(exc).__name__, exc.msg), 1)
    except ValueError as exc:  # e.g. null bytes in the source
        raise ProgramError("%s: SyntaxError: %s" % (path, exc), 1)
    return Target(path=path, args=args, code=code)


def _main_file(path):
    # Since 3.9 __main__.__file__ is the path joined to the cwd, not normalised.
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def execute(target, runtime):
    """Run the program; returns the exit code (or raises SystemExit for the
    interpreter to print a non-int code exactly as Python does)."""
    try:
        if target.module is not None:
            import runpy

            sys.argv = [target.module] + target.args
            runpy._run_module_as_main(target.module, alter_argv=True)
        else:
            _run_path(target)
    except SystemExit as exc:
        runtime.exit_code = _exit_code(exc.code)
        raise
    except KeyboardInterrupt:
        _print_exception(*sys.exc_info())
        runtime.finish(130)
        sys.stdout.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    except BaseException:
        _print_exception(*sys.exc_info())
        runtime.exit_code = 1
        return 1
    runtime.exit_code = 0
    return 0


def _run_path(target):
    path = target.path
    sys.argv = [path] + target.args
    directory = os.path.dirname(os.path.realpath(path))
    if sys.path and sys.path[0] in ("", os.getcwd(), _OWN_DIR):
        sys.path[0] = directory
    else:
        sys.path.insert(0, directory)
    main = types.ModuleType("__main__")
    main.__file__ = target.code.co_filename
    main.__cached__ = None
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    main.__spec__ = None
    main.__builtins__ = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
    sys.modules["__main__"] = main
    exec(target.code, main.__dict__)


def _exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    return 1


def _print_exception(etype, value, tb):
    """sys.excepthook, minus Loopscope's frames (the program's own start first)."""
    while tb is not None and os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)) == _OWN_DIR:
        tb = tb.tb_next
    if value is not None:
        value.__traceback__ = tb
    sys.excepthook(etype, value, tb)
