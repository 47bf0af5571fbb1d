# A task factory may return any object, not only a Task (CPython's
# test_runners returns a wrapper holding the real Task, with no _state). The
# tracer used to stop on it with an internal error, and the rest of that loop
# iteration then raised AttributeError into the program.
import asyncio


class Wrapper:
    def __init__(self, loop, coro, **kwargs):
        self.task = asyncio.Task(coro, loop=loop)

    def set_name(self, name):  # 3.13's create_task calls it
        pass


async def work():
    await asyncio.sleep(0)
    return 42


async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(Wrapper)
    wrapper = loop.create_task(work())
    loop.set_task_factory(None)
    print("result:", await wrapper.task)


asyncio.run(main())
print("end")
