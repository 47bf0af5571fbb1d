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


def safe_str(obj, max_len=MAX_LEN):
    """str(obj) with the same guarantees (used for exception messages)."""
    if type(obj) is str:
        return obj if len(obj) <= max_len else obj[: max_len - 3] + "..."
    return _guarded(str, obj, "str", max_len)
