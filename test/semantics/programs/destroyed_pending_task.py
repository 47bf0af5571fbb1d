# A pending task that nobody references any more (it waits on a future nobody
# will complete) is freed by gc.collect(), with "Task was destroyed but it is
# pending!", while the loop is stopped and while it runs (CPython's test_tasks
# test_log_destroyed_pending_task). The tracer kept the future it waits on in a
# strong table and the task in pending events: a leak.
import asyncio
import gc
import weakref


async def wait_forever():
    await asyncio.get_running_loop().create_future()


loop = asyncio.new_event_loop()
task = loop.create_task(wait_forever())
loop.run_until_complete(asyncio.sleep(0))
ref = weakref.ref(task)
task = None
gc.collect()
print("stopped loop: task freed after gc.collect():", ref() is None, flush=True)


async def main():
    task = asyncio.get_running_loop().create_task(wait_forever())
    await asyncio.sleep(0.01)
    ref = weakref.ref(task)
    task = None
    for _ in range(3):
        await asyncio.sleep(0.1)  # the tracer flushes and drains meanwhile
        gc.collect()
    print("running loop: task freed after gc.collect():", ref() is None, flush=True)


loop.run_until_complete(main())
loop.close()
print("end", flush=True)
