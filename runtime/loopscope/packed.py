"""Packed int lists on the wire: base64 of little-endian int64s.

Nearly all the bytes a busy program sends are the int lists of task/steps and
the */*-batch events (4 ints a task step, 3 a future...). As JSON numbers each
int costs the drain thread a decimal conversion (~150-400 ns: most of its time
on the bench workloads) and the adapter a parse; packed, the drain converts a
whole list in C (struct, binascii: ~50 ns an int) and the adapter reads it as
a typed array. A receiver takes either form (protocol 1.2): a JSON list of
ints, as 1.1 runtimes sent and old traces hold, or this string.
"""
import binascii
import struct

_pack = struct.pack
_b64 = binascii.b2a_base64
_unb64 = binascii.a2b_base64
_FMT = "<%dq"


class Packed:
    """pack()'s result: base64 as ASCII bytes, which wire.encode writes as a
    JSON string as they are: no pass of the JSON encoder's escaping over
    every character (base64 needs none, and that pass cost as much as the
    packing), no copies into and out of a str."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


def pack(ints):
    """list of ints -> Packed; the list itself when an int is beyond int64
    (the due time of ``asyncio.sleep(1e30)``): both forms are valid."""
    try:
        return Packed(_b64(_pack(_FMT % len(ints), *ints), newline=False))
    except struct.error:
        return ints


def unpack(data):
    """A packed field as received: a list of ints, or pack()'s text."""
    if isinstance(data, Packed):
        data = data.data.decode("ascii")
    if isinstance(data, str):
        raw = _unb64(data)
        return list(struct.unpack(_FMT % (len(raw) // 8), raw[: len(raw) // 8 * 8]))
    return data
