# As destroyed_pending_task.py, for a task made by a task factory (Loopscope
# adopts it rather than creating it) after the loop ran many tasks. The task
# object was kept in its task/created event until the drain ran: still alive
# after gc.collect() every time (3 to 4 of the 8 variants of CPython's
# test_log_destroyed_pending_task failed).
import asyncio
import gc
import weakref


async def wait_forever(loop):
    await asyncio.Future(loop=loop)


async def noise():
    await asyncio.sleep(0)


async def many():
    await asyncio.gather(*[noise() for _ in range(300)])


late = 0
for i in range(20):
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, ctx: None)
    loop.run_until_complete(many())
    loop.set_task_factory(lambda loop, coro, **kw: asyncio.Task(coro, loop=loop, **kw))
    task = loop.create_task(wait_forever(loop))
    loop._run_once()
    ref = weakref.ref(task)
    task = None
    gc.collect()
    late += ref() is not None
    loop.close()
print("tasks still alive right after gc.collect(): %d of 20" % late)
