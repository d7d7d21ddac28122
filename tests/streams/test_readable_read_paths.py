"""Readable.read()'s early answer agrees with the full path it short-cuts.

Per chunk, flow() and the read-more loop call read() while a `_read` is under way and
nothing is buffered. read() answers that state in four lines instead of walking Node's
whole read() (`_read_full`). This proves, over every other piece of state, that both
leave the stream in the same state and return the same value.
"""

from hypothesis import given
from hypothesis import strategies as st
from nodeport import make_readable

from bpcopy.streams import StreamError

# Everything read() consults, other than the three facts that select the early answer.
STATE = {
    "_need_readable": st.booleans(),
    "_emitted_readable": st.booleans(),
    "_flowing": st.sampled_from([None, True, False]),
    "_explicitly_paused": st.sampled_from([None, True, False]),
    "_sync": st.booleans(),
    "_reading_more": st.booleans(),
    "_readable_listening": st.booleans(),
    "_data_listening": st.booleans(),
    "_end_emitted": st.just(False),
    "destroyed": st.booleans(),
    "_errored": st.sampled_from([None, StreamError("boom")]),
}


@st.composite
def reading_with_nothing_buffered(draw):
    mark = draw(st.integers(min_value=0, max_value=1 << 20))
    state = {name: draw(strategy) for name, strategy in STATE.items()}
    # n as flow() (None), the read-more loop (0) and a caller (up to the mark) pass it;
    # an n above the mark raises the mark first, on both paths alike.
    n = draw(st.one_of(st.none(), st.integers(min_value=-2, max_value=mark)))
    return mark, state, n


def stream_in(mark, state):
    stream = make_readable(high_water_mark=mark)
    stream.__dict__.update(state)
    stream._reading = True
    stream._ended = False
    return stream


def comparable(stream):
    state = dict(vars(stream))
    state["_buffer"] = list(state["_buffer"])
    state["_iterators"] = len(state["_iterators"])
    return state


@given(reading_with_nothing_buffered())
def test_the_early_answer_of_read_is_the_full_paths_answer(case):
    mark, state, n = case
    early, full = stream_in(mark, state), stream_in(mark, state)
    assert early._reading and not early._length and not early._ended  # the early state

    assert early.read(n) is full._read_full(n) is None
    assert comparable(early) == comparable(full)


def test_the_compared_state_covers_every_attribute_read_can_change():
    # A new attribute of Readable must join STATE (or be shown constant here), or the
    # property above would not look at it.
    stream = make_readable()
    known = set(STATE) | {"_reading", "_ended", "_length", "_buffer", "_high_water_mark",
                          "_events", "_resume_scheduled", "_pipes", "_await_drain",
                          "_iterators", "_iterations_running", "_closed",
                          "_error_emitted", "_close_emitted"}
    assert set(vars(stream)) == known
