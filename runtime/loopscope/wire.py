"""JSON-lines framing over a socket or file, and the token handshake.

Every message is one JSON object on one line (ASCII-only: ``ensure_ascii`` keeps
a program's binary or odd text from breaking the framing). Lines longer than
``MAX_LINE`` or that fail protocol validation are rejected, never executed.
"""
import hmac
import json
import os
import socket
import struct
import threading

from . import _protocol as P
from .packed import Packed, unpack

MAX_LINE = 4 * 1024 * 1024
SEND_TIMEOUT_S = int(os.environ.get("LOOPSCOPE_SEND_TIMEOUT", "10") or 10)
HANDSHAKE_TIMEOUT_S = 10.0


class ProtocolError(Exception):
    pass


# Stands for a Packed field in the first pass of encode(); a program's own
# string equal to it is caught by the count check and costs only the fast path.
_MARK = "\x00loopscope-packed\x00"
_MARK_JSON = json.dumps(_MARK)


def _unpacked(o):
    if type(o) is Packed:
        return unpack(o)
    raise TypeError("%s is not JSON serializable" % type(o).__name__)


def encode(msg):
    packed = []

    def default(o):
        if type(o) is Packed:
            packed.append(o.data)
            return _MARK
        raise TypeError("%s is not JSON serializable" % type(o).__name__)

    text = json.dumps(msg, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=default)
    if packed:
        parts = text.split(_MARK_JSON)
        if len(parts) == len(packed) + 1:
            out = [parts[0].encode("ascii")]
            for data, rest in zip(packed, parts[1:]):
                out += (b'"', data, b'"', rest.encode("ascii"))
            out.append(b"\n")
            return b"".join(out)
        text = json.dumps(msg, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_unpacked)
    return (text + "\n").encode("ascii")


def decode(line):
    """bytes -> validated message dict; raises ProtocolError."""
    if len(line) > MAX_LINE:
        raise ProtocolError("message longer than %d bytes" % MAX_LINE)
    try:
        msg = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("not a JSON message: %s" % exc)
    error = P.validate(msg)
    if error:
        raise ProtocolError(error)
    return msg


def major(version):
    try:
        return int(str(version).split(".", 1)[0])
    except ValueError:
        return -1


def version_error(theirs):
    if major(theirs) != P.PROTOCOL_MAJOR:
        return (
            "Loopscope protocol mismatch: the other side speaks %s, this runtime speaks %s; "
            "use the runtime that ships with your Loopscope extension" % (theirs, P.PROTOCOL_VERSION)
        )
    return None


class Channel:
    """A connected socket carrying JSON lines; send() is thread-safe."""

    def __init__(self, sock):
        self.sock = sock
        # A debugger that stops reading must not hang the program: sends give
        # up after SEND_TIMEOUT_S (receives keep blocking, for the control thread).
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_S, 0))
        except (OSError, AttributeError, struct.error):
            pass
        # Each message is one sendall of a whole line: send it now. With Nagle's
        # algorithm a line written while the previous one is unacknowledged
        # waited for the peer's delayed ACK (40 ms on Linux): that was most of
        # the event -> debugger latency (p95 ~40 ms, now ~1-5 ms).
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        self.rfile = sock.makefile("rb")
        self.lock = threading.Lock()
        self.closed = False

    def send(self, msg):
        data = encode(msg)
        with self.lock:
            if self.closed:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.closed = True
                return False

    def receive(self):
        """The next message, or None at end of stream. Raises ProtocolError."""
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if not line.endswith(b"\n") and len(line) > MAX_LINE:
            raise ProtocolError("message longer than %d bytes" % MAX_LINE)
        return decode(line)

    def close(self):
        with self.lock:
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def connect(host, port, token, hello_fields):
    """Runtime side of --connect: open, say hello, wait for welcome.
    Raises OSError (unreachable) or ProtocolError (refused/garbled)."""
    sock = socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT_S)
    chan = Channel(sock)
    hello = {"kind": P.SESSION_HELLO, "protocol": P.PROTOCOL_VERSION, "token": token, "role": "runtime"}
    hello.update(hello_fields)
    chan.send(hello)
    reply = chan.receive()
    if reply is None:
        chan.close()
        raise ProtocolError("the debugger closed the connection during the handshake")
    if reply["kind"] == P.SESSION_REFUSED:
        chan.close()
        raise ProtocolError("the debugger refused the connection: %s" % reply["reason"])
    if reply["kind"] != P.SESSION_WELCOME:
        chan.close()
        raise ProtocolError("expected session/welcome, got %s" % reply["kind"])
    err = version_error(reply["protocol"])
    if err:
        chan.close()
        raise ProtocolError(err)
    sock.settimeout(None)
    return chan


def accept_hello(chan, token, welcome_fields):
    """Listening side: check the client's hello. Returns None when accepted,
    else the reason (already sent as session/refused; the channel is closed)."""
    try:
        hello = chan.receive()
    except (ProtocolError, OSError) as exc:
        hello = None
        reason = "bad hello: %s" % exc
    else:
        reason = None
    if hello is not None:
        if hello["kind"] != P.SESSION_HELLO:
            reason = "expected session/hello first"
        elif not hmac.compare_digest(str(hello["token"]).encode(), str(token).encode()):
            reason = "wrong session token"
        else:
            reason = version_error(hello["protocol"])
    elif reason is None:
        reason = "no hello"
    if reason:
        chan.send({"kind": P.SESSION_REFUSED, "reason": reason})
        chan.close()
        return reason
    welcome = {"kind": P.SESSION_WELCOME, "protocol": P.PROTOCOL_VERSION, "role": "runtime"}
    welcome.update(welcome_fields)
    chan.send(welcome)
    return None
