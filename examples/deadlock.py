# DEADLOCK: this program hangs forever, by design. Stop it yourself (Ctrl+C, or stop the
# debug session). The test suite does not run it:
# loopscope-test: never-terminates
"""Two asyncio.Locks taken in opposite order: a deadlock.

Two tasks take the same two asyncio.Locks in opposite order: transfer-a-to-b holds
lock A and waits for lock B, while transfer-b-to-a holds lock B and waits for lock
A. Neither can go on, the loop has nothing left to run, and it idles forever.

In the Loopscope view: both tasks are pending, each one in the other lock's
waiters, and the await graph shows the cycle
transfer-a-to-b -> lock B -> transfer-b-to-a -> lock A -> transfer-a-to-b.
"""
import asyncio


async def transfer(name, first_name, first, second_name, second):
    async with first:
        print("%s: holding %s" % (name, first_name))
        # Give the other task time to take its first lock too.
        await asyncio.sleep(0.5)
        print("%s: waiting for %s ..." % (name, second_name))
        async with second:
            print("%s: holding %s and %s (never printed)" % (name, first_name, second_name))


async def main():
    lock_a = asyncio.Lock()
    lock_b = asyncio.Lock()
    await asyncio.gather(
        asyncio.create_task(
            transfer("transfer-a-to-b", "lock A", lock_a, "lock B", lock_b),
            name="transfer-a-to-b"),
        asyncio.create_task(
            transfer("transfer-b-to-a", "lock B", lock_b, "lock A", lock_a),
            name="transfer-b-to-a"),
    )
    print("unreachable: the two transfers deadlock")


if __name__ == "__main__":
    asyncio.run(main())
