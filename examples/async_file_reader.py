"""An asynchronous context manager that reads a file in worker threads (runs instantly).

From the seed tutorial "Introduction to Asynchronous Programming" (section
"Asynchronous Context Managers"). asyncio.to_thread exists on Python 3.9+; on 3.8
this copy falls back to loop.run_in_executor, which is what to_thread uses. The
file is example.txt next to this program (the tutorial used the current folder).

In the Loopscope view: read_file's task waiting on futures that complete in the
default thread-pool executor.
"""
import asyncio
import functools
import os

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "example.txt")


async def to_thread(func, *args):
    if hasattr(asyncio, "to_thread"):
        return await asyncio.to_thread(func, *args)
    loop = asyncio.get_running_loop()   # Python 3.8
    return await loop.run_in_executor(None, functools.partial(func, *args))


class AsyncFileReader:
    def __init__(self, filename):
        self.filename = filename
        self.file = None

    async def __aenter__(self):
        # Open the file in a separate thread to prevent blocking the async loop
        self.file = await to_thread(open, self.filename, 'r')
        return self.file

    async def __aexit__(self, exc_type, exc, tb):
        # Close the file in a separate thread to ensure the async loop is not blocked
        await to_thread(self.file.close)


async def read_file():
    # Use the asynchronous context manager to handle the file
    async with AsyncFileReader(EXAMPLE) as f:
        # Read the file's contents in a separate thread and print them
        contents = await to_thread(f.read)
        print(contents)


if __name__ == "__main__":
    asyncio.run(read_file())
