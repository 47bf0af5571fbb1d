"""Producers and consumers over an asyncio.Queue (runs about 9 seconds, then exits).

Two producers (producer-1, producer-2) put orders on a queue faster than three
consumers (consumer-1..3) can handle them, so a backlog of up to nine items builds
up and then drains. In the Loopscope view, watch:

- the tasks producer-1/2 and consumer-1/2/3 (they are named), sleeping on timers;
- the queue's items while the backlog grows, and its waiting getters at the
  start and at the end, when the consumers are idle;
- main waiting on gather(), then on queue.join().

Every put and every hand-over happens at a fixed point of a schedule computed from
the start time (not from one sleep after another, which would drift), and no two
of them are closer than 70 ms, so the printed output is the same on every run.
"""
import asyncio
import collections

Item = collections.namedtuple("Item", "label put_at")

PRODUCERS = [
    # name, first put (s), interval (s), how many
    ("producer-1", 0.10, 0.43, 10),
    ("producer-2", 0.28, 0.42, 8),
]
CONSUMERS = [
    # name, seconds per item
    ("consumer-1", 1.22),
    ("consumer-2", 1.38),
    ("consumer-3", 1.58),
]


async def sleep_until(start, offset):
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start + offset - loop.time()))


async def producer(name, first, every, count, queue, start):
    for k in range(count):
        put_at = first + k * every
        await sleep_until(start, put_at)
        item = Item("%s/order-%02d" % (name, k + 1), put_at)
        await queue.put(item)
        print("%-10s put   %s   (queue size %d)" % (name, item.label, queue.qsize()))
    print("%-10s done producing" % name)


async def consumer(name, seconds_per_item, queue, start):
    free_at = 0.0  # when, on the schedule, this consumer is free again
    while True:
        item = await queue.get()
        begin = max(free_at, item.put_at)
        print("%-10s takes %s   (queue size %d)" % (name, item.label, queue.qsize()))
        free_at = begin + seconds_per_item
        await sleep_until(start, free_at)
        print("%-10s done  %s" % (name, item.label))
        queue.task_done()


async def main():
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    start = loop.time()
    consumers = [
        asyncio.create_task(consumer(name, seconds, queue, start), name=name)
        for name, seconds in CONSUMERS
    ]
    producers = [
        asyncio.create_task(producer(name, first, every, count, queue, start), name=name)
        for name, first, every, count in PRODUCERS
    ]
    await asyncio.gather(*producers)
    print("all producers finished; %d orders still queued" % queue.qsize())
    await queue.join()
    print("queue drained; stopping the consumers")
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    print("done")


if __name__ == "__main__":
    asyncio.run(main())
