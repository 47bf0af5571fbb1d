"""Loopscope runtime: runs asyncio programs on a traced event loop.

Command line: ``python -m loopscope run|record|report`` (see cli.py).
Attach to a running process: call ``loopscope.listen(port, token=...)`` in it.
"""
from ._protocol import PROTOCOL_VERSION

__version__ = "0.1.0"
__all__ = ["listen", "PROTOCOL_VERSION", "__version__"]


def listen(port=0, token=None, host="127.0.0.1"):
    """Trace every asyncio loop of this process and accept a Loopscope debugger
    on host:port (loopback only) presenting ``token``. Returns (host, port)."""
    from . import debugger, lifecycle

    address = lifecycle.listen(port, token=token, host=host)
    debugger.install(lifecycle.current)
    return address
