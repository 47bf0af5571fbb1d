"""recorder.Session's future table when two threads touch it at once."""
import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime"))

from loopscope import recorder as R  # noqa: E402


class RacingTable(dict):
    """Plays the loop thread: takes a key away right after the drain looked."""

    def __init__(self, *args):
        super().__init__(*args)
        self.steal = set()

    def values(self):
        vals = list(super().values())
        for key in self.steal:
            super().pop(key, None)  # a task woke on the future meanwhile
        return vals


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
        table = RacingTable(self.s.fut_ids)
        table.steal.add(id(woken))
        self.s.fut_ids = table
        done = self.s.prune()  # raised KeyError (an internal error) before
        self.assertEqual(done, [(12, R.FUT_DONE)])
        self.assertEqual(sorted(ref.fid for ref in table.values()), [13])

    def test_a_future_whose_creation_has_not_gone_out_is_not_reported_done(self):
        # Its created event may still be in the loop's unflushed buffer: a done
        # event sent first was lost (test_tracer's test_future_states failed
        # once in CI, 'pending' for a future the program had completed).
        fut = self.loop.create_future()
        fut.set_result(1)
        self.s.register_future(fut, 31)
        self.assertEqual(self.s.prune(), [])
        self.assertIn(id(fut), self.s.fut_ids)  # left for the wakeup or a later prune
        self.s.sent_futs.add(31)
        self.assertEqual(self.s.prune(), [(31, R.FUT_DONE)])
        self.assertNotIn(31, self.s.sent_futs)

    def test_a_freed_future_leaves_a_newer_entry_for_its_id_alone(self):
        fut = self.loop.create_future()
        self.s.register_future(fut, 21)
        key = id(fut)
        old = self.s.fut_ids[key]
        newer = R.FutRef(fut, self.s.fut_gone)
        newer.key, newer.fid = key, 22
        self.s.fut_ids[key] = newer
        self.s._fut_gone(old)
        self.assertIs(self.s.fut_ids[key], newer)
        self.s._fut_gone(newer)
        self.assertNotIn(key, self.s.fut_ids)


if __name__ == "__main__":
    unittest.main()
