"""Tasks that are started and then forgotten (runs about 1 second).

Four classic leaks, one after the other:

1. fire-and-forget: send_metric() tasks created in a loop, never awaited, their
   results never looked at;
2. a background poller started "for later" and never stopped: it is still
   running when main() returns, and asyncio.run() cancels it on the way out;
3. a task nobody keeps a reference to, waiting on a future nobody else holds:
   the garbage collector destroys it while it is still pending, and asyncio logs
   "Task was destroyed but it is pending!" on stderr (gc.collect() is called
   explicitly, so this happens at the same point on every run);
4. a coroutine that is called but never awaited (a missing `await`): it never
   runs, and Python warns "coroutine ... was never awaited" on stderr.

In the Loopscope view: the pile of finished-but-never-awaited send_metric tasks,
the poller that outlives everything, the pending task that vanishes, and the
coroutine that never becomes a task at all.
"""
import asyncio
import gc


async def send_metric(n):
    await asyncio.sleep(0.05 * n)
    print("metric %d sent" % n)
    return n


async def poll_forever():
    tick = 0
    while True:
        tick += 1
        print("poller: tick %d" % tick)
        await asyncio.sleep(0.3)


async def wait_for_reply():
    loop = asyncio.get_running_loop()
    reply = loop.create_future()   # nobody else has this future: it never completes
    print("wait_for_reply: waiting for a reply that never comes")
    await reply
    print("wait_for_reply: never printed")


async def refresh_cache():
    print("refresh_cache: never printed")


async def main():
    # 1. fire-and-forget
    for n in range(1, 4):
        asyncio.create_task(send_metric(n))
    print("main: 3 metrics sent off, not waiting for them")

    # 2. a background poller, started and forgotten
    asyncio.create_task(poll_forever(), name="poller")

    await asyncio.sleep(0.45)

    # 3. a task nobody references
    asyncio.ensure_future(wait_for_reply())
    await asyncio.sleep(0.3)
    print("main: collecting garbage")
    gc.collect()   # destroys the forgotten wait_for_reply task

    # 4. a missing await
    refresh_cache()

    await asyncio.sleep(0.3)
    print("main: returning (the poller is still running)")


if __name__ == "__main__":
    asyncio.run(main())
