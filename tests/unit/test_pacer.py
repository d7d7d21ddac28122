"""The simulated slow device (bpcopy.endpoints.pacing.Pacer): delay, jitter, rate.

Pacer only computes completion times from the times it is given, so these tests feed it
times and check the answers; no clock is read and nothing waits.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpcopy.endpoints.pacing import Pacer

EPSILON = 1e-9  # float sums of many transfers may differ from the exact sum by this much


def extra_latencies(pacer: Pacer, operations: int, now: float = 0.0) -> list[float]:
    """How much later than `now` each of `operations` one-byte operations completes."""
    return [pacer.complete_at(now, 1) - now for _ in range(operations)]


# -- active ------------------------------------------------------------------------------


def test_a_pacer_with_no_delay_rate_or_jitter_is_inactive():
    assert Pacer().active is False
    assert Pacer(delay=0.0, rate=None, jitter=0.0, seed=3).active is False


@pytest.mark.parametrize("settings", [{"delay": 0.001}, {"rate": 1.0}, {"jitter": 0.001}])
def test_any_one_of_delay_rate_or_jitter_makes_a_pacer_active(settings):
    assert Pacer(**settings).active is True


@given(now=st.floats(0, 1e6), size=st.integers(0, 2**31))
def test_an_inactive_pacer_completes_an_operation_when_it_starts(now, size):
    assert Pacer().complete_at(now, size) == now


# -- delay -------------------------------------------------------------------------------


@given(now=st.floats(0, 1e6), delay=st.floats(1e-6, 10), sizes=st.lists(st.integers(0, 2**31),
                                                                       min_size=1))
def test_a_delay_alone_adds_the_same_latency_to_every_operation_whatever_its_size(now, delay,
                                                                                  sizes):
    pacer = Pacer(delay=delay)
    for size in sizes:
        assert pacer.complete_at(now, size) == now + delay


# -- jitter ------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**64), delay=st.floats(0, 1), jitter=st.floats(1e-6, 1))
def test_jitter_adds_between_nothing_and_the_jitter_to_the_delay(seed, delay, jitter):
    pacer = Pacer(delay=delay, jitter=jitter, seed=seed)
    for now in (0.0, 5.0, 1000.0):
        done = pacer.complete_at(now, 4096)
        assert now + delay <= done <= now + delay + jitter


def test_jitter_varies_from_one_operation_to_the_next():
    latencies = extra_latencies(Pacer(delay=0.01, jitter=0.005, seed=7), 16)
    assert len(set(latencies)) > 1


@given(seed=st.integers(0, 2**64))
def test_the_same_seed_gives_the_same_delays(seed):
    first = extra_latencies(Pacer(delay=0.01, jitter=0.005, seed=seed), 16)
    second = extra_latencies(Pacer(delay=0.01, jitter=0.005, seed=seed), 16)
    assert first == second


@given(seeds=st.lists(st.integers(0, 2**64), min_size=2, max_size=2, unique=True))
def test_different_seeds_give_different_delays(seeds):
    first, second = (extra_latencies(Pacer(delay=0.01, jitter=0.005, seed=seed), 16)
                     for seed in seeds)
    assert first != second


def test_without_a_seed_two_pacers_draw_different_delays():
    first = extra_latencies(Pacer(jitter=0.005), 16)
    second = extra_latencies(Pacer(jitter=0.005), 16)
    assert first != second


def test_a_seeded_pacer_draws_the_same_latencies_whenever_its_operations_start():
    early = extra_latencies(Pacer(jitter=0.005, seed=11), 8, now=0.0)
    late = extra_latencies(Pacer(jitter=0.005, seed=11), 8, now=500.0)
    assert early == pytest.approx(late, abs=EPSILON)


# -- rate --------------------------------------------------------------------------------


def test_a_rate_makes_n_bytes_take_n_over_rate_seconds():
    pacer = Pacer(rate=1000.0)
    assert pacer.complete_at(10.0, 250) == pytest.approx(10.25)


def test_the_delay_comes_on_top_of_the_transfer_time():
    pacer = Pacer(delay=0.5, rate=1000.0)
    assert pacer.complete_at(10.0, 250) == pytest.approx(10.75)


def test_an_operation_started_while_the_device_is_busy_waits_for_it():
    pacer = Pacer(rate=1000.0)
    first = pacer.complete_at(0.0, 1000)
    second = pacer.complete_at(0.0, 1000)  # asked at the same moment
    assert (first, second) == pytest.approx((1.0, 2.0))


def test_time_a_device_sat_idle_counts_as_a_late_start_made_up_by_one_operation():
    # Pacer cannot tell a late timer from a device nobody used for a while, so an
    # operation after a long idle spell completes at once: the one operation's worth of
    # catching up that a late timer gets. The rate still holds back to back after it.
    pacer = Pacer(rate=1000.0)
    pacer.complete_at(0.0, 1000)  # done at 1.0
    assert pacer.complete_at(7.0, 500) == pytest.approx(7.0)
    assert pacer.complete_at(7.0, 500) == pytest.approx(7.5)


def test_a_late_timer_is_made_up_for_by_at_most_one_operation():
    pacer = Pacer(rate=1000.0)
    assert pacer.complete_at(0.0, 1000) == pytest.approx(1.0)
    # The next operation should have started at 1.0; it starts 0.4 late, so it may use
    # the 0.4 it lost and completes when an on-time start would have.
    assert pacer.complete_at(1.4, 1000) == pytest.approx(2.0)
    # Now 3 s late: it may make up one operation's worth (1 s), no more, so the device
    # does not burst through the two operations' worth it has missed.
    assert pacer.complete_at(5.0, 1000) == pytest.approx(5.0)
    assert pacer.complete_at(5.0, 1000) == pytest.approx(6.0)


def test_catching_up_is_bounded_by_the_size_of_the_late_operation():
    pacer = Pacer(rate=1000.0)
    pacer.complete_at(0.0, 1000)  # done at 1.0
    # 2 s late with a 100-byte operation: it may make up 0.1 s, not the 1 s a full
    # chunk would.
    assert pacer.complete_at(3.0, 100) == pytest.approx(3.0)
    assert pacer.complete_at(3.0, 100) == pytest.approx(3.1)


def test_jitter_comes_on_top_of_the_transfer_time():
    jitter_only = extra_latencies(Pacer(jitter=0.5, seed=5), 1)[0]
    pacer = Pacer(rate=1000.0, jitter=0.5, seed=5)
    assert pacer.complete_at(0.0, 100) == pytest.approx(0.1 + jitter_only)


@pytest.mark.parametrize(("size", "transfer"), [(4, 0.004), (50, 0.05)])
def test_back_to_back_operations_each_take_their_transfer_time_and_the_delay(size, transfer):
    # One operation at a time: the next starts when the previous completes, so a
    # device with both a latency and a rate spends both on every operation (whichever
    # of the two is longer).
    pacer = Pacer(delay=0.010, rate=1000.0)
    done = 0.0
    for operation in range(1, 6):
        done = pacer.complete_at(done, size)
        assert done == pytest.approx(operation * (transfer + 0.010))


# -- rate, as properties ------------------------------------------------------------------

operation_sizes = st.lists(st.integers(1, 1 << 20), min_size=1, max_size=40)
lateness = st.floats(0, 5)


@given(rate=st.floats(1.0, 1e9), sizes=operation_sizes, late=st.data())
def test_a_rated_device_never_runs_ahead_of_its_rate(rate, sizes, late):
    """However late each operation starts, the k-th completes no sooner than the time
    all bytes up to it take at the rate (the catch-up never becomes a burst)."""
    pacer = Pacer(rate=rate)
    now = 0.0
    total = 0
    for size in sizes:
        done = pacer.complete_at(now, size)
        total += size
        assert done >= total / rate * (1 - EPSILON)
        now = done + late.draw(lateness)


@given(rate=st.floats(1.0, 1e9), delay=st.floats(0, 1), sizes=operation_sizes,
       late=st.data())
def test_a_rated_device_completes_within_one_transfer_of_when_it_could_start(
        rate, delay, sizes, late):
    """An operation starts when it is asked or when the previous one has completed,
    whichever is later, less at most its own transfer time of catching up."""
    pacer = Pacer(rate=rate, delay=delay)
    now = 0.0
    previous_done = 0.0
    for size in sizes:
        done = pacer.complete_at(now, size)
        transfer = size / rate
        could_start = max(now, previous_done)
        slack = EPSILON * (1 + done)
        assert done >= now + delay - slack
        assert done >= previous_done + transfer + delay - slack
        assert done <= could_start + transfer + delay + slack
        previous_done = done
        now = done + late.draw(lateness)


@given(rate=st.floats(1.0, 1e9), delay=st.floats(0, 1), sizes=operation_sizes,
       late=st.data())
def test_a_device_with_a_latency_and_a_rate_spends_both_on_every_operation(rate, delay,
                                                                           sizes, late):
    pacer = Pacer(rate=rate, delay=delay)
    now = 0.0
    spent = 0.0
    for size in sizes:
        done = pacer.complete_at(now, size)
        spent += size / rate + delay
        assert done >= spent * (1 - EPSILON)
        now = done + late.draw(lateness)
