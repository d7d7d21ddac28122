"""TickQueue runs an I/O completion and then every tick it queued, in Node's order.

`run_tasks` writes `run_task` and `drain` out inline because it runs twice per chunk;
these tests pin the inlined copy to the named one: the same order of calls, and the same
handling of a tick that raises (the rest still run, on a later turn).
"""

from __future__ import annotations

import asyncio

from bpcopy.streams._shared import TickQueue


def _scenario(queue: TickQueue, calls: list[str]) -> tuple:
    """A completion that queues three ticks, the second of which raises and queues one
    more tick first."""

    def tick(name: str) -> None:
        calls.append(name)

    def failing_tick() -> None:
        calls.append("failing")
        queue.add(tick, "queued by the failing tick")
        raise RuntimeError("tick failed")

    def completion(label: str) -> None:
        calls.append(label)
        queue.add(tick, "first")
        queue.add(failing_tick)
        queue.add(tick, "third")

    return (completion, ("completion",))


def _run(through_batch: bool) -> tuple[list[str], list[str]]:
    calls: list[str] = []
    errors: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: errors.append(str(context["exception"])))
        queue = TickQueue.of(loop)
        callback, args = _scenario(queue, calls)
        if through_batch:
            queue.add_task(callback, args)
        else:
            loop.call_soon(_call_run_task, queue, callback, args, errors)
        for _ in range(5):
            await asyncio.sleep(0)

    asyncio.run(main())
    return calls, errors


def _call_run_task(queue: TickQueue, callback, args, errors: list[str]) -> None:
    try:
        queue.run_task(callback, *args)
    except RuntimeError as error:
        errors.append(str(error))


def test_a_batched_completion_runs_its_ticks_in_the_same_order_as_run_task():
    batched_calls, batched_errors = _run(through_batch=True)
    single_calls, single_errors = _run(through_batch=False)
    assert batched_calls == single_calls == [
        "completion", "first", "failing", "third", "queued by the failing tick"]
    assert batched_errors == single_errors == ["tick failed"]
