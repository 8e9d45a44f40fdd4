"""The taint manager's eviction queues (upstream's ``evictionWorker``): keys of (cluster, binding)
processed by a few workers (``sync`` returns the seconds after which to look at a key again, or
None), each pausing ``1 / --resource-eviction-rate`` seconds after an item it
finished (1800 s when the rate is 0), so that losing a cluster does not evict everything at once.
Failures are retried with the usual per-key backoff.

Metrics under upstream's names: ``eviction_queue_depth{name}``, ``eviction_kind_total{member_cluster,
resource_kind}`` (here the distinct keys waiting, where upstream counts every add), and
``eviction_processing_latency_seconds`` / ``eviction_processing_total{name,result}``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from pykarmada.karmada import metrics
from pykarmada.kube.controller import RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.workqueue import ShutDown, WorkQueue

log = logging.getLogger(__name__)
MAX_EVICTION_DELAY = 1800.0


class EvictionKey(NamedTuple):
    cluster: str
    namespace: str  # empty: a ClusterResourceBinding
    name: str

    @property
    def resource_kind(self) -> str:
        return "ResourceBinding" if self.namespace else "ClusterResourceBinding"


def pause_after_item(rate: float) -> float:
    """Seconds a worker waits after each item at ``rate`` items per second."""
    return MAX_EVICTION_DELAY if rate <= 0 else 1.0 / rate


class EvictionWorker:
    def __init__(self, name: str, sync: Callable[[EvictionKey], Awaitable[float | None]], *, rate: float, workers: int = 3) -> None:
        self.name, self.sync, self.workers = name, sync, workers
        self.pause = pause_after_item(rate)
        self.queue: WorkQueue[EvictionKey] = WorkQueue(name=name)
        self._pending: set[EvictionKey] = set()

    def add(self, key: EvictionKey, after: float = 0.0) -> None:
        if after > 0:
            self.queue.add_after(key, after)
        else:
            self.queue.add(key)
        if key not in self._pending:
            self._pending.add(key)
            metrics.EVICTION_KIND_TOTAL.labels(key.cluster, key.resource_kind).inc()
        metrics.EVICTION_QUEUE_DEPTH.labels(self.name).set(len(self.queue))

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._worker(), name=f"{self.name} worker {i}") for i in range(self.workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            self.queue.shut_down()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            metrics.EVICTION_QUEUE_DEPTH.labels(self.name).set(len(self.queue))
            started, failed, again = time.monotonic(), False, None
            try:
                again = await self.sync(key)
            except asyncio.CancelledError:
                raise
            except (ApiError, RetryableError, OSError, asyncio.TimeoutError) as e:
                failed = True
                log.warning("%s: evicting %s failed: %s", self.name, key, e)
            except Exception:  # noqa: BLE001 - the worker boundary: log once, retry with backoff
                failed = True
                log.exception("%s: evicting %s failed", self.name, key)
            finally:
                metrics.record_eviction_processed(self.name, time.monotonic() - started, failed=failed)
                if failed:
                    self.queue.add_rate_limited(key)
                self.queue.done(key)
            if failed:
                continue
            self.queue.forget(key)
            if key in self._pending:
                self._pending.discard(key)
                metrics.EVICTION_KIND_TOTAL.labels(key.cluster, key.resource_kind).dec()
            if again:
                self.add(key, again)  # still tolerated: look again when the toleration runs out
            await asyncio.sleep(self.pause)
