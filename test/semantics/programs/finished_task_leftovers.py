# What a finished task leaves behind (its exception, whose traceback holds the
# task's frames and their locals, or its result) is freed when the program drops
# it. CPython's test_sslproto test_handshake_timeout checks this for the
# SSLContext a timed-out create_connection() used. The tracer's task/done event
# holds the exception or result until the loop flushes and the drain converts
# it; a stopped loop keeps it until it runs again or is closed.
import asyncio
import gc
import weakref


class Resource:
    pass


async def use(res):
    await asyncio.sleep(0)
    raise ValueError("boom")


async def produce():
    await asyncio.sleep(0)
    return Resource()


async def main():
    res = Resource()
    refs = [weakref.ref(res)]
    try:
        await asyncio.create_task(use(res))
    except ValueError:
        pass
    refs.append(weakref.ref(await asyncio.create_task(produce())))
    return refs


loop = asyncio.new_event_loop()
in_traceback, result = loop.run_until_complete(main())
gc.collect()
print("local of a failed task's frame freed:", in_traceback() is None)
print("result of a finished task freed:", result() is None)
loop.close()
