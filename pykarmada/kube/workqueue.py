"""A rate-limited work queue of keys, with client-go's workqueue guarantees:

* stingy: a key added several times before a worker takes it is processed once;
* fair: keys are handed out in the order they were first added;
* exclusive: a key is never processed by two workers at once; a key added while it is being
  processed is queued again when ``done`` is called for it;
* delayed adds (``add_after``) and per-key exponential backoff (``add_rate_limited``), reset
  with ``forget``. The clock is injectable so the semantics can be tested without sleeping.

A queue with a ``name`` keeps client-go's workqueue metrics under that name (an unnamed one, as
in client-go, keeps none).
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from pykarmada.kube.metrics import QueueMetrics

K = TypeVar("K", bound=Hashable)


class ShutDown(Exception):
    pass


class RateLimiter(Generic[K]):
    """Per-key exponential backoff: base * 2^failures, capped."""

    def __init__(self, base: float = 0.005, cap: float = 300.0) -> None:
        self.base, self.cap = base, cap
        self._failures: dict[K, int] = {}

    def when(self, key: K) -> float:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        return min(self.base * (2**n), self.cap)

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)

    def retries(self, key: K) -> int:
        return self._failures.get(key, 0)


class WorkQueue(Generic[K]):
    def __init__(
        self, *, name: str = "", rate_limiter: RateLimiter[K] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._queue: collections.deque[K] = collections.deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiting: list[tuple[float, int, K]] = []
        self._waiting_until: dict[K, float] = {}  # one pending delayed entry per key: the earliest
        self._seq = itertools.count()
        # Set whenever there may be work; getters re-check the queue. (An Event, not a Condition:
        # a cancelled wait on a Condition re-acquires its lock, which can hang shutdown.)
        self._changed = asyncio.Event()
        self._shutdown = False
        self.clock = clock
        self.rate_limiter = rate_limiter or RateLimiter()
        self.metrics = QueueMetrics(name, clock) if name else None

    def __len__(self) -> int:
        return len(self._queue)

    def _add_now(self, key: K) -> None:
        if self._shutdown or key in self._dirty:
            return
        self._dirty.add(key)
        if self.metrics is not None:
            self.metrics.add(key)
        if key not in self._processing:
            self._queue.append(key)

    def add(self, key: K) -> None:
        """Queue ``key`` (synchronous: safe to call from event handlers)."""
        self._add_now(key)
        self._wake()

    def add_after(self, key: K, delay: float) -> None:
        """Queue ``key`` after ``delay`` seconds; a key already waiting keeps the earlier time, so
        a burst of delayed adds collapses into one."""
        if self.metrics is not None:
            self.metrics.retry()
        if delay <= 0:
            self.add(key)
            return
        ready = self.clock() + delay
        if key in self._waiting_until and self._waiting_until[key] <= ready:
            return
        self._waiting_until[key] = ready
        heapq.heappush(self._waiting, (ready, next(self._seq), key))
        self._wake()

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        self.rate_limiter.forget(key)

    def _promote_due(self) -> float | None:
        """Move due delayed keys into the queue; return seconds until the next one, if any."""
        now = self.clock()
        while self._waiting and self._waiting[0][0] <= now:
            ready, _, key = heapq.heappop(self._waiting)
            if self._waiting_until.get(key) == ready:
                del self._waiting_until[key]
                self._add_now(key)
        return self._waiting[0][0] - now if self._waiting else None

    def _wake(self) -> None:
        self._changed.set()

    async def get(self) -> K:
        """The next key to process; the caller must call ``done(key)`` afterwards."""
        while True:
            if self._shutdown:
                raise ShutDown
            wait = self._promote_due()
            if self._queue:
                key = self._queue.popleft()
                self._processing.add(key)
                self._dirty.discard(key)
                if self.metrics is not None:
                    self.metrics.get(key)
                return key
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    def done(self, key: K) -> None:
        if self.metrics is not None:
            self.metrics.done(key)
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake()

    def shut_down(self) -> None:
        self._shutdown = True
        self._wake()
