# A task dropped by the program (pending on a future nobody will complete) is
# freed by the next gc.collect(), even when that runs in a later step of the
# same loop iteration. The tracer's _run_once kept the previous step's awaited
# future in a local while the next handles ran: every such task survived.
# The handler prints asyncio's message without the task's repr: whether that
# shows the coroutine "running at" or "done" depends on which of the two the
# collection finalizes first, which any allocation (a tracer's too) can change.
import asyncio, gc, weakref, sys
async def wait_forever():
    await asyncio.get_running_loop().create_future()
async def main():
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: print(ctx["message"], file=sys.stderr))
    sleepers = [asyncio.ensure_future(asyncio.sleep(3600)) for _ in range(3000)]
    await asyncio.sleep(0)
    late = 0
    for i in range(300):
        task = asyncio.ensure_future(wait_forever())
        await asyncio.sleep(0)
        ref = weakref.ref(task); task = None
        gc.collect()
        late += ref() is not None
        await asyncio.sleep(0.005)
    print("still alive right after gc.collect(): %d of 300" % late)
    for s in sleepers: s.cancel()
asyncio.run(main())
