"""A task that catches CancelledError and carries on (runs about 2 seconds).

main() cancels the worker while it sleeps. The worker catches the CancelledError,
prints that it is ignoring it, and keeps working through its remaining steps;
main() then awaits it and gets a normal result instead of CancelledError, and
task.cancelled() is False. (The fix is to clean up and re-raise:
`except asyncio.CancelledError: ...; raise`.)

In the Loopscope view: the cancel request, with main() as its origin, on a task
that then keeps running; on Python 3.11+ task.cancelling() stays 1 although the
task never finished cancelling.
"""
import asyncio


async def stubborn_worker():
    done = 0
    for step in range(1, 6):
        try:
            await asyncio.sleep(0.3)
            done += 1
            print("worker: step %d done" % step)
        except asyncio.CancelledError:
            # BUG: the cancellation is swallowed instead of re-raised.
            print("worker: cancelled during step %d -- ignoring it and carrying on" % step)
    return "%d of 5 steps done" % done


async def main():
    task = asyncio.create_task(stubborn_worker(), name="stubborn-worker")
    await asyncio.sleep(0.45)   # half-way through step 2
    print("main: cancelling the worker")
    task.cancel()
    result = await task
    print("main: the worker returned %r" % result)
    print("main: task.cancelled() = %s" % task.cancelled())
    if hasattr(task, "cancelling"):   # Python 3.11+
        print("main: task.cancelling() = %d" % task.cancelling())


if __name__ == "__main__":
    asyncio.run(main())
