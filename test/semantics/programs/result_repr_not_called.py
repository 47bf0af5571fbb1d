# asyncio never calls repr() on a task's result (CPython's test_runners
# test_no_repr_is_call_on_the_task_result, gh-112559): a user's __repr__ may be
# slow, have side effects or fail. The tracer's task/done event takes the
# result's repr when the task finishes.
import asyncio


class MyResult:
    def __init__(self):
        self.repr_count = 0

    def __repr__(self):
        self.repr_count += 1
        return super().__repr__()


async def coro():
    return MyResult()


result = asyncio.run(coro())
print("repr() calls on the result:", result.repr_count)
