"""An asynchronous iterator that yields one message a second (runs about 4 seconds).

From the seed tutorial "Introduction to Asynchronous Programming" (section
"Asynchronous Iterators"), unchanged apart from this docstring.

In the Loopscope view: process_messages' task sleeping in __anext__ between
messages, and the list of messages left shrinking.
"""
import asyncio

class AsyncMessageReader:
    def __init__(self, messages):
        self.messages = messages

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.messages:
            raise StopAsyncIteration
        return await asyncio.sleep(1, self.messages.pop(0))

async def process_messages():
    async for message in AsyncMessageReader(['Hello', 'World', 'Async', 'Python']):
        print(message)

if __name__ == "__main__":
    asyncio.run(process_messages())
