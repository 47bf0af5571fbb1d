"""Tasks that raise (runs about 1 second, then exits with an unhandled exception).

- fetch-orders raises; main() awaits it and handles the error;
- fetch-avatar raises and nobody ever awaits it or asks for its exception: when
  the last reference to it goes away, asyncio logs "Task exception was never
  retrieved" with its traceback on stderr (here at a fixed point: `del`);
- finally save-report raises and main() awaits it without a try: the exception
  propagates out of asyncio.run(), Python prints the traceback and the program
  exits with status 1.

In the Loopscope view: three failed tasks with their exceptions and tracebacks,
one of them never retrieved, and the program's exit code.
"""
import asyncio


async def fetch(what, seconds, fail=False):
    await asyncio.sleep(seconds)
    if fail:
        raise ConnectionError("could not fetch %s" % what)
    return "%s: ok" % what


async def save_report():
    await asyncio.sleep(0.1)
    raise PermissionError("report.txt is read-only")


async def main():
    profile = asyncio.create_task(fetch("profile", 0.1), name="fetch-profile")
    orders = asyncio.create_task(fetch("orders", 0.2, fail=True), name="fetch-orders")
    avatar = asyncio.create_task(fetch("avatar", 0.3, fail=True), name="fetch-avatar")

    print(await profile)
    try:
        print(await orders)
    except ConnectionError as exc:
        print("handled: %s" % exc)

    await asyncio.sleep(0.4)   # fetch-avatar has failed by now; nobody looks at it
    print("fetch-avatar done: %s (its exception is never retrieved)" % avatar.done())
    del avatar   # last reference gone: asyncio reports the unretrieved exception

    print("saving the report...")
    await asyncio.create_task(save_report(), name="save-report")
    print("never printed")


if __name__ == "__main__":
    asyncio.run(main())
