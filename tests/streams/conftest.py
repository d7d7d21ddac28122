"""Runs the `async def` tests of tests/streams on a fresh asyncio loop each.

bpcopy's streams schedule their work on the running asyncio loop (Node's nextTick and
setImmediate become loop.call_soon), so every ported Node test is a coroutine. This
hook runs such a test with asyncio.run, with a timeout so a stream that never emits
the awaited event fails the test instead of hanging the run. No pytest-asyncio needed.
"""

import asyncio
import inspect

import pytest

TEST_TIMEOUT_S = 10.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}

    async def bounded():
        await asyncio.wait_for(pyfuncitem.obj(**kwargs), TEST_TIMEOUT_S)

    asyncio.run(bounded())
    return True
