"""Loopscope runtime: runs asyncio programs on a traced event loop.

Command line: ``python -m loopscope run|record|report`` (see cli.py).
Attach to a running process: call ``loopscope.listen(port, token=...)`` in it.
"""
from ._protocol import PROTOCOL_VERSION

__version__ = "0.1.0"
__all__ = ["listen", "PROTOCOL_VERSION", "__version__"]


def listen(port=0, token=None, host="127.0.0.1", slow_callback_ms=None):
    """Trace every asyncio loop of this process and accept a Loopscope debugger
    on host:port (loopback only) presenting ``token``. Returns (host, port).
    ``slow_callback_ms``: a callback holding the loop this long or longer is
    reported as blocking it (default 100; an attaching debugger may set its own)."""
    from . import debugger, lifecycle

    address = lifecycle.listen(port, token=token, host=host, slow_callback_ms=slow_callback_ms)
    debugger.install(lifecycle.current)
    return address
