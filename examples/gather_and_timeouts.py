"""gather, wait_for, shield, as_completed and (Python 3.11+) TaskGroup (runs about 3 seconds).

Each section prints what it shows. Durations are far apart (at least 0.1 s), so
the order of events is the same on every run.

In the Loopscope view: gather's children and their parent, the timeout that
cancels a wait_for'ed coroutine, the shielded task that keeps running after its
waiter gave up, as_completed handing results back in finishing order, and a
TaskGroup cancelling its other children when one fails.
"""
import asyncio


async def job(name, seconds, fail=False):
    await asyncio.sleep(seconds)
    if fail:
        raise ValueError("%s failed" % name)
    return "%s (%g s)" % (name, seconds)


async def demo_gather():
    print("-- gather")
    results = await asyncio.gather(job("a", 0.3), job("b", 0.1), job("c", 0.2))
    print("gather results, in argument order:", results)
    results = await asyncio.gather(job("d", 0.1), job("e", 0.2, fail=True),
                                   return_exceptions=True)
    print("gather with return_exceptions:", [repr(r) for r in results])


async def demo_wait_for():
    print("-- wait_for")
    print("fast enough:", await asyncio.wait_for(job("quick", 0.1), timeout=0.5))
    try:
        await asyncio.wait_for(job("slow", 1.0), timeout=0.2)
    except asyncio.TimeoutError:
        print("slow job: timed out after 0.2 s and was cancelled")


async def demo_shield():
    print("-- shield")
    inner = asyncio.create_task(job("shielded", 0.6), name="shielded-job")
    try:
        await asyncio.wait_for(asyncio.shield(inner), timeout=0.2)
    except asyncio.TimeoutError:
        print("waiter gave up after 0.2 s; inner task cancelled? %s" % inner.cancelled())
    print("inner task still finishes:", await inner)


async def demo_as_completed():
    print("-- as_completed")
    jobs = [job("slowest", 0.4), job("fastest", 0.1), job("middle", 0.25)]
    for next_done in asyncio.as_completed(jobs):
        print("finished:", await next_done)


async def demo_task_group():
    print("-- TaskGroup")
    if not hasattr(asyncio, "TaskGroup"):
        print("asyncio.TaskGroup needs Python 3.11+; skipped on this Python")
        return
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(job("tg-1", 0.1))
        t2 = tg.create_task(job("tg-2", 0.2))
    print("TaskGroup results:", t1.result(), t2.result())
    try:
        async with asyncio.TaskGroup() as tg:
            ok = tg.create_task(job("tg-slow", 1.0), name="tg-slow")
            tg.create_task(job("tg-broken", 0.1, fail=True), name="tg-broken")
    except Exception as group:   # an ExceptionGroup
        print("TaskGroup raised %s: %s" % (type(group).__name__,
                                          [str(e) for e in group.exceptions]))
        print("its other child was cancelled: %s" % ok.cancelled())


async def main():
    await demo_gather()
    await demo_wait_for()
    await demo_shield()
    await demo_as_completed()
    await demo_task_group()


if __name__ == "__main__":
    asyncio.run(main())
