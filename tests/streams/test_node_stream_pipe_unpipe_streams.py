"""Ports nodejs/node test/parallel/test-stream-pipe-unpipe-streams.js.

Destinations can be unpiped in reverse order, each emits 'unpipe' once (a second
unpipe of the same destination is a no-op), and unpipe() with no argument removes
every listener pipe() added on both sides and leaves the source paused
(`readable_flowing` False). Node's checks of `_readableState.pipes` become checks of
which destination still receives data.
"""

from nodeport import Calls, make_readable, make_writable, ticks

SRC_EVENTS = ["end", "data"]
DEST_EVENTS = ["close", "finish", "drain", "error", "unpipe"]


async def test_unpipe_in_reverse_order_emits_unpipe_once_per_destination():
    source = make_readable()
    got1, got2 = [], []
    dest1 = make_writable(lambda chunk, cb: (got1.append(bytes(chunk)), cb()))
    dest2 = make_writable(lambda chunk, cb: (got2.append(bytes(chunk)), cb()))
    source.pipe(dest1)
    source.pipe(dest2)
    unpipe1, unpipe2 = Calls(), Calls()
    dest1.on("unpipe", unpipe1)
    dest2.on("unpipe", unpipe2)

    source.unpipe(dest2)
    assert unpipe2.count == 1
    assert unpipe2.args[0][0] is source
    source.unpipe(dest2)
    assert unpipe2.count == 1

    source.push(b"still piped to dest1")
    await ticks()
    assert got1 == [b"still piped to dest1"]
    assert got2 == []

    source.unpipe(dest1)
    assert unpipe1.count == 1
    assert unpipe1.args[0][0] is source


async def test_unpipe_all_cleans_every_pipe_listener_and_pauses():
    source = make_readable()
    dests = [make_writable(lambda chunk, cb: None) for _ in range(2)]
    before_src = {name: source.listener_count(name) for name in SRC_EVENTS}
    before_dest = [{name: d.listener_count(name) for name in DEST_EVENTS} for d in dests]
    unpipes = Calls()
    for d in dests:
        source.pipe(d)
        d.on("unpipe", unpipes)
    assert source.listener_count("data") > before_src["data"]

    source.unpipe()

    assert unpipes.count == 2
    for d, before in zip(dests, before_dest, strict=True):
        d.off("unpipe", unpipes)
        assert {name: d.listener_count(name) for name in DEST_EVENTS} == before
    assert {name: source.listener_count(name) for name in SRC_EVENTS} == before_src
    assert source.readable_flowing is False
