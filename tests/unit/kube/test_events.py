"""The event correlator (client-go's spam filter, aggregation and repeat keys), the references
and bodies Events are written with."""

from __future__ import annotations

import asyncio

from pykarmada.kube.events import (
    AGGREGATE_INTERVAL,
    AGGREGATE_MAX_EVENTS,
    AGGREGATE_PREFIX,
    SPAM_BURST,
    EventBroadcaster,
    EventBudget,
    EventCorrelator,
    EventRecord,
    EventRecorder,
    budget_from_flags,
    event_body,
    event_namespace,
    object_reference,
)
from pykarmada.kube.errors import ApiError
from pykarmada.kube.metrics import EVENTS_DROPPED

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ns", "name": "nginx", "uid": "u1", "resourceVersion": "7", "labels": {"a": "b"}}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(message: str = "m", *, reason: str = "R", type_: str = "Normal", name: str = "nginx", component: str = "c") -> EventRecord:
    return EventRecord(component, {**object_reference(DEPLOYMENT), "name": name}, type_, reason, message)


def test_reference_to_an_object_and_to_a_binding_resource() -> None:
    assert object_reference(DEPLOYMENT) == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "nginx", "uid": "u1", "resourceVersion": "7"}
    resource = {"apiVersion": "v1", "kind": "Namespace", "name": "n", "uid": "u2", "namespace": ""}
    assert object_reference(resource) == {"apiVersion": "v1", "kind": "Namespace", "name": "n", "uid": "u2"}


def test_cluster_scoped_objects_get_their_events_in_default() -> None:
    assert event_namespace({"kind": "Cluster", "name": "member1"}) == "default"
    assert event_namespace({"kind": "Deployment", "namespace": "ns", "name": "x"}) == "ns"


def test_repeats_share_a_key_and_differences_do_not() -> None:
    correlator = EventCorrelator(Clock())
    first = correlator.correlate(record())
    assert first is not None and first == correlator.correlate(record())
    keys = {correlator.correlate(r)[0] for r in (record(), record(reason="S"), record(type_="Warning"), record(name="other"), record(component="d"))}  # type: ignore[index]
    assert len(keys) == 5


def test_spam_filter_allows_a_burst_per_source_and_object_then_refills_slowly() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock)
    allowed = [correlator.correlate(record()) is not None for _ in range(SPAM_BURST + 5)]
    assert allowed == [True] * SPAM_BURST + [False] * 5
    assert correlator.correlate(record(component="other")) is not None  # another source has its own bucket
    assert correlator.correlate(record(name="other")) is not None  # so has another object
    clock.now += 300  # one token per 5 minutes
    assert correlator.correlate(record()) is not None
    assert correlator.correlate(record()) is None


def test_similar_events_are_combined_after_ten_messages() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock)
    results = [correlator.correlate(record(f"message {i}")) for i in range(AGGREGATE_MAX_EVENTS + 2)]
    assert all(r is not None for r in results)
    own = results[: AGGREGATE_MAX_EVENTS - 1]
    assert [m for _, m in own] == [f"message {i}" for i in range(AGGREGATE_MAX_EVENTS - 1)]  # type: ignore[misc]
    combined = results[AGGREGATE_MAX_EVENTS - 1 :]
    assert {k for k, _ in combined} == {record().aggregate_key()}  # type: ignore[misc]
    assert combined[-1][1] == AGGREGATE_PREFIX + f"message {AGGREGATE_MAX_EVENTS + 1}"  # type: ignore[index]
    clock.now += AGGREGATE_INTERVAL + 1  # a quiet interval starts afresh
    assert correlator.correlate(record("fresh")) == (record("fresh").event_key(), "fresh")


def test_body_is_what_client_go_writes() -> None:
    r = EventRecord("cluster-controller", {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": "member1", "uid": "u"}, "Normal", "TaintClusterSucceed", "msg")
    body = event_body(r, "msg", count=3, first="2026-01-01T00:00:00Z", last="2026-01-01T00:00:09Z")
    assert body["metadata"]["namespace"] == "default"
    name, _, suffix = body["metadata"]["name"].partition(".")
    assert name == "member1" and int(suffix, 16) > 0
    assert {k: body[k] for k in ("reason", "message", "type", "count", "firstTimestamp", "lastTimestamp", "source", "reportingComponent")} == {
        "reason": "TaintClusterSucceed", "message": "msg", "type": "Normal", "count": 3, "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:09Z", "source": {"component": "cluster-controller"}, "reportingComponent": "cluster-controller",
    }
    assert body["involvedObject"] == r.ref


class RecordingClient:
    """Stands in for the API server's answers (pure bookkeeping, no I/O): records each write."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, dict]] = []

    async def create(self, path: str, body: dict) -> dict:
        self.writes.append(("POST", path, body))
        await asyncio.sleep(0)
        return body

    async def patch(self, path: str, body: dict) -> dict:
        self.writes.append(("PATCH", path, body))
        return body


def test_repeats_fold_into_queued_writes_and_one_delayed_bump() -> None:
    async def scenario() -> list[tuple[str, str, dict]]:
        client = RecordingClient()
        broadcaster = EventBroadcaster(client, bump_delay=0.05)  # type: ignore[arg-type]
        recorder = EventRecorder(client, "c", broadcaster=broadcaster)  # type: ignore[arg-type]
        for _ in range(3):  # queued before the first write: one create with count 3
            recorder.event(DEPLOYMENT, "Normal", "R", "m")
        while broadcaster._writers:
            await asyncio.sleep(0.01)
        for _ in range(4):  # repeats of a written Event: one bump, after the delay
            recorder.event(DEPLOYMENT, "Normal", "R", "m")
        await asyncio.sleep(0.1)
        while broadcaster._writers:
            await asyncio.sleep(0.01)
        return client.writes

    writes = asyncio.run(scenario())
    assert [(verb, body.get("count")) for verb, _, body in writes] == [("POST", 3), ("PATCH", 7)]
    assert writes[0][1] == "/api/v1/namespaces/ns/events"
    assert writes[1][1] == f"/api/v1/namespaces/ns/events/{writes[0][2]['metadata']['name']}"


def test_budget_gives_a_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    budget = EventBudget(2.0, 3, clock, reserve=0)
    assert [budget.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back
    assert [budget.take(), budget.take()] == [True, False]
    clock.now += 100  # never more than the burst
    assert sum(budget.take() for _ in range(10)) == 3
    assert budget_from_flags(0, 100) is None


def test_a_burst_in_one_namespace_leaves_the_others_their_reserve() -> None:
    clock = Clock()
    budget = EventBudget(0.001, 2, clock, reserve=3, reserve_qps=0.5)
    assert sum(budget.take("busy") for _ in range(100)) == 2 + 3  # the shared burst, then its own reserve
    assert [budget.take("quiet") for _ in range(4)] == [True, True, True, False]
    clock.now += 2  # one reserve token back for each
    assert [budget.take("busy"), budget.take("busy"), budget.take("quiet")] == [True, False, True]


def test_budget_drops_normal_events_only_and_counts_them() -> None:
    async def scenario() -> list[tuple[str, str, dict]]:
        client = RecordingClient()
        broadcaster = EventBroadcaster(client)  # type: ignore[arg-type]
        broadcaster.budget = EventBudget(0.001, 2, Clock(), reserve=0)
        recorder = EventRecorder(client, "c", broadcaster=broadcaster)  # type: ignore[arg-type]
        for i in range(4):
            recorder.event({**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "name": f"d{i}"}}, "Normal", "Done", "m")
        recorder.event(DEPLOYMENT, "Warning", "Failed", "w")
        while broadcaster._writers:
            await asyncio.sleep(0.01)
        return client.writes

    before = EVENTS_DROPPED.labels("Normal", "Done", "budget").value
    writes = asyncio.run(scenario())
    assert sorted((body["involvedObject"]["name"], body["reason"]) for _, _, body in writes) == [("d0", "Done"), ("d1", "Done"), ("nginx", "Failed")]
    assert EVENTS_DROPPED.labels("Normal", "Done", "budget").value - before == 2


def test_a_terminating_namespace_gets_no_more_events_for_a_while() -> None:
    class Terminating(RecordingClient):
        async def create(self, path: str, body: dict) -> dict:
            self.writes.append(("POST", path, body))
            raise ApiError(403, "Forbidden", 'events "x" is forbidden: unable to create new content in namespace ns because it is being terminated')

    async def scenario() -> list[tuple[str, str, dict]]:
        client = Terminating()
        broadcaster = EventBroadcaster(client)  # type: ignore[arg-type]
        recorder = EventRecorder(client, "c", broadcaster=broadcaster)  # type: ignore[arg-type]
        recorder.event(DEPLOYMENT, "Normal", "First", "m")
        while broadcaster._writers:
            await asyncio.sleep(0.01)
        for reason in ("Second", "Third"):
            recorder.event(DEPLOYMENT, "Warning", reason, "m")
        while broadcaster._writers:
            await asyncio.sleep(0.01)
        return client.writes

    assert [body["reason"] for _, _, body in asyncio.run(scenario())] == ["First"]
