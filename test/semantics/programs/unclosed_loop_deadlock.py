# An event loop that is never closed is closed by its __del__ (with a
# ResourceWarning). If the GC frees it inside threading.Event.set() on the same
# thread, the tracer's close hook flushes and sets the drain's wake Event.
import asyncio, gc, warnings

warnings.simplefilter("ignore", ResourceWarning)
gc.set_threshold(1)
for i in range(3000):
    loop = asyncio.new_event_loop()
    loop.run_until_complete(asyncio.sleep(0))   # something to flush at close
    loop.cycle = loop                            # freed only by the GC
    loop = None
    q = asyncio.Queue()                          # off-loop event: wake.set()
print("done")
