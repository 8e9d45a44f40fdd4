"""Runtime metrics under the names the Kubernetes ecosystem uses, so existing dashboards work:
client-go's work queue and REST client, controller-runtime's reconciler and webhook server, and
the generic apiserver's request metrics.

Every family is defined once, here, and registered in prometheus_client's default registry (which
also carries the process and Python runtime collectors and writes the exposition). The values
themselves are plain Python numbers behind a :class:`Family` collector: every writer runs on the
one event loop, so the locks of prometheus_client's own metric types (several per observation)
would only cost time on the hottest paths, every queue add and every request
(``bench/metrics.py`` measures it). Callers bind label values once and keep the child; many
queues, controllers or clients with the same name share their series.
"""

from __future__ import annotations

import time
import weakref
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

import prometheus_client
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

RESULT_SUCCESS, RESULT_ERROR = "success", "error"
# prometheus_client's own default buckets are Go's DefBuckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def exponential_buckets(start: float, factor: float, count: int) -> list[float]:
    """``count`` upper bounds from ``start``, each ``factor`` times the previous (Go's helper)."""
    return [start * factor**i for i in range(count)]


class Value:
    """One series of a counter or gauge."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = float(value)


class Buckets:
    """One series of a histogram: a count per bucket (the last one +Inf) and the sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds, self.counts, self.sum = bounds, [0] * (len(bounds) + 1), 0.0

    def observe(self, amount: float) -> None:
        self.sum += amount
        self.counts[bisect_left(self.bounds, amount)] += 1  # the first bound >= amount: "le" semantics


class Family(Collector):
    """A labelled counter, gauge or histogram; ``labels(*values)`` gives (and keeps) one series."""

    def __init__(
        self, kind: str, name: str, documentation: str, labelnames: Sequence[str] = (), *,
        buckets: Sequence[float] = DEFAULT_BUCKETS, registry: CollectorRegistry | None = REGISTRY,
    ) -> None:  # fmt: skip
        if kind not in ("counter", "gauge", "histogram"):
            raise ValueError(f"kind must be counter, gauge or histogram, not {kind!r}")
        self.kind, self.name, self.documentation, self.labelnames = kind, name, documentation, tuple(labelnames)
        self.bounds = tuple(sorted(float(b) for b in buckets if b != float("inf")))
        self._series: dict[tuple[str, ...], Any] = {}
        if registry is not None:
            registry.register(self)

    def labels(self, *values: str) -> Any:
        series = self._series.get(values)
        if series is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name} takes labels {self.labelnames}, got {values}")
            series = self._series[values] = Buckets(self.bounds) if self.kind == "histogram" else Value()
        return series

    def remove(self, *values: str) -> None:
        self._series.pop(values, None)

    def _family(self) -> Metric:
        if self.kind == "counter":
            return CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        if self.kind == "gauge":
            return GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        return HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def describe(self) -> list[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        les = [floatToGoString(b) for b in self.bounds] + ["+Inf"]
        for values, series in list(self._series.items()):
            if isinstance(series, Buckets):
                cumulative, total = [], 0
                for le, count in zip(les, series.counts):
                    total += count
                    cumulative.append((le, total))
                family.add_metric(list(values), cumulative, series.sum)
            else:
                family.add_metric(list(values), series.value)
        yield family


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Family:
    return Family("counter", name, documentation, labelnames)


def gauge(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Family:
    return Family("gauge", name, documentation, labelnames)


def histogram(name: str, documentation: str, labelnames: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS) -> Family:
    return Family("histogram", name, documentation, labelnames, buckets=buckets)


# Bucket layouts as upstream declares them.
RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
                     1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60]  # fmt: skip
QUEUE_BUCKETS = exponential_buckets(1e-8, 10, 12)
REST_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0]
APISERVER_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60]

# ---- work queue (client-go, labelled as controller-runtime's provider labels it) ----------------

_QUEUE = ("name", "controller")
WORKQUEUE_DEPTH = gauge("workqueue_depth", "Keys waiting in the work queue, by queue.", [*_QUEUE, "priority"])
WORKQUEUE_ADDS = counter("workqueue_adds_total", "Keys added to the work queue (repeats of a waiting key not counted).", _QUEUE)
WORKQUEUE_QUEUE_DURATION = histogram(
    "workqueue_queue_duration_seconds", "Seconds a key waited in the work queue before a worker took it.", _QUEUE, QUEUE_BUCKETS
)
WORKQUEUE_WORK_DURATION = histogram(
    "workqueue_work_duration_seconds", "Seconds a worker spent on a key taken from the work queue.", _QUEUE, QUEUE_BUCKETS
)
WORKQUEUE_RETRIES = counter("workqueue_retries_total", "Delayed or rate-limited re-adds to the work queue.", _QUEUE)

_live_queues: weakref.WeakSet[QueueMetrics] = weakref.WeakSet()


class QueueMetrics:
    """client-go's accounting for one named queue: depth and adds when a key becomes waiting,
    queue latency when a worker takes it, work duration when the worker is done. Depth is kept
    by priority (the ``priority`` label), as controller-runtime's priority queue keeps it."""

    __slots__ = ("name", "clock", "_depths", "adds", "latency", "work", "retries", "_added", "_started", "__weakref__")

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.clock = name, clock
        self._depths: dict[int, Any] = {}
        self.adds = WORKQUEUE_ADDS.labels(name, name)
        self.latency = WORKQUEUE_QUEUE_DURATION.labels(name, name)
        self.work = WORKQUEUE_WORK_DURATION.labels(name, name)
        self.retries = WORKQUEUE_RETRIES.labels(name, name)
        self._added: dict[Hashable, float] = {}
        self._started: dict[Hashable, float] = {}
        _live_queues.add(self)

    def depth(self, priority: int) -> Any:
        gauge = self._depths.get(priority)
        if gauge is None:
            gauge = self._depths[priority] = WORKQUEUE_DEPTH.labels(self.name, self.name, str(priority))
        return gauge

    def add(self, key: Hashable, priority: int) -> None:
        self.adds.inc()
        self.depth(priority).inc()
        if key not in self._added:
            self._added[key] = self.clock()

    def reprioritize(self, old: int, new: int) -> None:
        self.depth(old).dec()
        self.depth(new).inc()

    def get(self, key: Hashable, priority: int) -> None:
        now = self.clock()
        self.depth(priority).dec()
        added = self._added.pop(key, None)
        if added is not None:
            self.latency.observe(now - added)
        self._started[key] = now

    def done(self, key: Hashable) -> None:
        started = self._started.pop(key, None)
        if started is not None:
            self.work.observe(self.clock() - started)

    def retry(self) -> None:
        self.retries.inc()

    def in_progress(self) -> tuple[float, float]:
        """(seconds of unfinished work summed over keys, seconds of the longest one)."""
        now = self.clock()
        ages = [now - t for t in self._started.values()]
        return sum(ages), max(ages, default=0.0)


class _InProgressCollector(Collector):
    """client-go's unfinished-work gauges, computed when scraped rather than on a timer."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        unfinished = GaugeMetricFamily(
            "workqueue_unfinished_work_seconds", "Seconds of work in progress not yet observed by work_duration; growth means stuck workers.", labels=_QUEUE
        )
        longest = GaugeMetricFamily("workqueue_longest_running_processor_seconds", "Seconds the longest running worker of the queue has been busy.", labels=_QUEUE)
        totals: dict[str, tuple[float, float]] = {}
        for queue in list(_live_queues):
            total, oldest = queue.in_progress()
            seen = totals.get(queue.name, (0.0, 0.0))
            totals[queue.name] = (seen[0] + total, max(seen[1], oldest))
        for name, (total, oldest) in sorted(totals.items()):
            unfinished.add_metric([name, name], total)
            longest.add_metric([name, name], oldest)
        yield unfinished
        yield longest

    def describe(self) -> list[Any]:
        return []


REGISTRY.register(_InProgressCollector())

# ---- reconciler (controller-runtime) -------------------------------------------------------------

RECONCILE_TOTAL = counter("controller_runtime_reconcile_total", "Reconciles per controller, by result.", ["controller", "result"])
RECONCILE_ERRORS = counter("controller_runtime_reconcile_errors_total", "Reconciles that ended in an error, per controller.", ["controller"])
RECONCILE_PANICS = counter("controller_runtime_reconcile_panics_total", "Reconciles that failed unexpectedly (a bug), per controller.", ["controller"])
RECONCILE_TIME = histogram("controller_runtime_reconcile_time_seconds", "Seconds one reconcile took, per controller.", ["controller"], RECONCILE_BUCKETS)
MAX_CONCURRENT_RECONCILES = gauge("controller_runtime_max_concurrent_reconciles", "Workers of the controller.", ["controller"])
ACTIVE_WORKERS = gauge("controller_runtime_active_workers", "Workers of the controller busy reconciling now.", ["controller"])

RECONCILE_RESULTS = ("error", "requeue_after", "requeue", "success")


class ReconcileMetrics:
    """controller-runtime's accounting for one controller; every series exists (at 0) from the start."""

    __slots__ = ("results", "errors", "panics", "time", "active")

    def __init__(self, controller: str, workers: int) -> None:
        self.results = {r: RECONCILE_TOTAL.labels(controller, r) for r in RECONCILE_RESULTS}
        self.errors = RECONCILE_ERRORS.labels(controller)
        self.panics = RECONCILE_PANICS.labels(controller)
        self.time = RECONCILE_TIME.labels(controller)
        self.active = ACTIVE_WORKERS.labels(controller)
        MAX_CONCURRENT_RECONCILES.labels(controller).set(workers)

    def finished(self, result: str, seconds: float, *, panic: bool = False) -> None:
        self.results[result].inc()
        if result == "error":
            self.errors.inc()
        if panic:
            self.panics.inc()
        self.time.observe(seconds)


# ---- REST client (client-go) ---------------------------------------------------------------------

REST_REQUESTS = counter("rest_client_requests_total", "HTTP requests to API servers, by status code, method and host.", ["code", "method", "host"])
REST_LATENCY = histogram(
    "rest_client_request_duration_seconds", "Seconds until an API server answered a request, by verb and host.", ["verb", "host"], REST_BUCKETS
)
REST_ERROR_CODE = "<error>"  # client-go's code label when no response came back



def observe_rest_request(method: str, host: str, code: int | str, seconds: float) -> None:
    """One request answered (or failed: ``REST_ERROR_CODE``) after ``seconds``."""
    REST_REQUESTS.labels(str(code), method, host).inc()
    REST_LATENCY.labels(method, host).observe(seconds)


# ---- servers: generic apiserver and controller-runtime's webhook server -------------------------

_APISERVER = ("verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component")
APISERVER_REQUESTS = counter("apiserver_request_total", "Requests served, by verb, dry run, group, version, resource, scope, component and HTTP code.", [*_APISERVER, "code"])
APISERVER_LATENCY = histogram(
    "apiserver_request_duration_seconds", "Seconds to serve a request, by verb, dry run, group, version, resource, subresource, scope and component.",
    _APISERVER, APISERVER_BUCKETS,
)  # fmt: skip
APISERVER_COMPONENT = "apiserver"


def observe_apiserver_request(labels: tuple[str, str, str, str, str, str, str, str], code: int, seconds: float) -> None:
    """``labels`` in the order of ``_APISERVER`` (verb, dry_run, group, version, resource, subresource, scope, component)."""
    APISERVER_REQUESTS.labels(*labels, str(code)).inc()
    APISERVER_LATENCY.labels(*labels).observe(seconds)


EVENTS_DROPPED = counter(
    "events_dropped_total",
    "Events not written, by type, reason and cause: budget (the Normal Event budget was spent), queue (too many waiting) or terminating (their namespace is being deleted).",
    ["type", "reason", "cause"],
)
WEBHOOK_REQUESTS = counter("controller_runtime_webhook_requests_total", "Admission requests served, by webhook path and HTTP code.", ["webhook", "code"])
WEBHOOK_LATENCY = histogram("controller_runtime_webhook_latency_seconds", "Seconds to serve an admission request, by webhook path.", ["webhook"])
WEBHOOK_IN_FLIGHT = gauge("controller_runtime_webhook_requests_in_flight", "Admission requests being served now, by webhook path.", ["webhook"])


# What Go's client serves for a plain scrape: the text format, version 0.0.4.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition() -> bytes:
    """The default registry in the Prometheus text format."""
    return prometheus_client.generate_latest(REGISTRY)
