"""Kubernetes Events (core/v1) for controllers, in the manner of client-go's recorder.

``EventRecorder.event()`` is synchronous and never blocks a reconcile. All recorders on one API
client share one :class:`EventBroadcaster`, so the process has one bounded queue and one set of
caches. Before anything is written, client-go's correlator runs (:class:`EventCorrelator`): a
spam filter per source and object (a token bucket of 25, refilled one per 5 minutes), the
aggregation of similar events (the same object, type and reason with 10 different messages
within 10 minutes become one ``(combined from similar events): ...`` Event), and the
de-duplication of repeats, which bump ``count`` and ``lastTimestamp`` of the existing Event
instead of creating one. Beyond client-go, repeats of an Event whose write is still queued are
folded into that write, and a bump waits ``bump_delay`` seconds for more repeats, so a burst of
repeats costs one PATCH with the full count. At most ``max_queued`` distinct Events wait; more are
dropped (Events are best effort, client-go drops them too). Cluster-scoped objects get their
Events in ``default``.

A process may also give its broadcaster an :class:`EventBudget`, a token bucket over the writes of
Normal Events (kubelet's ``--event-qps`` / ``--event-burst``). Warnings never wait for it. The
budget keeps a burst of routine successes (25 Events for each Deployment that reaches three
clusters) from costing the control plane more writes than the objects themselves, while every
Event of a quiet moment is still written, and a small reserve per namespace keeps one namespace's
burst from hiding the Events of the others. What is dropped is counted in ``events_dropped_total``.
A namespace that refuses an Event because it is being deleted gets none for a while: deleting a
namespace of many objects would otherwise cost one refused write per Event about them.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.metrics import EVENTS_DROPPED

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
MAX_MESSAGE = 1024
WRITE_TIMEOUT = 10.0
# client-go's correlator defaults (tools/record/events_cache.go).
LRU_SIZE = 4096
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
AGGREGATE_PREFIX = "(combined from similar events): "
MAX_QUEUED = 4096  # client-go queues 1000 for one sequential writer; ours write several at a time
TERMINATING_HOLD = 60.0  # seconds a namespace that answered "being terminated" gets no Events

Key = tuple[Any, ...]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An ObjectReference to a full object (or to a binding's ``spec.resource``)."""
    meta = obj.get("metadata")
    if meta is None:  # already a reference
        ref = {k: obj.get(k) for k in ("apiVersion", "kind", "namespace", "name", "uid", "resourceVersion")}
    else:
        ref = {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        }
    return {k: v for k, v in ref.items() if v}


def event_namespace(ref: Mapping[str, Any]) -> str:
    """Where the Event is stored: the object's namespace, ``default`` for cluster-scoped objects."""
    return ref.get("namespace") or "default"


@dataclass(frozen=True)
class EventRecord:
    """What a recorder was asked to record, before correlation."""

    component: str
    ref: Mapping[str, Any]
    type: str
    reason: str
    message: str

    def object_key(self) -> Key:
        """Source and involved object: the spam filter's key."""
        r = self.ref
        return (self.component, r.get("kind"), r.get("namespace"), r.get("name"), r.get("uid"), r.get("apiVersion"))

    def aggregate_key(self) -> Key:
        """Source, object, type and reason: events that differ only in their message are similar."""
        return (*self.object_key(), self.type, self.reason)

    def event_key(self) -> Key:
        """What makes a repeat: everything, message included."""
        return (*self.aggregate_key(), self.message)


@dataclass
class _Bucket:
    """A token bucket (client-go's spam filter per object, and the Normal Event budget)."""

    tokens: float
    at: float

    def take(self, now: float, burst: int, qps: float) -> bool:
        self.tokens = min(float(burst), self.tokens + (now - self.at) * qps)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Similar:
    messages: set[int] = field(default_factory=set)  # hashes: bounded memory whatever the messages
    at: float = 0.0


def _lru_put(cache: OrderedDict[Any, Any], key: Hashable, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)


class EventCorrelator:
    """client-go's spam filter and aggregator: decides whether an event is written, under which
    key (repeats share one) and with which message."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, burst: int = SPAM_BURST, qps: float = SPAM_QPS) -> None:
        self.clock, self.burst, self.qps = clock, burst, qps
        self._buckets: OrderedDict[Key, _Bucket] = OrderedDict()
        self._similar: OrderedDict[Key, _Similar] = OrderedDict()

    def correlate(self, record: EventRecord) -> tuple[Key, str] | None:
        """``(key, message)`` to write, or None when the spam filter drops the event."""
        now = self.clock()
        if not self._take_token(record.object_key(), now):
            return None
        agg_key = record.aggregate_key()
        similar = self._similar.get(agg_key)
        if similar is None or now - similar.at > AGGREGATE_INTERVAL:
            similar = _Similar()
        similar.messages.add(hash(record.message))
        similar.at = now
        _lru_put(self._similar, agg_key, similar, LRU_SIZE)
        if len(similar.messages) < AGGREGATE_MAX_EVENTS:
            return record.event_key(), record.message
        similar.messages.pop()  # keep the set bounded, as client-go does
        return agg_key, AGGREGATE_PREFIX + record.message

    def _take_token(self, key: Key, now: float) -> bool:
        bucket = self._buckets.get(key) or _Bucket(float(self.burst), now)
        _lru_put(self._buckets, key, bucket, LRU_SIZE)
        return bucket.take(now, self.burst, self.qps)


class EventBudget:
    """Writes of Normal Events: ``burst`` at once, refilled at ``qps`` per second.

    When the shared bucket is empty, each namespace may still spend a small reserve of its own
    (``reserve`` at once, refilled at ``reserve_qps``), so a burst in one namespace cannot hide
    every Event of a quiet one. The reserves add at most a few writes per namespace to a burst."""

    def __init__(self, qps: float, burst: int, clock: Callable[[], float] = time.monotonic, *, reserve: int = SPAM_BURST, reserve_qps: float = 0.1) -> None:
        self.qps, self.burst, self.clock = qps, burst, clock
        self.reserve, self.reserve_qps = reserve, reserve_qps
        self._bucket = _Bucket(float(burst), clock())
        self._reserves: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, namespace: str = "") -> bool:
        now = self.clock()
        if self._bucket.take(now, self.burst, self.qps):
            return True
        bucket = self._reserves.get(namespace) or _Bucket(float(self.reserve), now)
        _lru_put(self._reserves, namespace, bucket, LRU_SIZE)
        return bucket.take(now, self.reserve, self.reserve_qps)


def budget_from_flags(qps: float, burst: int) -> EventBudget | None:
    """kubelet's convention: a QPS of 0 (or less) means no budget."""
    return EventBudget(qps, max(burst, 1)) if qps > 0 else None


@dataclass
class _Pending:
    record: EventRecord
    message: str
    first: str
    last: str
    repeats: int = 0  # further occurrences folded into this write


class EventBroadcaster:
    """The queue and writers behind every recorder on one client (client-go's broadcaster)."""

    def __init__(self, client: KubeClient, *, concurrency: int = 8, max_queued: int = MAX_QUEUED, bump_delay: float = 1.0) -> None:
        self.client, self.concurrency, self.max_queued, self.bump_delay = client, concurrency, max_queued, bump_delay
        self.correlator = EventCorrelator()
        self.budget: EventBudget | None = None
        self.dropped = 0
        self._pending: dict[Key, _Pending] = {}
        self._ready: deque[Key] = deque()
        self._inflight: set[Key] = set()
        self._observed: OrderedDict[Key, tuple[str, str, int]] = OrderedDict()  # key -> (name, namespace, count)
        self._writers: set[asyncio.Task[None]] = set()
        self._terminating: dict[str, float] = {}  # namespace -> monotonic time its hold ends
        self._running = 0  # writers not yet past their last look at the queue

    def record(self, record: EventRecord) -> None:
        correlated = self.correlator.correlate(record)
        if correlated is None:
            return
        key, message = correlated
        namespace = event_namespace(record.ref)
        if namespace in self._terminating:
            if time.monotonic() < self._terminating[namespace]:
                EVENTS_DROPPED.labels(record.type, record.reason, "terminating").inc()
                return
            del self._terminating[namespace]
        now = _now()
        pending = self._pending.get(key)
        if pending is not None:
            pending.repeats += 1
            pending.message, pending.last = message, now
            return
        if len(self._pending) >= self.max_queued:
            self.dropped += 1
            EVENTS_DROPPED.labels(record.type, record.reason, "queue").inc()
            if self.dropped % 1000 == 1:
                log.warning("dropping events: %d queued (%d dropped so far)", len(self._pending), self.dropped)
            return
        if record.type != WARNING and self.budget is not None and not self.budget.take(namespace):
            EVENTS_DROPPED.labels(record.type, record.reason, "budget").inc()
            return
        self._pending[key] = _Pending(record, message, now, now)
        self._schedule(key)

    def _schedule(self, key: Key) -> None:
        """Hand ``key`` to a writer, after ``bump_delay`` when it is a repeat of a written Event."""
        if key in self._inflight:
            return  # the writer re-schedules it when the write in flight ends
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._pending.pop(key, None)
            return  # no loop: nothing to record with
        if key in self._observed and self.bump_delay > 0:
            loop.call_later(self.bump_delay, self._ready_now, key)
        else:
            self._ready_now(key)

    def _ready_now(self, key: Key) -> None:
        if key in self._inflight or key not in self._pending:
            return
        self._ready.append(key)
        if self._running < self.concurrency:
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._drain(), name="event writer")
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)

    async def _drain(self) -> None:
        """Write queued Events until none is left; the writer then ends (none idles). It counts
        itself out in the same step as it finds the queue empty, so a key queued after that
        always gets a writer."""
        try:
            while self._ready:
                key = self._ready.popleft()
                if key in self._inflight or key not in self._pending:
                    continue
                pending = self._pending.pop(key)
                self._inflight.add(key)
                try:
                    await asyncio.wait_for(self._write(key, pending), WRITE_TIMEOUT)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - events are best effort
                    log.debug("recording event %s on %s failed: %s", pending.record.reason, pending.record.ref.get("name"), e)
                finally:
                    self._inflight.discard(key)
                if key in self._pending:
                    self._schedule(key)
        finally:
            self._running -= 1

    async def _write(self, key: Key, p: _Pending) -> None:
        seen = self._observed.get(key)
        if seen is not None:
            name, namespace, count = seen
            count += 1 + p.repeats
            try:
                await self.client.patch(f"/api/v1/namespaces/{namespace}/events/{name}", {"count": count, "lastTimestamp": p.last, "message": p.message})
                _lru_put(self._observed, key, (name, namespace, count), LRU_SIZE)
                return
            except ApiError as e:
                if not e.not_found:
                    raise
                # gone (expired): create it again
        count = 1 + p.repeats
        body = event_body(p.record, p.message, count=count, first=p.first, last=p.last)
        namespace = body["metadata"]["namespace"]
        try:
            await self.client.create(f"/api/v1/namespaces/{namespace}/events", body)
        except ApiError as e:
            if e.status == 403 and "being terminated" in e.message:
                self._terminating[namespace] = time.monotonic() + TERMINATING_HOLD
            raise
        _lru_put(self._observed, key, (body["metadata"]["name"], namespace, count), LRU_SIZE)

    async def close(self) -> None:
        for task in list(self._writers):
            task.cancel()
        await asyncio.gather(*self._writers, return_exceptions=True)


def event_body(record: EventRecord, message: str, *, count: int, first: str, last: str) -> dict[str, Any]:
    """The core/v1 Event as client-go's recorder makes it (named ``<object>.<unix nanos in hex>``)."""
    ref = dict(record.ref)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{ref['name']}.{time.time_ns():x}", "namespace": event_namespace(ref)},
        "involvedObject": ref,
        "reason": record.reason,
        "message": message,
        "type": record.type,
        "source": {"component": record.component},
        "firstTimestamp": first,
        "lastTimestamp": last,
        "count": count,
        "reportingComponent": record.component,
        "reportingInstance": "",
    }


_broadcasters: weakref.WeakKeyDictionary[KubeClient, EventBroadcaster] = weakref.WeakKeyDictionary()


def broadcaster_for(client: KubeClient) -> EventBroadcaster:
    """The one broadcaster of ``client``, made on first use."""
    try:
        broadcaster = _broadcasters.get(client)
    except TypeError:  # not weakly referable (a stand-in client): one of its own
        return EventBroadcaster(client)
    if broadcaster is None:
        broadcaster = _broadcasters[client] = EventBroadcaster(client)
    return broadcaster


class EventRecorder:
    """Records Events from one component (``source.component``)."""

    def __init__(self, client: KubeClient, component: str, *, broadcaster: EventBroadcaster | None = None) -> None:
        self.component = component
        self.broadcaster = broadcaster or broadcaster_for(client)

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        """Record an Event about ``obj`` (an object or an ObjectReference); fire and forget."""
        ref = object_reference(obj)
        if not ref.get("name"):
            return
        self.broadcaster.record(EventRecord(self.component, ref, type_, reason, message[:MAX_MESSAGE]))
