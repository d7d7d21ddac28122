"""Small helpers shared by the ports of Node's stream tests (tests/streams only).

They stand in for Node's test harness: `Calls` for common.mustCall, `ticks` for
"let process.nextTick / setImmediate callbacks run", `make_writable` and
`make_readable` for `new Writable({write})` / `new Readable({read})`.
They know nothing about how bpcopy.streams is implemented.
"""

import asyncio

from bpcopy.streams import Readable, Writable


async def ticks(n=10):
    """Let the loop run n turns (each call_soon callback scheduled so far runs)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def sleep_ms(ms):
    await asyncio.sleep(ms / 1000)


def next_tick(fn, *args):
    """Node's process.nextTick and setImmediate."""
    return asyncio.get_running_loop().call_soon(fn, *args)


def set_timeout(fn, ms, *args):
    return asyncio.get_running_loop().call_later(ms / 1000, fn, *args)


def event(emitter, name):
    """A future resolved with the first argument (or None) of the next `name` event."""
    fut = asyncio.get_running_loop().create_future()

    def on_event(*args):
        if not fut.done():
            fut.set_result(args[0] if args else None)

    emitter.once(name, on_event)
    return fut


class Calls:
    """common.mustCall: records every call's arguments; assert on `.count` at the end."""

    def __init__(self, fn=None):
        self.fn = fn
        self.args = []

    def __call__(self, *args):
        self.args.append(args)
        if self.fn is not None:
            return self.fn(*args)
        return None

    @property
    def count(self):
        return len(self.args)

    @property
    def first(self):
        """First argument of each call (e.g. the error given to a callback)."""
        return [a[0] if a else None for a in self.args]


def make_writable(write=None, *, writev=None, final=None, high_water_mark=None):
    """`new Writable({write, writev, final, highWaterMark})`.

    write(chunk, callback), writev(chunks, callback) and final(callback) are plain
    functions; reach the stream through a closure when they need it.
    """
    namespace = {}
    if write is not None:
        namespace["_write"] = lambda self, chunk, cb: write(chunk, cb)
    if writev is not None:
        namespace["_writev"] = lambda self, chunks, cb: writev(chunks, cb)
    if final is not None:
        namespace["_final"] = lambda self, cb: final(cb)
    cls = type("PortedWritable", (Writable,), namespace)
    if high_water_mark is None:
        return cls()
    return cls(high_water_mark=high_water_mark)


def make_readable(read=None, *, high_water_mark=None):
    """`new Readable({read, highWaterMark})`; read(size) defaults to a no-op."""
    namespace = {"_read": (lambda self, size: read(size)) if read else (lambda self, size: None)}
    cls = type("PortedReadable", (Readable,), namespace)
    if high_water_mark is None:
        return cls()
    return cls(high_water_mark=high_water_mark)


def err_code(err):
    return getattr(err, "code", None)
