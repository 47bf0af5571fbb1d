"""Coffee and pastry, synchronous vs asynchronous (runs about 8 seconds).

From the seed tutorial "Lesson 16 Asyncio" (example "Making Coffee and Pastry"),
with the tutorial's timings. The original used `from rich import print` for
colours; this copy uses the builtin print and drops the colour tags, and rounds
the total times to whole seconds (5 s sequentially, 3 s concurrently).

In the Loopscope view: nothing on the loop during the synchronous half (it uses
time.sleep and no event loop exists yet), then the two tasks make_coffee_async
and make_pastry_async sleeping side by side under order_async's gather().
"""
import asyncio
import time
import threading

# Synchronous approach
def make_coffee_sync():
    print(f"\tMaking coffee... : Thread Name: {threading.current_thread().name}")
    time.sleep(2)  # Simulate coffee preparation time
    print("\tCoffee is ready!")

def make_pastry_sync():
    print(f"\tMaking pastry... : Thread Name: {threading.current_thread().name}")
    time.sleep(3)  # Simulate pastry preparation time
    print("\tPastry is ready!")

def order_sync():
    make_coffee_sync()
    make_pastry_sync()

# Asynchronous approach using Asyncio
async def make_coffee_async():
    print(f"\tMaking coffee... : Thread Name: {threading.current_thread().name}")
    await asyncio.sleep(2)  # Simulate coffee preparation time
    print("\tCoffee is ready!")

async def make_pastry_async():
    print(f"\tMaking pastry... : Thread Name: {threading.current_thread().name}")
    await asyncio.sleep(3)  # Simulate pastry preparation time
    print("\tPastry is ready!")

async def order_async():
    tasks = [
        asyncio.create_task(make_coffee_async()),
        asyncio.create_task(make_pastry_async())
    ]
    await asyncio.gather(*tasks)

if __name__ == "__main__":
    # Run the synchronous example
    print("Synchronous approach: ")
    start_time = time.time()

    print("Main thread entring order_sync()")
    order_sync()
    print("Main thread exiting order_sync()")

    print(f"Total time: about {round(time.time() - start_time)} seconds")

    # Run the asynchronous example
    print("\n\nAsynchronous approach: ")

    start_time = time.time()

    print("Main thread entring order_async()")
    asyncio.run(order_async())
    print("Main thread exiting order_async()")

    print(f"Total time: about {round(time.time() - start_time)} seconds")
