"""The reconcile loop: keys from a work queue to N workers, each calling ``reconcile(key)``.

Outcomes, as controller-runtime's reconcileHandler: an exception -> rate-limited requeue (logged
once, here); ``Result(requeue_after=s)`` -> forget the backoff and look again in ``s`` seconds;
a plain ``Result()`` -> forget the backoff. A 409 conflict is just a requeue. Requeues keep the
priority the key was handed out with, so a low-priority backlog stays behind live events.

Each reconcile is counted as controller-runtime counts it (``controller_runtime_reconcile_*``,
result ``success``, ``error`` or ``requeue_after``); the queue keeps the workqueue metrics under
the controller's name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import aiohttp

from pykarmada.kube.errors import ApiError
from pykarmada.kube.lineage import reconciling_at
from pykarmada.kube.metrics import ReconcileMetrics
from pykarmada.kube.workqueue import ShutDown, WorkQueue

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
SHUTDOWN_GRACE = 0.5


class RetryableError(Exception):
    """An expected failure (a cluster not ready yet...): retried with backoff, logged in one line."""


@dataclass(frozen=True)
class Result:
    requeue_after: float | None = None


class Controller(Generic[K]):
    def __init__(
        self, name: str, reconcile: Callable[[K], Awaitable[Result | None]], *, workers: int = 4, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.reconcile = reconcile
        self.workers = workers
        self.queue: WorkQueue[K] = WorkQueue(name=name, clock=clock)
        self.metrics = ReconcileMetrics(name, workers)

    async def run(self) -> None:
        """Work until cancelled; then take no new key, let the reconciles in flight finish their
        writes for up to ``SHUTDOWN_GRACE`` seconds, and cancel what is left."""
        tasks = [asyncio.create_task(self._worker(), name=f"{self.name} worker {i}") for i in range(self.workers)]
        try:
            await asyncio.wait(tasks)  # unlike gather, a cancellation here leaves the workers running
        finally:
            self.queue.shut_down()
            await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _worker(self) -> None:
        metrics, clock = self.metrics, self.queue.clock
        while True:
            try:
                key, priority = await self.queue.get_with_priority()
            except ShutDown:
                return
            outcome, panic = "", False
            metrics.active.inc()
            started = clock()
            try:
                with reconciling_at(priority):
                    result = await self.reconcile(key)
            except asyncio.CancelledError:
                raise
            except (ApiError, RetryableError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                outcome = "error"
                if not (isinstance(e, ApiError) and e.conflict):
                    log.warning("%s: reconcile %s failed: %s", self.name, key, e)
                self.queue.add_rate_limited(key, priority)
            except Exception:  # noqa: BLE001 - the worker boundary: log once, retry with backoff
                outcome, panic = "error", True
                log.exception("%s: reconcile %s failed", self.name, key)
                self.queue.add_rate_limited(key, priority)
            else:
                outcome = "success"
                self.queue.forget(key)
                if result is not None and result.requeue_after is not None:
                    outcome = "requeue_after"
                    self.queue.add_after(key, result.requeue_after, priority)
            finally:
                metrics.active.dec()
                if outcome:
                    metrics.finished(outcome, clock() - started, panic=panic)
                self.queue.done(key)


class Runnable(Protocol):
    name: str

    async def run(self) -> None: ...


class ControllerGroup:
    """Several loops started and stopped as one named controller (upstream's cluster controller
    runs the taint manager and its eviction queues beside it)."""

    def __init__(self, name: str, *members: Runnable) -> None:
        self.name, self.members = name, members

    async def run(self) -> None:
        await asyncio.gather(*(m.run() for m in self.members))
