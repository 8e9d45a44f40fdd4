"""Work queue guarantees (client-go's): stingy, fair, exclusive, delays and backoff; and the
priorities of controller-runtime's priority queue, all on an injected clock."""

from __future__ import annotations

import asyncio

from pykarmada.kube.controller import Controller, Result, RetryableError
from pykarmada.kube.lineage import Lineage
from pykarmada.kube.workqueue import HIGH_PRIORITY, LOW_PRIORITY, RateLimiter, WorkQueue, low_priority_when_listed


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


# ---- priorities (controller-runtime's priority queue) ------------------------------------------


async def drain(q: WorkQueue[str]) -> list[str]:
    """Every key queued now, in hand-out order, each done right after it is taken."""
    out = []
    while len(q):
        key = await q.get()
        out.append(key)
        q.done(key)
    return out


def test_higher_priority_first_and_fifo_within_a_priority() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("low1", LOW_PRIORITY)
        q.add("high1")
        q.add("low2", LOW_PRIORITY)
        q.add("mid", -10)
        q.add("high2", HIGH_PRIORITY)
        q.add("low3", LOW_PRIORITY)
        return await drain(q)

    assert run(scenario()) == ["high1", "high2", "mid", "low1", "low2", "low3"]


def test_a_live_add_raises_a_queued_key_to_the_back_of_its_new_priority_once() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for k in ("a", "b", "c"):
            q.add(k, LOW_PRIORITY)
        q.add("live")
        q.add("b")  # raised: behind "live", ahead of the low ones
        assert len(q) == 4
        return await drain(q)

    assert run(scenario()) == ["live", "b", "a", "c"]


def test_a_low_priority_add_never_lowers_a_queued_key() -> None:
    async def scenario() -> list[tuple[str, int]]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        q.add("b", LOW_PRIORITY)
        q.add("a", LOW_PRIORITY)
        q.add_after("a", 0, LOW_PRIORITY)
        got = [await q.get_with_priority(), await q.get_with_priority()]
        assert len(q) == 0
        return got

    assert run(scenario()) == [("a", HIGH_PRIORITY), ("b", LOW_PRIORITY)]


def test_a_key_being_processed_and_added_live_comes_back_first_after_done() -> None:
    async def scenario() -> list[tuple[str, int]]:
        q: WorkQueue[str] = WorkQueue()
        for k in ("x", "y", "z"):
            q.add(k, LOW_PRIORITY)
        key, priority = await q.get_with_priority()
        assert (key, priority) == ("x", LOW_PRIORITY)
        q.add("x", LOW_PRIORITY)
        q.add("x")  # live while processing: raised, still not handed to a second worker
        assert len(q) == 2
        q.done("x")
        got = []
        while len(q):
            got.append(await q.get_with_priority())
            q.done(got[-1][0])
        return got

    assert run(scenario()) == [("x", HIGH_PRIORITY), ("y", LOW_PRIORITY), ("z", LOW_PRIORITY)]


def test_delayed_adds_land_at_their_priority_and_collapse_to_the_earliest_and_highest() -> None:
    async def scenario() -> list[tuple[str, int]]:
        clock = Clock()
        q: WorkQueue[str] = WorkQueue(clock=clock)
        q.add("queued-low", LOW_PRIORITY)
        q.add_after("late-low", 5, LOW_PRIORITY)
        q.add_after("late-high", 5)
        q.add_after("merged", 3, LOW_PRIORITY)
        q.add_after("merged", 8)  # later but higher: one entry, at 3, high
        q.add_rate_limited("retried", LOW_PRIORITY)  # 5 ms
        clock.now = 5
        q._promote_due()
        assert len(q) == 5
        got = []
        while len(q):
            got.append(await q.get_with_priority())
            q.done(got[-1][0])
        clock.now = 100
        q._promote_due()
        assert len(q) == 0, "the collapsed delayed add is not repeated"
        return got

    assert run(scenario()) == [
        ("merged", HIGH_PRIORITY),
        ("late-high", HIGH_PRIORITY),
        ("queued-low", LOW_PRIORITY),
        ("retried", LOW_PRIORITY),
        ("late-low", LOW_PRIORITY),
    ]


def test_a_live_key_behind_5000_low_priority_keys_is_handed_out_next() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for i in range(5000):
            q.add(f"backlog-{i}", LOW_PRIORITY)
        taken = [await q.get() for _ in range(10)]  # workers busy with the backlog
        q.add("user-edit")
        q.add("backlog-4999")  # a live event for a queued key raises it too
        nxt = [await q.get(), await q.get(), await q.get()]
        for key in taken:
            q.done(key)
        assert len(q) == 5000 - 10 - 2
        return nxt

    assert run(scenario()) == ["user-edit", "backlog-4999", "backlog-10"]


def test_shut_down_hands_out_nothing_more_and_ignores_adds() -> None:
    from pykarmada.kube.workqueue import ShutDown

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("low", LOW_PRIORITY)
        q.add("high")
        key = await q.get()
        q.shut_down()
        q.add("late")
        q.add_after("later", 1, LOW_PRIORITY)
        q.done(key)
        for _ in range(2):
            try:
                await asyncio.wait_for(q.get_with_priority(), 1)
            except ShutDown:
                continue
            raise AssertionError("a key was handed out after shut_down")

    run(scenario())


def test_the_controller_requeues_a_key_at_the_priority_it_was_handed_out_with() -> None:
    async def scenario() -> dict[str, int]:
        clock = Clock()
        seen: list[str] = []

        async def reconcile(key: str) -> Result | None:
            seen.append(key)
            if key == "fails":
                raise RetryableError("not yet")
            return Result(requeue_after=30)

        ctrl: Controller[str] = Controller("t", reconcile, workers=1, clock=clock)
        ctrl.queue.add("fails", LOW_PRIORITY)
        ctrl.queue.add("again", LOW_PRIORITY)
        ctrl.queue.add("live")
        task = asyncio.create_task(ctrl.run())
        while len(seen) < 3 or ctrl.queue._processing:
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert seen == ["live", "fails", "again"]
        return {key: priority for key, (_, priority) in ctrl.queue._waiting_until.items()}

    assert run(scenario()) == {"live": HIGH_PRIORITY, "fails": LOW_PRIORITY, "again": LOW_PRIORITY}


def test_what_a_low_priority_reconcile_writes_is_low_priority_downstream() -> None:
    lineage = Lineage()

    async def scenario() -> None:
        done: list[str] = []

        async def reconcile(key: str) -> None:
            lineage.wrote({"metadata": {"uid": f"written-by-{key}"}})  # as the client notes its writes
            done.append(key)

        ctrl: Controller[str] = Controller("t", reconcile, workers=1)
        ctrl.queue.add("backlog", LOW_PRIORITY)
        ctrl.queue.add("live")
        task = asyncio.create_task(ctrl.run())
        while len(done) < 2:
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    run(scenario())
    assert lineage.is_low({"metadata": {"uid": "written-by-backlog"}})
    assert not lineage.is_low({"metadata": {"uid": "written-by-live"}})


def test_adds_from_a_list_go_in_low_and_watch_events_high() -> None:
    async def scenario() -> list[tuple[str, int]]:
        q: WorkQueue[str] = WorkQueue()
        source = type("Source", (), {"low_priority": True})()
        add = low_priority_when_listed(q, source)
        add("listed")
        source.low_priority = False
        add("watched")
        return [await q.get_with_priority(), await q.get_with_priority()]

    assert run(scenario()) == [("watched", HIGH_PRIORITY), ("listed", LOW_PRIORITY)]


def test_a_raised_key_added_low_again_later_keeps_its_new_place() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a", LOW_PRIORITY)
        q.add("b", LOW_PRIORITY)
        q.add("a")  # raised: its old low entry stays behind, skipped when reached
        assert await drain_one(q) == "a"
        q.add("a", LOW_PRIORITY)  # queued low again: behind "b", not at the old entry's place
        return await drain(q)

    assert run(scenario()) == ["b", "a"]


async def drain_one(q: WorkQueue[str]) -> str:
    key = await q.get()
    q.done(key)
    return key
