"""recorder.Session's future table when two threads touch it at once."""
import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime"))

from loopscope import recorder as R  # noqa: E402


class RacingTable(dict):
    """Plays the loop thread: takes an id away right after the drain looked."""

    def __init__(self, *args):
        super().__init__(*args)
        self.steal = set()

    def items(self):
        items = list(super().items())
        for fid in self.steal:
            super().pop(fid, None)  # a task woke on the future meanwhile
        return items


class PruneRace(unittest.TestCase):
    def setUp(self):
        self.loop = asyncio.new_event_loop()
        self.s = R.Session()

    def tearDown(self):
        self.loop.close()

    def test_a_future_taken_by_the_loop_thread_meanwhile_is_neither_an_error_nor_reported_twice(self):
        woken = self.loop.create_future()
        woken.set_result(1)
        lone = self.loop.create_future()
        lone.set_result(2)
        pending = self.loop.create_future()
        self.s.register_future(woken, 11)
        self.s.register_future(lone, 12)
        self.s.register_future(pending, 13)
        self.s.sent_futs.update((11, 12, 13))
        table = RacingTable(self.s.live_futs)
        table.steal.add(11)
        self.s.live_futs = table
        done = self.s.prune()
        self.assertEqual(done, [(12, R.FUT_DONE)])
        self.assertEqual(sorted(table), [13])

    def test_a_future_whose_creation_has_not_gone_out_is_not_reported_done(self):
        # Its created event may still be in the loop's unflushed buffer: a done
        # event sent first was lost (test_tracer's test_future_states failed
        # once in CI, 'pending' for a future the program had completed).
        fut = self.loop.create_future()
        fut.set_result(1)
        self.s.register_future(fut, 31)
        self.assertEqual(self.s.prune(), [])
        self.assertIn(31, self.s.live_futs)  # left for the wakeup or a later prune
        self.s.sent_futs.add(31)
        self.assertEqual(self.s.prune(), [(31, R.FUT_DONE)])
        self.assertNotIn(31, self.s.sent_futs)
        self.assertEqual(self.s.prune(), [])  # once only

    def test_a_freed_future_is_forgotten_and_its_address_reused_gets_no_stale_id(self):
        fut = self.loop.create_future()
        self.s.register_future(fut, 21)
        self.s.sent_futs.add(21)
        del fut
        again = [self.loop.create_future() for _ in range(3)]  # one likely takes the freed memory
        self.assertEqual([R.Session.future_id(f) for f in again], [None, None, None])
        self.assertEqual(self.s.prune(), [])  # freed: nothing to report
        self.assertNotIn(21, self.s.live_futs)
        self.assertNotIn(21, self.s.sent_futs)

    def test_reading_a_future_id_runs_no_user_code(self):
        calls = []

        class Odd(asyncio.Future):
            def __getattribute__(self, name):
                calls.append(name)
                return super().__getattribute__(name)

            def __getattr__(self, name):
                calls.append(name)
                raise AttributeError(name)

            def __setattr__(self, name, value):
                calls.append(name)
                super().__setattr__(name, value)

        odd = Odd(loop=self.loop)
        self.assertIsNone(R.Session.future_id(odd))
        self.s.register_future(odd, 41)
        self.assertEqual(R.Session.future_id(odd), 41)
        self.assertEqual(calls, [])


if __name__ == "__main__":
    unittest.main()
