"""A rate-limited work queue of keys, with client-go's workqueue guarantees:

* stingy: a key added several times before a worker takes it is processed once;
* fair: keys are handed out in the order they were first added (within a priority, below);
* exclusive: a key is never processed by two workers at once; a key added while it is being
  processed is queued again when ``done`` is called for it;
* delayed adds (``add_after``) and per-key exponential backoff (``add_rate_limited``), reset
  with ``forget``. The clock is injectable so the semantics can be tested without sleeping.

It is also a priority queue, as controller-runtime's (which upstream Karmada uses): every key
carries a priority, higher first, FIFO within one. ``HIGH_PRIORITY`` is the default of every add,
so callers that name none keep plain work-queue behaviour; ``LOW_PRIORITY`` is for keys from an
informer's initial list, so after a restart a user's edit is not queued behind the whole backlog.
Adding a queued key again at a higher priority raises it (to the back of its new priority); a
lower priority never lowers it. A key keeps the priority it was handed out with for its requeues
(``get_with_priority``).

A queue with a ``name`` keeps client-go's workqueue metrics under that name (an unnamed one, as
in client-go, keeps none), its depth by priority as controller-runtime's priority queue does.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import heapq
import itertools
import time
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

from pykarmada.kube.metrics import QueueMetrics

K = TypeVar("K", bound=Hashable)


HIGH_PRIORITY = 0  # controller-runtime's default priority: live events
LOW_PRIORITY = -100  # controller-runtime's handler.LowPriority: initial lists, policy fan-out


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
        # One FIFO per priority. Raising a key appends it to its new FIFO and leaves the old entry
        # where it is, counted in ``_stale`` and skipped when reached: no removal from the middle.
        self._fifos: dict[int, collections.deque[K]] = {}
        self._order: list[tuple[int, collections.deque[K]]] = []  # the FIFOs, highest priority first
        self._queued: dict[K, int] = {}  # key -> priority of its live entry (waiting for a worker)
        self._stale: dict[tuple[K, int], int] = {}  # (key, priority) -> entries left behind by a raise
        self._dirty: dict[K, int] = {}  # key -> priority, for keys that need processing
        self._processing: dict[K, int] = {}  # key -> priority it was handed out with
        self._waiting: list[tuple[float, int, K]] = []
        self._waiting_until: dict[K, tuple[float, int]] = {}  # one pending delayed entry per key: the earliest, the highest priority
        self._seq = itertools.count()
        # Set whenever there may be work; getters re-check the queue. (An Event, not a Condition:
        # a cancelled wait on a Condition re-acquires its lock, which can hang shutdown.)
        self._changed = asyncio.Event()
        self._shutdown = False
        self.clock = clock
        self.rate_limiter = rate_limiter or RateLimiter()
        self.metrics = QueueMetrics(name, clock) if name else None

    def __len__(self) -> int:
        return len(self._queued)

    def _push(self, key: K, priority: int) -> None:
        fifo = self._fifos.get(priority)
        if fifo is None:
            fifo = self._fifos[priority] = collections.deque()
            bisect.insort(self._order, (priority, fifo), key=lambda entry: -entry[0])
        fifo.append(key)
        self._queued[key] = priority

    def _add_now(self, key: K, priority: int) -> None:
        if self._shutdown:
            return
        current = self._dirty.get(key)
        if current is not None:
            if priority <= current:
                return
            self._dirty[key] = priority  # raised: a live event for a key queued from a list
            if self.metrics is not None:
                self.metrics.reprioritize(current, priority)
            if key in self._queued:
                stale = (key, current)
                self._stale[stale] = self._stale.get(stale, 0) + 1
                self._push(key, priority)
            return
        self._dirty[key] = priority
        if self.metrics is not None:
            self.metrics.add(key, priority)
        if key not in self._processing:
            self._push(key, priority)

    def add(self, key: K, priority: int = HIGH_PRIORITY) -> None:
        """Queue ``key`` (synchronous: safe to call from event handlers)."""
        self._add_now(key, priority)
        self._wake()

    def add_after(self, key: K, delay: float, priority: int = HIGH_PRIORITY) -> None:
        """Queue ``key`` after ``delay`` seconds, at ``priority`` then; a key already waiting keeps
        the earlier time and the higher priority, so a burst of delayed adds collapses into one."""
        if self.metrics is not None:
            self.metrics.retry()
        if delay <= 0:
            self.add(key, priority)
            return
        ready = self.clock() + delay
        pending = self._waiting_until.get(key)
        if pending is not None:
            if pending[0] <= ready and pending[1] >= priority:
                return
            ready, priority = min(pending[0], ready), max(pending[1], priority)
        self._waiting_until[key] = (ready, priority)
        heapq.heappush(self._waiting, (ready, next(self._seq), key))
        self._wake()

    def add_rate_limited(self, key: K, priority: int = HIGH_PRIORITY) -> None:
        self.add_after(key, self.rate_limiter.when(key), priority)

    def forget(self, key: K) -> None:
        self.rate_limiter.forget(key)

    def _promote_due(self) -> float | None:
        """Move due delayed keys into the queue; return seconds until the next one, if any."""
        now = self.clock()
        while self._waiting and self._waiting[0][0] <= now:
            ready, _, key = heapq.heappop(self._waiting)
            pending = self._waiting_until.get(key)
            if pending is not None and pending[0] == ready:
                del self._waiting_until[key]
                self._add_now(key, pending[1])
        return self._waiting[0][0] - now if self._waiting else None

    def _wake(self) -> None:
        self._changed.set()

    def _pop(self) -> tuple[K, int] | None:
        for priority, fifo in self._order:
            while fifo:
                key = fifo.popleft()
                if self._stale and (left := self._stale.get((key, priority))):
                    if left == 1:
                        del self._stale[key, priority]
                    else:
                        self._stale[key, priority] = left - 1
                    continue
                del self._queued[key]
                return key, priority
        return None

    async def get(self) -> K:
        """The next key to process; the caller must call ``done(key)`` afterwards."""
        return (await self.get_with_priority())[0]

    async def get_with_priority(self) -> tuple[K, int]:
        """The next key and the priority it was queued at, for requeues at the same priority."""
        while True:
            if self._shutdown:
                raise ShutDown
            wait = self._promote_due() if self._waiting else None
            if self._queued and (found := self._pop()) is not None:
                key, priority = found
                del self._dirty[key]
                self._processing[key] = priority
                if self.metrics is not None:
                    self.metrics.get(key, priority)
                return found
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    def done(self, key: K) -> None:
        if self.metrics is not None:
            self.metrics.done(key)
        self._processing.pop(key, None)
        priority = self._dirty.get(key)
        if priority is not None:
            self._push(key, priority)
            self._wake()

    def shut_down(self) -> None:
        self._shutdown = True
        self._wake()


class ListSource(Protocol):
    """What delivers events: an informer, or member informers (see ``Informer.low_priority``)."""

    low_priority: bool


def event_priority(source: ListSource) -> int:
    """The priority for a key from the event ``source`` is delivering: ``LOW_PRIORITY`` for one
    from its list, or about an object low-priority work wrote; ``HIGH_PRIORITY`` otherwise."""
    return LOW_PRIORITY if source.low_priority else HIGH_PRIORITY


def low_priority_when_listed(queue: WorkQueue[K], source: ListSource) -> Callable[[K], None]:
    """An ``add`` for the handlers of ``source``: keys from its list, or about objects written by
    low-priority work, at ``LOW_PRIORITY``; keys from other watch events at ``HIGH_PRIORITY``
    (controller-runtime's WithLowPriorityWhenUnchanged, carried down the pipeline)."""

    def add(key: K) -> None:
        queue.add(key, event_priority(source))

    return add
