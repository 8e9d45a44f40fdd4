"""Work queue guarantees (client-go's): stingy, fair, exclusive, delays and backoff."""

from __future__ import annotations

import asyncio

from pykarmada.kube.workqueue import RateLimiter, WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_duplicate_adds_are_processed_once_in_first_add_order() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for k in ("a", "b", "a", "c", "b"):
            q.add(k)
        got = [await q.get() for _ in range(3)]
        assert len(q) == 0
        return got

    assert run(scenario()) == ["a", "b", "c"]


def test_key_added_while_processing_is_requeued_after_done_not_handed_out_twice() -> None:
    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")  # while "a" is being processed
        assert len(q) == 0, "not handed to a second worker meanwhile"
        q.done(key)
        assert len(q) == 1
        assert await q.get() == "a"

    run(scenario())


def test_add_after_waits_for_the_clock() -> None:
    async def scenario() -> None:
        clock = Clock()
        q: WorkQueue[str] = WorkQueue(clock=clock)
        q.add_after("later", 10)
        q.add("now")
        assert await q.get() == "now"
        clock.now = 10
        assert await asyncio.wait_for(q.get(), 1) == "later"

    run(scenario())


def test_rate_limiter_backs_off_exponentially_until_forgotten() -> None:
    rl: RateLimiter[str] = RateLimiter(base=0.005, cap=1.0)
    assert [rl.when("k") for _ in range(4)] == [0.005, 0.01, 0.02, 0.04]
    assert rl.retries("k") == 4
    for _ in range(20):
        rl.when("k")
    assert rl.when("k") == 1.0
    rl.forget("k")
    assert rl.when("k") == 0.005


def test_shut_down_releases_waiting_workers() -> None:
    from pykarmada.kube.workqueue import ShutDown

    async def scenario() -> bool:
        q: WorkQueue[str] = WorkQueue()
        waiter = asyncio.create_task(q.get())
        await asyncio.sleep(0)
        q.shut_down()
        try:
            await asyncio.wait_for(waiter, 1)
        except ShutDown:
            return True
        return False

    assert run(scenario())


def test_cancelled_getters_finish_and_leave_no_task_behind() -> None:
    """A worker cancelled while waiting (shutdown) must not leave tasks that block the loop's close."""

    async def scenario() -> list[asyncio.Task]:
        q: WorkQueue[str] = WorkQueue()
        waiters = [asyncio.create_task(q.get()) for _ in range(4)]
        await asyncio.sleep(0.01)
        q.add_after("x", 0.001)  # a timed wake-up racing the cancellation
        for w in waiters:
            w.cancel()
        await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), 1)
        await asyncio.sleep(0)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert run(scenario()) == []


def test_delayed_adds_of_one_key_collapse_to_the_earliest() -> None:
    async def scenario() -> list[str]:
        clock = Clock()
        q: WorkQueue[str] = WorkQueue(clock=clock)
        q.add_after("k", 5)
        q.add_after("k", 1)
        q.add_after("k", 3)
        clock.now = 1
        first = await asyncio.wait_for(q.get(), 1)
        q.done(first)
        clock.now = 10
        q._promote_due()
        return [first, str(len(q))]

    assert run(scenario()) == ["k", "0"]
