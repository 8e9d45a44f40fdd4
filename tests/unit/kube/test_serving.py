"""Shutdown of our servers and controllers: streams end when the server stops, reconciles in
flight finish, and the thresholds of cluster readiness after a restart."""

from __future__ import annotations

import asyncio

from aiohttp import web

from pykarmada.controllers.status.cluster_status import ClusterStatusController, _Observed
from pykarmada.kube.controller import Controller
from pykarmada.kube.serving import STOPPING, track_stopping, until_stopping


def test_until_stopping_cuts_a_stream_short_when_the_server_stops() -> None:
    async def main() -> bool:
        app = web.Application()
        track_stopping(app)

        async def forever() -> None:
            await asyncio.Event().wait()

        running = asyncio.create_task(until_stopping(app, forever()))
        await asyncio.sleep(0)
        app[STOPPING].set()
        return await running

    assert asyncio.run(main()) is True


def test_until_stopping_runs_a_stream_to_its_end_and_passes_its_errors() -> None:
    async def main() -> bool:
        app = web.Application()
        track_stopping(app)

        async def fails() -> None:
            raise ValueError("bad")

        try:
            await until_stopping(app, fails())
        except ValueError:
            pass
        else:
            raise AssertionError("the stream's error was swallowed")

        async def ends() -> None:
            await asyncio.sleep(0)

        return await until_stopping(app, ends())

    assert asyncio.run(main()) is False


def test_a_cancelled_controller_lets_the_reconcile_in_flight_finish() -> None:
    finished: list[str] = []

    async def main() -> None:
        started = asyncio.Event()

        async def reconcile(key: str) -> None:
            started.set()
            await asyncio.sleep(0.05)  # a write in flight
            finished.append(key)

        ctrl = Controller("test", reconcile, workers=1)
        ctrl.queue.add("a")
        task = asyncio.create_task(ctrl.run())
        await started.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    assert finished == ["a"]


def _status(ready: str) -> dict:
    return {"status": {"conditions": [{"type": "Ready", "status": ready, "reason": "r", "message": "m"}]}}


def test_first_observation_after_start_is_published_then_changes_wait_for_the_threshold() -> None:
    ctrl = ClusterStatusController(None, None, None, success_threshold=30, failure_threshold=30)  # type: ignore[arg-type]
    ok = _Observed("True", "ClusterReady", "ok")
    down = _Observed("False", "ClusterNotReachable", "down")
    # A condition left from before the restart (Unknown) gives way to the first probe at once.
    assert ctrl._thresholded("m1", _status("Unknown"), ok)[0] == "True"
    # Then one failed probe does not flip a Ready cluster.
    assert ctrl._thresholded("m1", _status("True"), down)[0] == "True"
    assert ctrl._thresholded("m1", _status("True"), ok)[0] == "True"
