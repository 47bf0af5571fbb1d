# Finalizers of the program's garbage run on the thread whose allocation
# triggers an automatic collection. Without Loopscope this single-threaded
# program runs them all on MainThread, and gc.collect() always collects. Under
# the tracer, the drain thread's allocations start some collections: the
# program's finalizers then run on that thread, and a gc.collect() made while
# such a collection runs (a finalizer lets the GIL go) returns without
# collecting, so what the program just dropped survives it.
#
# Not in programs/: it is slow (~15-30 s) and shows the difference only by
# chance (often on 3.11 here). CPython's test_tasks
# test_log_destroyed_pending_task fails under the tracer this way: every
# failure seen had its gc.collect() run while a collection started on
# loopscope-drain was running.
import asyncio, gc, threading, time, weakref

threads = set()

class Garbage:
    def __del__(self):
        threads.add(threading.current_thread().name)
        time.sleep(0)  # as a finalizer that logs or closes a socket: lets other threads run

class Dropped:
    pass

async def main():
    survived = 0
    for i in range(400):
        for _ in range(600):
            g = Garbage()
            g.cycle = g  # only a collection frees it
        g = None
        await asyncio.gather(*[asyncio.sleep(0) for _ in range(20)])  # events for the tracer's drain thread
        obj = Dropped()
        obj.cycle = obj
        ref = weakref.ref(obj)
        obj = None
        gc.collect()
        survived += ref() is not None
    print("dropped objects that survived gc.collect():", "none" if survived == 0 else "some")
    print("threads that ran finalizers:", sorted(threads))

asyncio.run(main())
