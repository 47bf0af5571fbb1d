"""What the tracer records, kind by kind, with exact expected outcomes."""
import sys
import unittest

from support import PY, Program


def ok(test, proc):
    test.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))


class TaskLifecycle(unittest.TestCase):
    def test_created_steps_done_failed_cancelled(self):
        p = Program(
            """
            import asyncio

            async def three_steps():
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                return {"answer": 42}

            async def boom():
                await asyncio.sleep(0)
                raise ValueError("bad value")

            async def sleeper():
                await asyncio.sleep(30)

            async def main():
                a = asyncio.ensure_future(three_steps())  # @a
                a.set_name("worker-a")
                b = asyncio.get_running_loop().create_task(boom())  # @b
                c = asyncio.get_running_loop().create_task(sleeper())
                c.set_name("sleepy")
                await asyncio.sleep(0)
                c.cancel(*(["stop now"] if hasattr(asyncio.Task, "get_coro") and __import__("sys").version_info >= (3, 9) else []))  # @cancel
                await asyncio.gather(a, b, c, return_exceptions=True)

            asyncio.run(main())  # @main
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        main = tr.task("Task-1")
        self.assertEqual(main["coro"], "main")
        self.assertEqual(main["created_at"]["line"], p.line("main"))
        self.assertEqual(main["state"], "done")
        a = tr.task("worker-a")
        self.assertEqual(a["coro"], "three_steps")
        self.assertEqual(a["created_at"]["line"], p.line("a"))
        self.assertEqual(a["parent"], main["id"])
        self.assertEqual(a["steps"], 3)
        self.assertEqual(a["state"], "done")
        self.assertEqual(a["result"], "{'answer': 42}")
        b = [t for t in tr.report["tasks"] if t["coro"] == "boom"][0]
        self.assertEqual(b["created_at"]["line"], p.line("b"))
        self.assertEqual(b["state"], "failed")
        self.assertEqual(b["exception"]["type"], "ValueError")
        self.assertEqual(b["exception"]["message"], "bad value")
        self.assertEqual(b["exception"]["traceback"][-1]["func"], "boom")
        c = tr.task("sleepy")
        self.assertEqual(c["state"], "cancelled")
        self.assertEqual(c["cancelled_by"], main["id"])
        self.assertEqual(c["cancelled_by_site"]["line"], p.line("cancel"))
        if PY >= (3, 9):
            self.assertEqual(c["cancel_message"], "stop now")
        # the gather future awaits the three; main awaited the gather
        gathers = [f for f in tr.report["futures"] if f["type"] == "gather"]
        self.assertEqual(len(gathers), 1)
        self.assertEqual(sorted(gathers[0]["children"]), sorted([a["id"], b["id"], c["id"]]))
        self.assertIn(gathers[0]["id"], a["awaited_by"])
        self.assertEqual(gathers[0]["awaited_by"], [main["id"]])
        self.assertEqual(tr.report["exit_code"], 0)
        self.assertEqual(tr.report["dropped_events"], 0)

    def test_step_timestamps_are_ordered_and_waits_name_the_sleep(self):
        p = Program(
            """
            import asyncio

            async def main():
                await asyncio.sleep(0.01)  # @sleep
                await asyncio.sleep(0.01)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        main = tr.task("Task-1")
        steps = [s for s in tr.steps() if s[0] == main["id"]]
        self.assertEqual(len(steps), 3)
        for (_t, s0, e0, _w), (_t2, s1, _e1, _w2) in zip(steps, steps[1:]):
            self.assertLessEqual(s0, e0)
            self.assertLess(e0, s1)
            self.assertGreaterEqual(s1 - e0, 5_000_000)  # slept ~10 ms between
        futs = tr.futures()
        waits = tr.waits_of(main["id"])
        self.assertEqual(len(waits), 2)
        for w in waits:
            self.assertEqual(futs[w]["type"], "sleep")
            self.assertEqual(futs[w]["state"], "done")
        self.assertEqual(tr.site_line(futs[waits[0]]["site"]), ("prog.py", p.line("sleep")))

    def test_task_awaiting_task_and_await_chain(self):
        p = Program(
            """
            import asyncio

            async def inner():
                await asyncio.sleep(0.01)
                return 7

            async def middle(t):
                return await t

            async def main():
                t = asyncio.create_task(inner(), name="inner")
                m = asyncio.create_task(middle(t), name="middle")
                print(await m)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"7\n")
        inner, middle, main = tr.task("inner"), tr.task("middle"), tr.task("Task-1")
        self.assertEqual(inner["awaited_by"], [middle["id"]])
        self.assertEqual(middle["awaited_by"], [main["id"]])
        self.assertIn(inner["id"], tr.waits_of(middle["id"]))


class FuturesAndCombinators(unittest.TestCase):
    def test_future_states(self):
        p = Program(
            """
            import asyncio

            async def main():
                loop = asyncio.get_running_loop()
                done = loop.create_future()  # @done
                failed = loop.create_future()
                cancelled = asyncio.Future()
                pending = loop.create_future()  # @pending
                loop.call_soon(done.set_result, 1)
                await done
                loop.call_soon(failed.set_exception, KeyError("k"))
                try:
                    await failed
                except KeyError:
                    pass
                loop.call_soon(cancelled.cancel)
                try:
                    await cancelled
                except asyncio.CancelledError:
                    pass
                print(pending.done())

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        main = tr.task("Task-1")
        futs = tr.futures()
        waits = tr.waits_of(main["id"])
        self.assertEqual([futs[w]["state"] for w in waits], ["done", "failed", "cancelled"])
        self.assertEqual(tr.site_line(futs[waits[0]]["site"]), ("prog.py", p.line("done")))
        pending = [f for f in futs.values() if f["site"] and tr.site_line(f["site"]) == ("prog.py", p.line("pending"))]
        self.assertEqual(len(pending), 1)
        self.assertEqual(pending[0]["state"], "pending")
        for w in waits:
            rep = [f for f in tr.report["futures"] if f["id"] == w][0]
            self.assertEqual(rep["awaited_by"], [main["id"]])

    def test_shield_wait_for_wait_as_completed(self):
        p = Program(
            """
            import asyncio

            async def work(n):
                await asyncio.sleep(0.01 * n)
                return n

            async def main():
                s = asyncio.create_task(work(1), name="shielded")
                print(await asyncio.shield(s))
                w = asyncio.create_task(work(1), name="waited-for")
                print(await asyncio.wait_for(w, 5))
                a = asyncio.create_task(work(1), name="w1")
                b = asyncio.create_task(work(2), name="w2")
                done, pending = await asyncio.wait({a, b})
                print(sorted(t.result() for t in done))
                res = []
                for f in asyncio.as_completed([work(2), work(1)]):
                    res.append(await f)
                print(res)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout.decode().split("\n")[:4], ["1", "1", "[1, 2]", "[1, 2]"])
        main = tr.task("Task-1")
        futs = tr.futures()
        by_type = {}
        for fid, f in futs.items():
            by_type.setdefault(f["type"], []).append((fid, f))
        shielded = tr.task("shielded")
        (sid, shield), = by_type["shield"]
        self.assertEqual(shield["children"], [shielded["id"]])
        self.assertIn(sid, tr.waits_of(main["id"]))
        (wid, wait), = by_type["wait"]
        self.assertEqual(sorted(wait["children"]), sorted([tr.task("w1")["id"], tr.task("w2")["id"]]))
        self.assertIn(wid, tr.waits_of(main["id"]))
        waited = tr.task("waited-for")
        if PY >= (3, 12):
            # wait_for awaits the task itself
            self.assertIn(waited["id"], tr.waits_of(main["id"]))
        else:
            self.assertTrue(any(futs[w]["type"] == "wait_for" for w in tr.waits_of(main["id"])))
        # as_completed: main waits on the queue that as_completed fills
        qwaits = [futs[w] for w in tr.waits_of(main["id"]) if w in futs and futs[w]["type"] == "queue-get"]
        self.assertIn(len(qwaits), (1, 2))  # 1 when the second result is queued before main asks
        self.assertEqual(len({f["owner"] for f in qwaits}), 1)

    @unittest.skipIf(PY < (3, 11), "TaskGroup and timeout are 3.11+")
    def test_taskgroup_and_timeout(self):
        p = Program(
            """
            import asyncio

            async def child(n):
                await asyncio.sleep(0.01 * n)

            async def main():
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(child(1), name="c1")
                    tg.create_task(child(2), name="c2")
                try:
                    async with asyncio.timeout(0.01):
                        await asyncio.sleep(10)  # @timedout
                except TimeoutError:
                    print("timed out")

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"timed out\n")
        main = tr.task("Task-1")
        futs = tr.futures()
        tgs = [(fid, f) for fid, f in futs.items() if f["type"] == "taskgroup"]
        self.assertEqual(len(tgs), 1)
        self.assertTrue(set(tgs[0][1]["children"]) <= {tr.task("c1")["id"], tr.task("c2")["id"]})
        self.assertTrue(tgs[0][1]["children"])
        self.assertIn(tgs[0][0], tr.waits_of(main["id"]))
        self.assertEqual(tr.task("c1")["parent"], main["id"])
        # the timeout cancelled main's sleep: the sleep future ends cancelled
        sleeps = [futs[w] for w in tr.waits_of(main["id"]) if futs[w]["type"] == "sleep"]
        self.assertEqual(sleeps[-1]["state"], "cancelled")
        self.assertEqual(tr.site_line(sleeps[-1]["site"]), ("prog.py", p.line("timedout")))
        # who cancelled main: the timeout's timer callback, not a task
        cancels = [e for e in tr.of_kind("task/cancel-requested") if e["task"] == main["id"]]
        self.assertEqual(len(cancels), 1)
        self.assertIsNone(cancels[0]["by_task"])
        self.assertEqual(main["state"], "done")


class QueuesAndPrimitives(unittest.TestCase):
    def test_queue_items_counts_and_blocked_getter(self):
        p = Program(
            """
            import asyncio

            async def main():
                q = asyncio.Queue(maxsize=10)  # @queue
                pq = asyncio.PriorityQueue()
                lq = asyncio.LifoQueue()
                for i in (3, 1, 2):
                    await pq.put(i)
                    await lq.put("s%d" % i)
                async def getter():
                    return await q.get()  # @get
                g = asyncio.create_task(getter(), name="getter")
                await asyncio.sleep(0.25)  # long enough for a sample
                await q.put("first")
                print(await g)
                for i in range(4):
                    q.put_nowait(i)
                q.get_nowait()
                q.task_done()
                print(q.qsize())
                await asyncio.sleep(0.25)
                globals()["keep"] = (q, pq, lq)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"first\n3\n")
        queues = {q["type"]: q for q in tr.report["queues"]}
        q = queues["Queue"]
        self.assertEqual(q["maxsize"], 10)
        self.assertEqual(q["items"], ["1", "2", "3"])
        self.assertEqual(q["puts"], 5)
        self.assertEqual(q["gets"], 2)
        self.assertEqual(queues["PriorityQueue"]["items"], ["1", "2", "3"])
        self.assertEqual(queues["LifoQueue"]["items"], ["'s2'", "'s1'", "'s3'"])
        getter = tr.task("getter")
        futs = tr.futures()
        (wait,) = tr.waits_of(getter["id"])
        self.assertEqual(futs[wait]["type"], "queue-get")
        self.assertEqual(futs[wait]["owner"], q["id"])
        self.assertEqual(tr.site_line(futs[wait]["site"]), ("prog.py", p.line("get")))
        blocked = [e for e in tr.of_kind("queue/sample") if e["queue"] == q["id"] and e["getters"]]
        self.assertTrue(blocked, "no sample showed the blocked getter")
        self.assertEqual(blocked[0]["getters"], [getter["id"]])
        created = [e for e in tr.of_kind("queue/created") if e["queue"] == q["id"]][0]
        self.assertEqual(tr.site_line(created["site"]), ("prog.py", p.line("queue")))

    def test_lock_event_semaphore_condition_waiters(self):
        p = Program(
            """
            import asyncio

            async def main():
                lock = asyncio.Lock()
                ev = asyncio.Event()
                sem = asyncio.Semaphore(1)
                bsem = asyncio.BoundedSemaphore(1)
                cond = asyncio.Condition()
                await lock.acquire()
                await sem.acquire()
                async def want_lock():
                    async with lock:
                        pass
                async def want_event():
                    await ev.wait()
                async def want_sem():
                    async with sem:
                        pass
                async def want_cond():
                    async with cond:
                        await cond.wait()
                ts = [asyncio.create_task(f(), name=f.__name__) for f in (want_lock, want_event, want_sem, want_cond)]
                await asyncio.sleep(0.25)
                lock.release(); ev.set(); sem.release()
                async with cond:
                    cond.notify_all()
                await asyncio.gather(*ts)
                async with bsem:
                    pass

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        types = {e["prim"]: e["type"] for e in tr.of_kind("sync/created")}
        self.assertEqual(sorted(types.values()), ["BoundedSemaphore", "Condition", "Event", "Lock", "Semaphore"])
        by_type = {t: pid for pid, t in types.items()}
        futs = tr.futures()
        expect = {"want_lock": ("lock", "Lock"), "want_event": ("event", "Event"), "want_sem": ("semaphore", "Semaphore"), "want_cond": ("condition", "Condition")}
        for name, (ftype, ptype) in expect.items():
            t = tr.task(name)
            w = tr.waits_of(t["id"])[0]
            self.assertEqual(futs[w]["type"], ftype, name)
            self.assertEqual(futs[w]["owner"], by_type[ptype], name)
            samples = [e for e in tr.of_kind("sync/sample") if e["prim"] == by_type[ptype] and e["waiters"]]
            self.assertTrue(samples, "no sample of %s showed its waiter" % ptype)
            self.assertEqual(samples[0]["waiters"], [t["id"]])
        lock_states = [e["state"] for e in tr.of_kind("sync/sample") if e["prim"] == by_type["Lock"]]
        self.assertEqual(lock_states[0], "locked")
        self.assertEqual(lock_states[-1], "unlocked")


class LockHolders(unittest.TestCase):
    def test_a_two_lock_deadlock_names_both_holders(self):
        p = Program(
            """
            import asyncio

            async def transfer(first, second):
                async with first:
                    await asyncio.sleep(0.01)
                    async with second:
                        pass

            async def main():
                a, b = asyncio.Lock(), asyncio.Lock()
                t1 = asyncio.create_task(transfer(a, b), name="a-then-b")
                t2 = asyncio.create_task(transfer(b, a), name="b-then-a")
                done, pending = await asyncio.wait({t1, t2}, timeout=0.4)
                print(len(done), len(pending))
                for t in pending:
                    t.cancel()
                await asyncio.gather(t1, t2, return_exceptions=True)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"0 2\n")
        t1, t2 = tr.task("a-then-b")["id"], tr.task("b-then-a")["id"]
        locks = [e["prim"] for e in tr.of_kind("sync/created")]
        stuck = {}
        for e in tr.of_kind("sync/sample"):
            if e["state"] == "locked" and e["waiters"]:
                stuck[e["prim"]] = (e["holder"], e["waiters"])
        self.assertEqual(sorted(stuck), sorted(locks))
        self.assertEqual(sorted(stuck.values()), sorted([(t1, [t2]), (t2, [t1])]))


class Loops(unittest.TestCase):
    def test_every_way_to_make_a_loop(self):
        p = Program(
            """
            import asyncio, threading

            async def job(tag):
                await asyncio.sleep(0)
                return tag

            loop = asyncio.new_event_loop()
            print(loop.run_until_complete(job("run_until_complete")))
            loop.close()
            print(asyncio.run(job("run")))

            def in_thread():
                print(asyncio.run(job("thread")))
            t = threading.Thread(target=in_thread, name="side")
            t.start(); t.join()

            a = asyncio.new_event_loop(); b = asyncio.new_event_loop()
            print(a.run_until_complete(job("a")), b.run_until_complete(job("b")))
            a.close(); b.close()

            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                asyncio.set_event_loop(asyncio.new_event_loop())
                g = asyncio.get_event_loop()
            print(g.run_until_complete(job("get_event_loop")))
            g.close()
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout.decode().split(), ["run_until_complete", "run", "thread", "a", "b", "get_event_loop"])
        loops = tr.of_kind("loop/created")
        self.assertEqual(len(loops), 6)
        self.assertEqual(len(tr.of_kind("loop/closed")), 6)
        jobs = [t for t in tr.report["tasks"] if t["coro"] == "job"]
        self.assertEqual(len(jobs), 6)
        self.assertTrue(all(t["state"] == "done" and t["steps"] == 2 for t in jobs))
        created = {e["task"]: e["loop"] for e in tr.task_created()}
        self.assertEqual(len({created[t["id"]] for t in jobs}), 6)

    def test_user_task_factory_is_chained(self):
        p = Program(
            """
            import asyncio

            made = []
            def factory(loop, coro, **kw):
                made.append(coro.__qualname__)
                return asyncio.Task(coro, loop=loop, **kw)

            async def child():
                await asyncio.sleep(0)

            async def main():
                asyncio.get_running_loop().set_task_factory(factory)
                print(asyncio.get_running_loop().get_task_factory() is factory)
                await asyncio.create_task(child())
                print(made)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"True\n['child']\n")
        child = [t for t in tr.report["tasks"] if t["coro"] == "child"][0]
        self.assertEqual(child["state"], "done")
        self.assertEqual(child["steps"], 2)

    @unittest.skipIf(PY < (3, 12), "eager tasks are 3.12+")
    def test_eager_task_factory(self):
        p = Program(
            """
            import asyncio

            async def quick():
                return 1

            async def slow():
                await asyncio.sleep(0)
                return 2

            async def main():
                asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
                a = asyncio.create_task(quick())
                b = asyncio.create_task(slow())
                print(a.done(), await a, await b)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"True 1 2\n")
        quick = [t for t in tr.report["tasks"] if t["coro"] == "quick"][0]
        slow = [t for t in tr.report["tasks"] if t["coro"] == "slow"][0]
        self.assertEqual(quick["state"], "done")
        self.assertEqual(quick["result"], "1")
        self.assertEqual(slow["state"], "done")


class SafeRepr(unittest.TestCase):
    def test_raising_huge_and_hanging_reprs(self):
        p = Program(
            """
            import asyncio, time

            class Raises:
                def __repr__(self):
                    raise RuntimeError("no repr for you")

            class Huge:
                def __repr__(self):
                    return "x" * 10_000_000

            class Hangs:
                def __repr__(self):
                    while True:
                        time.sleep(0.001)

            async def give(v):
                return v

            async def main():
                q = asyncio.Queue()
                for v in (Raises(), Huge(), Hangs()):
                    q.put_nowait(v)
                    await asyncio.create_task(give(v))
                await asyncio.sleep(0.3)
                print("still fine")
                globals()["q"] = q

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"still fine\n")
        # A task's result is never repr()'d by the tracer (asyncio never does):
        # shown as object.__repr__ would show it.
        results = [t["result"] for t in tr.report["tasks"] if t["coro"] == "give"]
        for result, cls in zip(results, ("Raises", "Huge", "Hangs")):
            self.assertRegex(result, r"^<__main__\.%s object at 0x[0-9a-f]+>$" % cls)
        # Queue items are shown by their repr, bounded in length and time.
        (q,) = tr.report["queues"]
        self.assertLessEqual(len(q["items"][1]), 200)
        self.assertTrue(q["items"][1].startswith("xxx") and q["items"][1].endswith("..."))
        self.assertEqual(q["items"][0], "<Raises object (repr raised RuntimeError)>")
        self.assertEqual(q["items"][2], "<Hangs object (repr timed out)>")

    def test_no_user_code_runs_for_results_and_exceptions(self):
        p = Program(
            """
            import asyncio

            calls = []

            class Counted:
                def __repr__(self):
                    calls.append("repr")
                    return "Counted()"

            class Loud(Exception):
                def __str__(self):
                    calls.append("str")
                    return "loud"

            async def give(v):
                return v

            async def fail(exc):
                raise exc

            async def main():
                await asyncio.create_task(give(Counted()))
                await asyncio.create_task(give([1, "two", (3.0,), {"k": None}, b"x", Counted()]))
                await asyncio.create_task(give(10 ** 100))
                for exc in (Loud("a", 1), ValueError("bad value"), KeyError("k"), OSError(2, "No such file"), ValueError(Counted())):
                    t = asyncio.create_task(fail(exc))
                    try:
                        await t
                    except Exception:
                        pass
                t = asyncio.create_task(asyncio.sleep(10))
                await asyncio.sleep(0)
                t.cancel(Counted()) if __import__("sys").version_info >= (3, 9) else t.cancel()
                try:
                    await t
                except asyncio.CancelledError:
                    pass
                print("calls:", calls)

            asyncio.run(main())
            """
        )
        proc, tr = p.record()
        ok(self, proc)
        self.assertEqual(proc.stdout, b"calls: []\n")
        results = [t["result"] for t in tr.report["tasks"] if t["coro"] == "give"]
        self.assertRegex(results[0], r"^<__main__\.Counted object at 0x[0-9a-f]+>$")
        self.assertRegex(results[1], r"^\[1, 'two', \(3\.0,\), \{'k': None\}, b'x', <__main__\.Counted object at 0x[0-9a-f]+>\]$")
        self.assertEqual(results[2], "<int of 333 bits>")
        messages = [(t["exception"]["type"], t["exception"]["message"]) for t in tr.report["tasks"] if t["coro"] == "fail"]
        self.assertEqual(messages[0], ("Loud", "('a', 1)"))
        self.assertEqual(messages[1], ("ValueError", "bad value"))
        self.assertEqual(messages[2], ("KeyError", "'k'"))
        self.assertEqual(messages[3], ("FileNotFoundError", "[Errno 2] No such file"))
        self.assertRegex(messages[4][1], r"^<__main__\.Counted object at 0x[0-9a-f]+>$")
        if sys.version_info >= (3, 9):
            (cancelled,) = [t for t in tr.report["tasks"] if t["state"] == "cancelled"]
            self.assertRegex(cancelled["cancel_message"] or "", r"^<__main__\.Counted object at 0x[0-9a-f]+>$")


if __name__ == "__main__":
    unittest.main()
