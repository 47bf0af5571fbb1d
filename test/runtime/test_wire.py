"""The runtime's end of a debugger connection (runtime/loopscope/wire.py)."""
import socket
import unittest

from support import RUNTIME  # noqa: F401  (puts the runtime on sys.path)

from loopscope import wire


class ChannelTest(unittest.TestCase):
    def test_lines_leave_at_once(self):
        # No Nagle: a line sent while the previous one is unacknowledged does not
        # wait for the peer's delayed ACK (up to 40 ms a message).
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        try:
            sock = socket.create_connection(srv.getsockname(), timeout=10)
            peer, _ = srv.accept()
            chan = wire.Channel(sock)
            try:
                self.assertEqual(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)
                self.assertTrue(chan.send({"kind": "session/refused", "reason": "x"}))
                self.assertEqual(peer.makefile("rb").readline(), b'{"kind":"session/refused","reason":"x"}\n')
            finally:
                chan.close()
                peer.close()
        finally:
            srv.close()


if __name__ == "__main__":
    unittest.main()
