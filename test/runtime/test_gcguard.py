"""The program's garbage collections stay on its own threads (gcguard.py)."""
import gc
import os
import sys
import unittest

from support import Program

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime"))

from loopscope import gcguard, hooks  # noqa: E402


def ok(test, proc):
    test.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace"))


class HoldInProcess(unittest.TestCase):
    """The program's view of gc.enable/disable/isenabled while the drain holds
    automatic collection off."""

    def setUp(self):
        self.was_enabled = gc.isenabled()
        gc.enable()
        gc.collect()  # a collection already due would run inside the hold and reset the count
        gcguard.install()

    def tearDown(self):
        gcguard.uninstall()
        hooks.gc_release_requested = False
        self.assertIs(gc.isenabled, gcguard._real["isenabled"])
        (gc.enable if self.was_enabled else gc.disable)()

    def test_held_collection_is_off_but_the_program_sees_it_on(self):
        with gcguard.hold:
            self.assertFalse(gcguard._real["isenabled"]())
            self.assertTrue(gc.isenabled())
        gcguard.release_on_loop_thread()  # in case the threshold was crossed meanwhile
        self.assertTrue(gcguard._real["isenabled"]())

    def test_a_disable_made_while_held_lasts(self):
        with gcguard.hold:
            gc.disable()
            self.assertFalse(gc.isenabled())
        self.assertFalse(gcguard._real["isenabled"]())
        self.assertFalse(gc.isenabled())
        gc.enable()
        self.assertTrue(gcguard._real["isenabled"]())

    def test_nothing_is_held_when_the_program_has_collection_off(self):
        gc.disable()
        with gcguard.hold:
            gc.enable()  # not held: takes effect at once
            self.assertTrue(gcguard._real["isenabled"]())
        self.assertTrue(gc.isenabled())

    def test_holds_nest(self):
        with gcguard.hold:
            with gcguard.hold:
                pass
            self.assertFalse(gcguard._real["isenabled"]())
        gcguard.release_on_loop_thread()
        self.assertTrue(gcguard._real["isenabled"]())

    def test_a_crossed_threshold_waits_for_the_loop_thread(self):
        garbage = []
        with gcguard.hold:
            threshold = gc.get_threshold()[0]
            garbage = [[] for _ in range(threshold + 10)]  # past the threshold, not collected
        self.assertFalse(gcguard._real["isenabled"]())
        self.assertTrue(hooks.gc_release_requested)
        self.assertTrue(gc.isenabled())
        gcguard.release_on_loop_thread()
        self.assertFalse(hooks.gc_release_requested)
        self.assertTrue(gcguard._real["isenabled"]())
        del garbage

    def test_no_loop_iterating_releases_after_a_while(self):
        with gcguard.hold:
            garbage = [[] for _ in range(gc.get_threshold()[0] + 10)]
        self.assertFalse(gcguard._real["isenabled"]())
        gcguard.release_if_stale(max_wait_s=0)
        self.assertTrue(gcguard._real["isenabled"]())
        self.assertFalse(hooks.gc_release_requested)
        del garbage


class FinalizersUnderTheTracer(unittest.TestCase):
    def test_finalizers_run_on_the_program_thread_and_collect_collects(self):
        # test/semantics/known/gc_on_drain_thread.py, shorter: before gcguard,
        # some of the program's finalizers ran on loopscope-drain and a
        # gc.collect() made meanwhile left dropped objects alive.
        p = Program(
            """
            import asyncio, gc, threading, time, weakref

            threads = set()

            class Garbage:
                def __del__(self):
                    threads.add(threading.current_thread().name)
                    time.sleep(0)

            class Dropped:
                pass

            async def main():
                survived = 0
                for i in range(150):
                    for _ in range(600):
                        g = Garbage()
                        g.cycle = g
                    g = None
                    await asyncio.gather(*[asyncio.sleep(0) for _ in range(20)])
                    obj = Dropped()
                    obj.cycle = obj
                    ref = weakref.ref(obj)
                    obj = None
                    gc.collect()
                    survived += ref() is not None
                print("survived:", survived, "threads:", sorted(threads))

            asyncio.run(main())
            """
        )
        proc = p.run_loopscope("run")
        ok(self, proc)
        self.assertEqual(proc.stdout, b"survived: 0 threads: ['MainThread']\n")

    def test_the_programs_gc_switch_is_respected(self):
        p = Program(
            """
            import asyncio, gc

            collections = []
            gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))

            class Cycle:
                def __init__(self):
                    self.me = self

            async def churn(n):
                for _ in range(n):
                    Cycle()
                    await asyncio.sleep(0)

            async def main():
                seen_off = 0
                for _ in range(200):
                    await asyncio.gather(*[churn(5) for _ in range(20)])
                    seen_off += not gc.isenabled()
                gc.disable()
                del collections[:]
                for _ in range(200):
                    await asyncio.gather(*[churn(5) for _ in range(20)])
                    assert not gc.isenabled()
                print("seen off while on:", seen_off, "collections while off:", len(collections))
                gc.enable()

            asyncio.run(main())
            """
        )
        proc = p.run_loopscope("run")
        ok(self, proc)
        self.assertEqual(proc.stdout, b"seen off while on: 0 collections while off: 0\n")


if __name__ == "__main__":
    unittest.main()
