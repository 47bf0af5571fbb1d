"""A coroutine that blocks the event loop with time.sleep() (runs about 4 seconds).

A heartbeat task is due every 0.5 s. At 0.75 s blocking_job() calls
time.sleep(1.5) -- a blocking call, not `await asyncio.sleep(1.5)` -- and for those
1.5 seconds nothing else on the loop can run: the heartbeats due meanwhile all
fire late, back to back, once the loop gets control again.

In the Loopscope view: the loop stuck in one callback (blocking_job's step) for
1.5 s while the heartbeat's timer is overdue, then the burst of late heartbeats.
"""
import asyncio
import time

INTERVAL = 0.5
LATE = 0.125   # a heartbeat that fires this much after it was due is reported late


async def heartbeat(beats):
    loop = asyncio.get_running_loop()
    start = loop.time()
    for beat in range(1, beats + 1):
        due = start + beat * INTERVAL
        await asyncio.sleep(max(0.0, due - loop.time()))
        if loop.time() - due > LATE:
            print("heartbeat %2d: LATE -- the loop was blocked" % beat)
        else:
            print("heartbeat %2d: on time" % beat)


async def blocking_job():
    await asyncio.sleep(0.75)
    print("blocking_job: calling time.sleep(1.5) inside a coroutine -- the loop is blocked")
    time.sleep(1.5)   # BUG: blocks the whole event loop; use `await asyncio.sleep(1.5)`
    print("blocking_job: done blocking")


async def main():
    await asyncio.gather(heartbeat(8), blocking_job())


if __name__ == "__main__":
    asyncio.run(main())
