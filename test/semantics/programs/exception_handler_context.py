# A task made with asyncio.Task() sets a context variable and fails; nobody keeps
# it. The exception handler ("Task exception was never retrieved") runs before
# the creator's next step (3.12+: in the task's context, gh-96704). In debug mode
# the tracer's _run_debug frame kept the task in a cycle through the traceback,
# so the handler waited for the GC (CPython's test_futures2
# test_task_exc_handler_correct_context, 3.13).
import asyncio
import contextvars
import threading

name = contextvars.ContextVar("name", default="foo")


async def main():
    seen = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, ctx: seen.append((name.get(), threading.current_thread().name)))

    async def fail():
        name.set("bar")
        1 / 0

    asyncio.Task(fail())
    await asyncio.sleep(0)
    print("handler before the next step saw (var, thread):", seen)
    await asyncio.sleep(0.2)
    print("after 0.2 s:", seen)


asyncio.run(main(), debug=True)  # IsolatedAsyncioTestCase runs its loop in debug mode
