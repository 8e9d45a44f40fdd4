"""Runtime metrics: work queue and reconcile accounting on an injected clock, the REST client's
series, the exposition text (names and labels as the ecosystem spells them), bind addresses and
the metrics/probe endpoints."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY, CollectorRegistry

from pykarmada.kube import metrics
from pykarmada.kube.controller import Controller, Result, RetryableError
from pykarmada.kube.metrics_server import BadAddress, BindAddress, health_app, metrics_app, parse_bind_address
from pykarmada.kube.workqueue import LOW_PRIORITY, RateLimiter, WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def value(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def queue_labels(name: str) -> dict[str, str]:
    return {"name": name, "controller": name}


def test_queue_counts_adds_depth_latency_and_work_on_its_clock() -> None:
    async def scenario() -> None:
        clock, name = Clock(), unique("q")
        q: WorkQueue[str] = WorkQueue(name=name, clock=clock)
        labels = queue_labels(name)
        for key in ("a", "b", "a"):  # the repeated "a" is not a new add
            q.add(key)
        assert value("workqueue_adds_total", **labels) == 2
        assert value("workqueue_depth", **labels, priority="0") == 2
        clock.now += 3
        key = await q.get()
        assert value("workqueue_depth", **labels, priority="0") == 1
        assert value("workqueue_queue_duration_seconds_count", **labels) == 1
        assert value("workqueue_queue_duration_seconds_sum", **labels) == pytest.approx(3)
        assert value("workqueue_queue_duration_seconds_bucket", **labels, le="1.0") == 0
        assert value("workqueue_queue_duration_seconds_bucket", **labels, le="10.0") == 1
        clock.now += 0.5
        q.done(key)
        assert value("workqueue_work_duration_seconds_count", **labels) == 1
        assert value("workqueue_work_duration_seconds_sum", **labels) == pytest.approx(0.5)

    asyncio.run(scenario())


def test_key_added_while_processing_is_counted_once_and_timed_from_that_add() -> None:
    async def scenario() -> None:
        clock, name = Clock(), unique("q")
        q: WorkQueue[str] = WorkQueue(name=name, clock=clock)
        labels = queue_labels(name)
        q.add("a")
        key = await q.get()
        clock.now += 1
        q.add("a")  # while processing: waiting again, not handed out
        clock.now += 2
        q.done(key)
        assert value("workqueue_adds_total", **labels) == 2
        assert value("workqueue_depth", **labels, priority="0") == 1
        await q.get()
        assert value("workqueue_queue_duration_seconds_sum", **labels) == pytest.approx(2)

    asyncio.run(scenario())


def test_every_delayed_or_rate_limited_add_is_a_retry() -> None:
    clock, name = Clock(), unique("q")
    q: WorkQueue[str] = WorkQueue(name=name, clock=clock)
    q.add_after("a", 5)
    q.add_after("a", 10)  # collapses into the earlier one, still a retry as in client-go
    q.add_rate_limited("b")
    assert value("workqueue_retries_total", **queue_labels(name)) == 3
    assert value("workqueue_adds_total", **queue_labels(name)) == 0, "nothing is waiting yet"


def test_in_progress_gauges_are_computed_when_scraped() -> None:
    async def scenario() -> None:
        clock, name = Clock(), unique("q")
        q: WorkQueue[str] = WorkQueue(name=name, clock=clock)
        q.add("a")
        q.add("b")
        await q.get()
        clock.now += 4
        await q.get()
        clock.now += 1
        labels = queue_labels(name)
        assert value("workqueue_unfinished_work_seconds", **labels) == pytest.approx(6)
        assert value("workqueue_longest_running_processor_seconds", **labels) == pytest.approx(5)

    asyncio.run(scenario())


def test_unnamed_queue_keeps_no_metrics() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    assert q.metrics is None
    assert value("workqueue_adds_total", name="", controller="") == 0


def test_reconcile_results_errors_panics_and_time_on_the_controller_clock() -> None:
    clock, name = Clock(), unique("ctrl")
    outcomes = {"ok": None, "later": Result(requeue_after=1000), "fails": RetryableError("not yet"), "bug": KeyError("x")}

    async def reconcile(key: str) -> Result | None:
        clock.now += 2
        outcome = outcomes[key]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def scenario() -> None:
        ctrl: Controller[str] = Controller(name, reconcile, workers=1, clock=clock)
        ctrl.queue.rate_limiter = RateLimiter(base=1000)  # retries stay in the future of this clock
        assert value("controller_runtime_reconcile_total", controller=name, result="success") == 0
        assert REGISTRY.get_sample_value("controller_runtime_reconcile_total", {"controller": name, "result": "error"}) == 0, "series exist from the start"
        assert value("controller_runtime_max_concurrent_reconciles", controller=name) == 1
        run = asyncio.create_task(ctrl.run())
        for key in outcomes:
            ctrl.queue.add(key)
        while value("controller_runtime_reconcile_time_seconds_count", controller=name) < len(outcomes):
            await asyncio.sleep(0)  # until every reconcile has been accounted for
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)

    asyncio.run(scenario())
    assert value("controller_runtime_reconcile_total", controller=name, result="success") == 1
    assert value("controller_runtime_reconcile_total", controller=name, result="requeue_after") == 1
    assert value("controller_runtime_reconcile_total", controller=name, result="error") == 2
    assert value("controller_runtime_reconcile_errors_total", controller=name) == 2
    assert value("controller_runtime_reconcile_panics_total", controller=name) == 1
    assert value("controller_runtime_reconcile_time_seconds_count", controller=name) == 4
    assert value("controller_runtime_reconcile_time_seconds_sum", controller=name) == pytest.approx(8)
    assert value("controller_runtime_active_workers", controller=name) == 0
    # the requeue_after and both failures went through add_after
    assert value("workqueue_retries_total", **queue_labels(name)) == 3


def test_rest_requests_by_code_method_and_host() -> None:
    host = f"{unique('h')}:6443"
    metrics.observe_rest_request("GET", host, 200, 0.01)
    metrics.observe_rest_request("GET", host, 200, 0.2)
    metrics.observe_rest_request("PUT", host, 409, 0.01)
    metrics.observe_rest_request("GET", host, metrics.REST_ERROR_CODE, 3.0)
    assert value("rest_client_requests_total", code="200", method="GET", host=host) == 2
    assert value("rest_client_requests_total", code="409", method="PUT", host=host) == 1
    assert value("rest_client_requests_total", code="<error>", method="GET", host=host) == 1
    assert value("rest_client_request_duration_seconds_count", verb="GET", host=host) == 3
    assert value("rest_client_request_duration_seconds_bucket", verb="GET", host=host, le="0.025") == 1


def test_exposition_spells_names_and_labels_as_the_ecosystem() -> None:
    name = unique("expo")
    WorkQueue(name=name).add("a")
    metrics.observe_apiserver_request(("LIST", "", "cluster.karmada.io", "v1alpha1", "clusters", "", "cluster", "apiserver"), 200, 0.01)
    text = metrics.exposition().decode()
    assert "# TYPE workqueue_adds_total counter" in text
    # labels sorted by name, as Go's client writes them
    assert f'workqueue_adds_total{{controller="{name}",name="{name}"}} 1.0' in text
    assert f'workqueue_depth{{controller="{name}",name="{name}",priority="0"}} 1.0' in text
    assert "# TYPE workqueue_queue_duration_seconds histogram" in text
    assert "# TYPE controller_runtime_reconcile_total counter" in text
    assert "# TYPE rest_client_requests_total counter" in text
    assert "# TYPE rest_client_request_duration_seconds histogram" in text
    assert (
        'apiserver_request_total{code="200",component="apiserver",dry_run="",group="cluster.karmada.io",resource="clusters",'
        'scope="cluster",subresource="",verb="LIST",version="v1alpha1"} 1.0'
    ) in text
    assert "_created" not in text, "Go's client exposes no created series"
    assert "process_cpu_seconds_total" in text


def test_exponential_buckets_match_gos_helper() -> None:
    assert metrics.exponential_buckets(0.001, 2, 4) == [0.001, 0.002, 0.004, 0.008]
    assert metrics.QUEUE_BUCKETS[0] == pytest.approx(1e-8) and metrics.QUEUE_BUCKETS[-1] == pytest.approx(1e3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":8080", BindAddress("0.0.0.0", 8080)),
        ("127.0.0.1:10357", BindAddress("127.0.0.1", 10357)),
        ("[::1]:8000", BindAddress("::1", 8000)),
        ("0", None),
        ("", None),
    ],
)
def test_bind_addresses_are_spelled_as_in_go(text: str, expected: BindAddress | None) -> None:
    assert parse_bind_address(text) == expected


@pytest.mark.parametrize("text", ["8080", "localhost", ":0", ":70000", "::1:8080", "host:port"])
def test_bad_bind_addresses_say_why(text: str) -> None:
    with pytest.raises(BadAddress, match="host:port|brackets"):
        parse_bind_address(text)


def test_metrics_and_probe_endpoints() -> None:
    ready = False

    async def scenario() -> None:
        nonlocal ready
        async with TestClient(TestServer(metrics_app())) as client:
            resp = await client.get("/metrics")
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            assert "# TYPE workqueue_depth gauge" in await resp.text()
        async with TestClient(TestServer(health_app(lambda: ready))) as client:
            assert (await client.get("/healthz")).status == 200
            assert (await client.get("/readyz")).status == 500
            ready = True
            resp = await client.get("/readyz")
            assert resp.status == 200 and await resp.text() == "ok"

    asyncio.run(scenario())


def test_family_histogram_buckets_are_cumulative_with_le_semantics() -> None:
    registry = CollectorRegistry()
    family = metrics.Family("histogram", "bench_seconds", "Test.", ["op"], buckets=[0.1, 1, 10], registry=registry)
    series = family.labels("x")
    for amount in (0.1, 0.5, 1.0, 20):  # a value equal to a bound falls in that bound's bucket
        series.observe(amount)
    get = registry.get_sample_value
    assert [get("bench_seconds_bucket", {"op": "x", "le": le}) for le in ("0.1", "1.0", "10.0", "+Inf")] == [1, 3, 3, 4]
    assert get("bench_seconds_count", {"op": "x"}) == 4 and get("bench_seconds_sum", {"op": "x"}) == pytest.approx(21.6)
    family.remove("x")
    assert get("bench_seconds_count", {"op": "x"}) is None


def test_family_refuses_wrong_labels_and_kinds() -> None:
    family = metrics.Family("counter", "bench_total", "Test.", ["a", "b"], registry=None)
    with pytest.raises(ValueError, match=r"takes labels \('a', 'b'\)"):
        family.labels("only-one")
    with pytest.raises(ValueError, match="kind must be"):
        metrics.Family("summary", "bench", "Test.", registry=None)


def test_queue_depth_is_kept_by_priority_and_follows_a_raised_key() -> None:
    async def scenario() -> None:
        name = unique("q")
        q: WorkQueue[str] = WorkQueue(name=name)
        labels = queue_labels(name)
        q.add("a", LOW_PRIORITY)
        q.add("b", LOW_PRIORITY)
        assert (value("workqueue_depth", **labels, priority="-100"), value("workqueue_depth", **labels, priority="0")) == (2, 0)
        q.add("a")
        assert (value("workqueue_depth", **labels, priority="-100"), value("workqueue_depth", **labels, priority="0")) == (1, 1)
        assert value("workqueue_adds_total", **labels) == 2
        await q.get()
        assert (value("workqueue_depth", **labels, priority="-100"), value("workqueue_depth", **labels, priority="0")) == (1, 0)

    asyncio.run(scenario())
