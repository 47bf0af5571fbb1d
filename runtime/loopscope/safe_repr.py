"""Reprs of user objects that never break, flood or hang the traced program.

A user's ``__repr__`` may raise, return something huge, or loop forever. Reprs are
taken on the drain thread (never on the loop thread), bounded by ``reprlib``
limits, cut to ``MAX_LEN`` characters, and aborted by a line-trace deadline when
Python code in them runs longer than ``DEADLINE_S``.
"""
import reprlib
import sys
import time

MAX_LEN = 200
DEADLINE_S = 0.2
# Types whose repr once ran out of time: not called again (a queue holding such
# items is sampled every 100 ms, and each try would cost a whole deadline).
_timed_out_types = set()


class _Deadline(BaseException):
    """Raised inside a runaway ``__repr__``; a BaseException so user ``except
    Exception`` blocks do not swallow it."""


class _Limits(reprlib.Repr):
    def __init__(self):
        super().__init__()
        self.maxlevel = 3
        self.maxstring = MAX_LEN
        self.maxother = MAX_LEN
        self.maxlong = 60
        for name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
            setattr(self, name, 12)

    def repr_instance(self, obj, level):
        if type(obj) in _timed_out_types:
            return "<%s object (repr timed out)>" % _type_name(obj)
        try:
            text = repr(obj)
        except _Deadline:
            _timed_out_types.add(type(obj))
            raise
        except BaseException as exc:  # a user __repr__ may raise anything
            return "<%s object (repr raised %s)>" % (_type_name(obj), type(exc).__name__)
        if len(text) > self.maxother:
            return text[: self.maxother - 3] + "..."
        return text


_limits = _Limits()


def _type_name(obj):
    try:
        return type(obj).__qualname__
    except BaseException:
        return "?"


def _guarded(convert, obj, what, max_len):
    if type(obj) in _timed_out_types:
        return "<%s object (%s timed out)>" % (_type_name(obj), what)
    deadline = time.monotonic() + DEADLINE_S
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise _Deadline()
        return tracer

    sys.settrace(tracer)
    try:
        text = convert(obj)
    except _Deadline:
        text = "<%s object (%s timed out)>" % (_type_name(obj), what)
        _timed_out_types.add(type(obj))
    except BaseException as exc:
        text = "<%s object (%s raised %s)>" % (_type_name(obj), what, type(exc).__name__)
    finally:
        sys.settrace(previous)
    if not isinstance(text, str):
        text = "<%s object>" % _type_name(obj)
    if len(text) > max_len:
        text = text[: max_len - 3] + "..."
    return text


# Types whose repr is ours to trust (no user code runs): taken directly, which
# is most results and names. Ints are bounded by digits before repr.
_PLAIN = {type(None), bool, float, complex}


def safe_repr(obj, max_len=MAX_LEN):
    """repr(obj), bounded in length and time; never raises."""
    t = type(obj)
    if t in _PLAIN or (t is int and -(10**60) < obj < 10**60):
        return repr(obj)[:max_len]
    if t is str and len(obj) <= max_len:
        text = repr(obj)
        return text if len(text) <= max_len else text[: max_len - 3] + "..."
    return _guarded(_limits.repr, obj, "repr", max_len)


# What plain_repr descends into: exact builtin types, whose repr runs no user code.
_SCALARS = {type(None), bool, float, complex, int, str, bytes}
_SEQS = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})")}
_PLAIN_ITEMS = 12


def _object_repr(obj):
    """What object.__repr__ shows, without calling anything of the object's."""
    try:
        t = type(obj)
        mod = t.__module__
        name = t.__qualname__ if mod in ("builtins", None) else "%s.%s" % (mod, t.__qualname__)
        if type(name) is not str:
            name = "?"
    except BaseException:
        name = "?"
    return "<%s object at %#x>" % (name, id(obj))


def _plain(obj, level, budget):
    t = type(obj)
    if t in _SCALARS:
        if t is int and not -(10**60) < obj < 10**60:
            return "<int of %d bits>" % obj.bit_length()
        if (t is str or t is bytes) and len(obj) > budget:
            return repr(obj[:budget]) + "..."
        return repr(obj)
    seq = _SEQS.get(t)
    if seq is not None or t is dict:
        if level <= 0:
            return "[...]" if t is list else "{...}" if t in (dict, set) else "(...)"
        parts = []
        items = obj.items() if t is dict else obj
        used = 0
        for i, item in enumerate(items):
            if i == _PLAIN_ITEMS or used > budget:
                parts.append("...")
                break
            if t is dict:
                text = _plain(item[0], level - 1, budget) + ": " + _plain(item[1], level - 1, budget)
            else:
                text = _plain(item, level - 1, budget)
            used += len(text) + 2
            parts.append(text)
        if t is dict:
            return "{" + ", ".join(parts) + "}"
        if t is tuple and len(parts) == 1:
            return "(" + parts[0] + ",)"
        if not parts and t is set:
            return "set()"
        return seq[0] + ", ".join(parts) + seq[1]
    return _object_repr(obj)


def plain_repr(obj, max_len=MAX_LEN):
    """A repr that runs no user code at all: exact builtin values and containers
    as repr() shows them, any other object as object.__repr__ shows it. For what
    the tracer reports on its own (a task's result, a cancel message): asyncio
    never calls repr() on those, and a user's __repr__ may be slow, have side
    effects or not be thread-safe. Never raises."""
    try:
        text = _plain(obj, 3, max_len)
    except BaseException:  # a dict changed size under us, a RecursionError...
        text = _object_repr(obj)
    return text if len(text) <= max_len else text[: max_len - 3] + "..."


def plain_str(obj, max_len=MAX_LEN):
    """str(obj) for a str, plain_repr otherwise (a cancel message is a str)."""
    if type(obj) is str:
        return obj if len(obj) <= max_len else obj[: max_len - 3] + "..."
    return plain_repr(obj, max_len)


def exception_message(exc, max_len=MAX_LEN):
    """str(exc) when no user code would run to make it: a builtin __str__ over
    plain arguments, which is most exceptions (``raise ValueError("bad x")``,
    ``OSError`` and its errno/strerror). An exception class with its own
    Python __str__, or arguments that are user objects, is shown by its
    arguments instead. Never raises."""
    try:
        args = exc.args
        plain_args = type(args) is tuple and all(type(a) in _SCALARS for a in args)
        if plain_args and not hasattr(type(exc).__str__, "__code__"):
            return safe_str(str(exc), max_len)
        if type(args) is not tuple:
            return _object_repr(exc)
        if len(args) == 1:
            return plain_str(args[0], max_len)
        return plain_repr(args, max_len)
    except BaseException:
        return _object_repr(exc)


def safe_str(obj, max_len=MAX_LEN):
    """str(obj) with the same guarantees (used for exception messages)."""
    if type(obj) is str:
        return obj if len(obj) <= max_len else obj[: max_len - 3] + "..."
    return _guarded(str, obj, "str", max_len)
