# A failed task nobody awaited is freed when its last reference goes, and
# "Task exception was never retrieved" is logged then (CPython's test_base_events
# test_default_exc_handler_coro). The tracer held the task in a pending event and
# in a local of its _run_once frame (reached from the traceback through f_back).
import asyncio
import gc
import weakref


async def boom():
    await asyncio.sleep(0.01)
    1 / 0


loop = asyncio.new_event_loop()
task = loop.create_task(boom())
task.add_done_callback(lambda f: loop.stop())
loop.run_forever()
ref = weakref.ref(task)
task = None
gc.collect()
print("task freed after gc.collect():", ref() is None, flush=True)
loop.close()
print("end", flush=True)
