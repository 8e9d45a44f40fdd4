"""Micro-benchmark of the metrics on the hot paths: what instrumentation costs per work-queue
operation, per reconcile, per REST request and per scheduling, against the same work without it.

    python bench/metrics.py                   # 200,000 queue cycles, 50,000 reconciles, 5,000 requests
    python bench/metrics.py --scale 0.1       # a quick look

* queue: add + get + done of distinct keys, in bursts of 1,000, on a named queue (client-go's
  metrics) and on an unnamed one (none);
* reconcile: a Controller with 4 workers and a reconcile that only yields, with and without its
  queue and reconcile metrics;
* REST: GETs over loopback to a local aiohttp server through KubeClient, counted and with the
  observation replaced by a no-op, plus the cost of one observation alone;
* scheduling: ``schedule_binding`` against 100 clusters, timed with its step histograms and with
  them replaced by a no-op.

Times are CPU seconds of this process (the loopback server included), so other load on the
machine weighs less; each pair runs interleaved, best of ``--rounds``. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from collections.abc import Callable

from aiohttp import web

from pykarmada.controllers.scheduler import core
from pykarmada.kube import client as kube_client
from pykarmada.kube import metrics
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.controller import Controller
from pykarmada.kube.workqueue import WorkQueue


def best(rounds: int, runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Best (lowest) seconds of each run over ``rounds``, interleaved, in alternating order."""
    out = {name: float("inf") for name in runs}
    for i in range(rounds):
        for name, run in (list(runs.items()) if i % 2 == 0 else reversed(list(runs.items()))):
            out[name] = min(out[name], run())
    return out


def report(title: str, unit: str, count: int, timings: dict[str, float]) -> None:
    with_, without = timings["with metrics"], timings["without"]
    print(f"{title}:")
    for name, seconds in timings.items():
        print(f"  {name:<14} {count / seconds:>12,.0f} {unit}/s   {seconds / count * 1e6:8.2f} µs each")
    print(f"  overhead       {(with_ - without) / count * 1e6:8.2f} µs each ({(with_ / without - 1) * 100:+.1f} %)")


# ---- work queue ----------------------------------------------------------------------------------


def queue_cycles(n: int, name: str, depth: int = 1000) -> Callable[[], float]:
    """``n`` distinct keys through the queue, ``depth`` at a time (a burst, then drained)."""

    async def cycle() -> float:
        q: WorkQueue[int] = WorkQueue(name=name)
        started = time.process_time()
        for first in range(0, n, depth):
            for i in range(first, min(first + depth, n)):
                q.add(i)
            while len(q):
                q.done(await q.get())
        return time.process_time() - started

    return lambda: asyncio.run(cycle())


# ---- reconcile -----------------------------------------------------------------------------------


class _NoMetrics:
    """Stands in for ReconcileMetrics to measure the loop without it."""

    class _Gauge:
        def inc(self) -> None: ...
        def dec(self) -> None: ...

    active = _Gauge()

    def finished(self, result: str, seconds: float, *, panic: bool = False) -> None: ...


def reconciles(n: int, instrumented: bool) -> Callable[[], float]:
    async def run() -> float:
        done = asyncio.Event()
        count = 0

        async def reconcile(_key: int) -> None:
            nonlocal count
            await asyncio.sleep(0)
            count += 1
            if count == n:
                done.set()

        ctrl: Controller[int] = Controller("bench-reconcile", reconcile, workers=4)
        if not instrumented:
            ctrl.queue, ctrl.metrics = WorkQueue(), _NoMetrics()  # type: ignore[assignment]
        task = asyncio.create_task(ctrl.run())
        started = time.process_time()
        for i in range(n):
            ctrl.queue.add(i)
        await done.wait()
        elapsed = time.process_time() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return elapsed

    return lambda: asyncio.run(run())


# ---- REST ----------------------------------------------------------------------------------------


async def _serve() -> tuple[web.AppRunner, int]:
    async def ok(_request: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "status": "Success"})

    app = web.Application()
    app.router.add_get("/version", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001


def requests(n: int, rounds: int) -> dict[str, float]:
    async def run() -> dict[str, float]:
        runner, port = await _serve()
        try:
            async with KubeClient(Connection(server=f"http://127.0.0.1:{port}")) as client:

                async def timed() -> float:
                    started = time.process_time()
                    for _ in range(n):
                        await client.get("/version")
                    return time.process_time() - started

                out = {"with metrics": float("inf"), "without": float("inf")}
                for _ in range(rounds):
                    out["with metrics"] = min(out["with metrics"], await timed())
                    kube_client.observe_rest_request = lambda *_args: None
                    try:
                        out["without"] = min(out["without"], await timed())
                    finally:
                        kube_client.observe_rest_request = metrics.observe_rest_request
                return out
        finally:
            await runner.cleanup()

    return asyncio.run(run())


def observation_cost(n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        metrics.observe_rest_request("GET", "127.0.0.1:1", 200, 0.001)
    return (time.process_time() - started) / n


# ---- scheduling ----------------------------------------------------------------------------------


def scheduling(n: int, instrumented: bool) -> Callable[[], float]:
    import scheduler as inputs  # bench/scheduler.py, beside this script: its clusters and placements

    rng = random.Random(7)
    clusters = [inputs.make_cluster(i, rng) for i in range(100)]
    placements = list(inputs.SCENARIOS.values())
    specs = [inputs.binding(rng.randint(1, 200), placements[i % len(placements)](rng), f"uid-{i}") for i in range(n)]

    def run() -> float:
        original = core.schedule_step
        if not instrumented:
            core.schedule_step = lambda _step: contextlib.nullcontext()  # type: ignore[assignment]
        try:
            started = time.process_time()
            for spec in specs:
                core.schedule_binding(spec, clusters)
            return time.process_time() - started
        finally:
            core.schedule_step = original

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="multiply every count by this")
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    n_queue, n_reconcile, n_requests, n_schedule = (max(int(x * a.scale), 10) for x in (200_000, 50_000, 5_000, 2_000))

    report("work queue add+get+done", "cycles", n_queue,
           best(a.rounds, {"with metrics": queue_cycles(n_queue, "bench-queue"), "without": queue_cycles(n_queue, "")}))  # fmt: skip
    report("reconciles (4 workers, empty reconcile)", "reconciles", n_reconcile,
           best(a.rounds, {"with metrics": reconciles(n_reconcile, True), "without": reconciles(n_reconcile, False)}))  # fmt: skip
    report("KubeClient GET over loopback", "requests", n_requests, requests(n_requests, a.rounds))
    print(f"  one REST observation alone: {observation_cost(100_000) * 1e6:.2f} µs")
    report("schedule_binding, 100 clusters", "bindings", n_schedule,
           best(a.rounds, {"with metrics": scheduling(n_schedule, True), "without": scheduling(n_schedule, False)}))  # fmt: skip


if __name__ == "__main__":
    main()
