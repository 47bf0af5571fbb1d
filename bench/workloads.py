"""The three benchmark workloads of bench/README.md, runnable as a program.

    python bench/workloads.py sleep0|queue|futures

Each prints nothing but the time it took (ns, on stderr when LOOPSCOPE_BENCH_QUIET
is unset) so that the same file is timed plain and under `python -m loopscope`.
"""
import asyncio
import os
import sys
import time

# LOOPSCOPE_BENCH_SCALE=20 divides every workload by 20 (for instruction
# counting under callgrind, where full size takes minutes).
SCALE = max(1, int(os.environ.get("LOOPSCOPE_BENCH_SCALE", "1")))


async def _sleeper(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def sleep0(tasks=20_000 // SCALE, steps=10):
    await asyncio.gather(*[_sleeper(steps) for _ in range(tasks)])


async def queue(items=200_000 // SCALE, maxsize=100):
    q = asyncio.Queue(maxsize)

    async def producer():
        for i in range(items):
            await q.put(i)
        await q.put(None)

    async def consumer():
        total = 0
        while True:
            item = await q.get()
            if item is None:
                return total
            total += item

    await asyncio.gather(producer(), consumer())


async def futures(count=100_000 // SCALE):
    loop = asyncio.get_running_loop()
    for i in range(count):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, i)
        await fut


WORKLOADS = {"sleep0": sleep0, "queue": queue, "futures": futures}


def main(argv):
    name = argv[1]
    if name == "none":  # start-up only: the baseline instruction counts subtract
        sys.stdout.write("none 0\n")
        return
    t0 = time.perf_counter_ns()
    asyncio.run(WORKLOADS[name]())
    dt = time.perf_counter_ns() - t0
    sys.stdout.write("%s %d\n" % (name, dt))


if __name__ == "__main__":
    main(sys.argv)
