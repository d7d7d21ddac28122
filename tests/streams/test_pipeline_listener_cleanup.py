"""pipeline() and finished() leave no listeners behind once they have settled.

Not a port: Node's pipeline leaves some listeners on the streams (its destroyer's
'close' listener). bpcopy's rule: every listener pipeline() or finished() added is gone
once it has returned or raised and the streams have closed, so the listener counts are
what they were before. A failed pipeline leaves each stream only at its 'close', since
the destroy emits 'error' on a later tick and an 'error' nobody listens for is raised.
"""

import pytest
from nodeport import make_readable, make_writable, ticks

from bpcopy.streams import finished, pipeline

EVENTS = ("data", "end", "error", "close", "finish", "drain", "pipe", "unpipe", "prefinish")


def listener_counts(*streams):
    return [{name: s.listener_count(name) for name in EVENTS} for s in streams]


def source_of(chunks):
    pending = list(chunks)

    def read(size):
        r.push(pending.pop(0) if pending else None)

    r = make_readable(read)
    return r


async def test_a_successful_pipeline_removes_every_listener_it_added():
    r = source_of([b"a", b"b"])
    w = make_writable(lambda chunk, cb: cb())
    before = listener_counts(r, w)
    await pipeline(r, w)
    await ticks()
    assert r.closed and w.closed
    assert listener_counts(r, w) == before


async def test_a_failed_pipeline_removes_every_listener_once_the_streams_have_closed():
    r = source_of([b"a", b"b"])
    w = make_writable(lambda chunk, cb: cb(RuntimeError("disk full")))
    before = listener_counts(r, w)
    with pytest.raises(RuntimeError, match="disk full"):
        await pipeline(r, w)
    await ticks()
    assert r.closed and w.closed
    assert listener_counts(r, w) == before


async def test_finished_removes_its_listeners_once_it_returns():
    w = make_writable(lambda chunk, cb: cb())
    before = listener_counts(w)
    w.end(b"x")
    await finished(w)
    assert listener_counts(w) == before
