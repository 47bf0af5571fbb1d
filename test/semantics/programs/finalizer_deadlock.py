# Garbage collection can run a finalizer at any allocation, including inside
# threading.Event.set() while it holds its lock. The tracer's Queue.__del__
# records a last sample through Session.other_event(), which calls wake.set()
# on the same Event: the thread waits for a lock it holds, forever.
# (Seen as CPython's test_asyncio hanging on 3.8 under the tracer.)
import asyncio, gc

gc.set_threshold(1)          # a collection at (nearly) every allocation
for i in range(20000):
    q = asyncio.Queue()      # recorded off-loop: other_event() -> wake.set()
    q.cycle = q              # freed only by the GC, so Queue.__del__ runs inside it
    q = None
print("done")
