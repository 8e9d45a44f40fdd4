"""The pure logic of one (cluster, resource) cache and of the registries' matching."""

from __future__ import annotations

import asyncio
import json

import pytest

from pykarmada.aggregator.search import kubepath
from pykarmada.aggregator.search.store import CACHE_SOURCE_ANNOTATION, Filter, ResourceCache, Watcher
from pykarmada.karmada.resourceregistry import ResourceRegistryStrategy, desired_caches
from pykarmada.kube.labels import parse_label_selector
from pykarmada.kube.status import StatusError


def pod(ns: str, name: str, rv: int, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name, "resourceVersion": str(rv), "labels": labels, "managedFields": [{"manager": "x"}]}}


def filled(n: int = 5, namespaces: frozenset[str] | None = None) -> ResourceCache:
    cache = ResourceCache("m1", namespaces)
    pods = [pod("b" if i % 2 else "a", f"p{i}", 10 + i, app="web" if i < 3 else "db") for i in range(n)]
    cache.replace([cache.encode_listed(p, "PodList", "v1") for p in pods], "20", "PodList", "v1")
    return cache


def test_objects_are_annotated_compact_and_without_managed_fields() -> None:
    data = filled().get("a", "p0")
    assert data is not None and b" " not in data
    obj = json.loads(data)
    assert obj["metadata"]["annotations"][CACHE_SOURCE_ANNOTATION] == "m1"
    assert "managedFields" not in obj["metadata"]


def test_select_pages_in_key_order_and_filters() -> None:
    cache = filled()
    page, resume = cache.select(Filter(), limit=2)
    assert [json.loads(d)["metadata"]["name"] for d in page] == ["p0", "p2"] and resume == "a/p2"
    rest, resume = cache.select(Filter(), resume, 10)
    assert [json.loads(d)["metadata"]["name"] for d in rest] == ["p4", "p1", "p3"] and resume == ""
    web = cache.select(Filter(labels=tuple(parse_label_selector("app=web"))))[0]
    assert sorted(json.loads(d)["metadata"]["name"] for d in web) == ["p0", "p1", "p2"]
    assert [json.loads(d)["metadata"]["name"] for d in cache.select(Filter(namespace="b"))[0]] == ["p1", "p3"]


def test_limit_exactly_at_the_end_has_no_resume() -> None:
    assert filled(2).select(Filter(), limit=2)[1] == ""


def test_namespaces_outside_the_registry_are_not_cached() -> None:
    assert sorted(filled(namespaces=frozenset({"b"})).items) == ["b/p1", "b/p3"]


def test_watch_backlog_then_live_and_too_old_is_410() -> None:
    async def run() -> None:
        cache = filled()
        cache.apply("ADDED", pod("a", "new", 30))
        watcher = Watcher()
        cache.subscribe(watcher, "20", Filter())
        cache.apply("DELETED", pod("a", "new", 31))
        got = [watcher.queue.get_nowait() for _ in range(2)]
        assert [(e.type, e.rv) for _, e in got] == [("ADDED", 30), ("DELETED", 31)]
        with pytest.raises(StatusError) as e:
            cache.subscribe(Watcher(), "5", Filter())
        assert e.value.code == 410
        cache.close_watchers()
        assert watcher.queue.get_nowait() is None

    asyncio.run(run())


def test_relist_publishes_the_difference() -> None:
    async def run() -> None:
        cache = filled(2)
        watcher = Watcher()
        cache.subscribe(watcher, "20", Filter())
        cache.replace([cache.encode_listed(pod("a", "p0", 10, app="web"), "PodList", "v1")], "40", "PodList", "v1")
        types = [watcher.queue.get_nowait()[1].type for _ in range(1)]
        assert types == ["DELETED"] and cache.bytes == len(cache.get("a", "p0") or b"")

    asyncio.run(run())


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/api/v1/pods", ("list", "", "pods", "", "")),
        ("/api/v1/namespaces/ns1/pods/p/log", ("get", "ns1", "pods", "p", "log")),
        ("/apis/apps/v1/namespaces/ns1/deployments", ("list", "ns1", "deployments", "", "")),
        ("/api/v1/namespaces/ns1", ("get", "ns1", "namespaces", "ns1", "")),
    ],
)
def test_kube_paths(path: str, expected: tuple) -> None:
    r = kubepath.parse("GET", path, False)
    assert (r.verb, r.namespace, r.resource, r.name, r.subresource) == expected


@pytest.mark.parametrize("raw", ["/api/v1/../../x", "/api/v1/namespaces/a%2Fb/pods", "/api/v1/./pods", "/api/v1/pods%2e%2e"])
def test_escaping_paths_are_refused(raw: str) -> None:
    with pytest.raises(StatusError) as e:
        kubepath.check_raw_path(raw)
    assert e.value.code == 400


def _cluster(name: str, ready: bool = True, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}, "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_desired_caches_union_of_namespaces_and_ready_clusters_only() -> None:
    registries = [
        {"spec": {"targetCluster": {"clusterNames": ["m1", "m2"]}, "resourceSelectors": [{"apiVersion": "v1", "kind": "Pod", "namespace": "a"}]}},
        {"spec": {"targetCluster": {"clusterNames": ["m1"]}, "resourceSelectors": [{"apiVersion": "v1", "kind": "Pod", "namespace": "b"}, {"apiVersion": "apps/v1", "kind": "Deployment"}]}},
    ]
    got = desired_caches(registries, [_cluster("m1"), _cluster("m2"), _cluster("m3"), _cluster("m4", ready=False)])
    assert got == {("m1", "v1", "Pod"): frozenset({"a", "b"}), ("m2", "v1", "Pod"): frozenset({"a"}), ("m1", "apps/v1", "Deployment"): None}


def test_registry_validation_names_the_fields() -> None:
    obj = {"metadata": {"name": "Bad_Name"}, "spec": {"targetCluster": {"fieldSelector": {"matchExpressions": [{"key": "color", "operator": "Exists"}]}},
                                                      "resourceSelectors": [{"apiVersion": "a/b/c", "kind": "", "namespace": "NS"}]}}  # fmt: skip
    fields = {e.field for e in ResourceRegistryStrategy().validate(obj)}
    assert fields == {
        "metadata.name", "spec.targetCluster.fieldSelector.matchExpressions[0].key", "spec.targetCluster.fieldSelector.matchExpressions[0].operator",
        "spec.resourceSelectors[0].apiVersion", "spec.resourceSelectors[0].kind", "spec.resourceSelectors[0].namespace",
    }  # fmt: skip
