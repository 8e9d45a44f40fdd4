"""Filter and score plugins, one table each (behaviour.md 2.3)."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.scheduler.framework import BindingContext, Code
from pykarmada.controllers.scheduler.plugins import (
    DEFAULT_PLUGINS,
    APIEnablement,
    ClusterAffinity,
    ClusterEviction,
    ClusterLocality,
    SpreadConstraint,
    TaintToleration,
    build_plugins,
)
from tests.unit.scheduler.builders import binding_spec, cluster, names, targets

NOT_READY = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}
EVICT = {"key": "failover", "value": "x", "effect": "NoExecute"}


def ctx(**kw: Any) -> BindingContext:
    status = kw.pop("status", None)
    return BindingContext.build(binding_spec(**kw), status)


def reasons(plugin: Any, context: BindingContext, c: dict[str, Any]) -> tuple[str, ...] | None:
    result = plugin.filter(context, c)
    if result.is_success:
        return None
    assert result.code == Code.UNSCHEDULABLE
    return result.reasons


def test_plugin_names_are_upstream_strings() -> None:
    assert [p.name for p in DEFAULT_PLUGINS.filters] == ["APIEnablement", "TaintToleration", "ClusterAffinity", "SpreadConstraint", "ClusterEviction"]
    assert [p.name for p in DEFAULT_PLUGINS.scores] == ["ClusterLocality", "ClusterAffinity"]


def test_plugin_selection_flag() -> None:
    plugins = build_plugins(["*", "-ClusterLocality", "-TaintToleration"])
    assert [p.name for p in plugins.filters] == ["APIEnablement", "ClusterAffinity", "SpreadConstraint", "ClusterEviction"]
    assert [p.name for p in plugins.scores] == ["ClusterAffinity"]
    assert [p.name for p in build_plugins(["APIEnablement"]).filters] == ["APIEnablement"]
    with pytest.raises(ValueError, match="Bogus"):
        build_plugins(["*", "-Bogus"])


@pytest.mark.parametrize(
    ("c", "placed", "expected"),
    [
        (cluster("m1"), [], None),
        (cluster("m1", apis=(("apps/v1", "StatefulSet"),)), [], ("cluster(s) did not have the API resource",)),
        (cluster("m1", apis=(("apps/v1beta1", "Deployment"),)), [], ("cluster(s) did not have the API resource",)),
        (cluster("m1", apis=(), complete_api=False), [], ("cluster(s) did not have the API resource",)),
        (cluster("m1", apis=()), ["m1"], None),
    ],
    ids=["listed", "kind-missing", "other-group-version", "unknown-incomplete", "already-placed-bypasses"],
)
def test_api_enablement(c: dict[str, Any], placed: list[str], expected: tuple[str, ...] | None) -> None:
    context = ctx(replicas=1, clusters=targets(**{n: 1 for n in placed}))
    assert reasons(APIEnablement(), context, c) == expected


def test_api_enablement_core_group() -> None:
    context = ctx(resource=("v1", "ConfigMap"))
    assert reasons(APIEnablement(), context, cluster("m1", apis=(("v1", "ConfigMap"),))) is None
    assert reasons(APIEnablement(), context, cluster("m1")) is not None


@pytest.mark.parametrize(
    ("taints", "tolerations", "placed", "expected"),
    [
        ([], [], False, None),
        ([NOT_READY], [], False, ("cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoSchedule}",)),
        ([EVICT], [], False, ("cluster(s) had untolerated taint {failover=x:NoExecute}",)),
        ([{"key": "soft", "effect": "PreferNoSchedule"}], [], False, None),
        ([NOT_READY], [{"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}], False, None),
        ([EVICT], [{"key": "failover", "operator": "Equal", "value": "x", "effect": "NoExecute", "tolerationSeconds": 300}], False, None),
        ([EVICT], [{"key": "failover", "operator": "Equal", "value": "y"}], False, ("cluster(s) had untolerated taint {failover=x:NoExecute}",)),
        ([NOT_READY, EVICT], [{"key": "cluster.karmada.io/not-ready", "operator": "Exists"}], False, ("cluster(s) had untolerated taint {failover=x:NoExecute}",)),
        ([NOT_READY, EVICT], [], True, None),
    ],
    ids=["no-taints", "noschedule-untolerated", "noexecute-untolerated", "prefer-noschedule-ignored", "tolerated", "noexecute-tolerated", "value-mismatch", "second-taint-reported", "already-placed-exempt"],
)
def test_taint_toleration(taints: list, tolerations: list, placed: bool, expected: tuple[str, ...] | None) -> None:
    context = ctx(replicas=1, placement={"clusterTolerations": tolerations}, clusters=targets(m1=1) if placed else None)
    assert reasons(TaintToleration(), context, cluster("m1", taints=taints)) == expected


AFFINITY_REASON = ("cluster(s) did not match the placement cluster affinity constraint",)
TERMS = {
    "clusterAffinities": [
        {"affinityName": "primary", **names("m1"), "overflowAffinities": [{"affinityName": "burst", **names("m2")}]},
        {"affinityName": "backup", **names("m3")},
    ]
}


@pytest.mark.parametrize(
    ("placement", "observed", "replicas", "cluster_name", "expected"),
    [
        ({}, "", 1, "m1", None),
        ({"clusterAffinity": names("m1")}, "", 1, "m1", None),
        ({"clusterAffinity": names("m1")}, "", 1, "m2", AFFINITY_REASON),
        (TERMS, "primary", 1, "m1", None),
        (TERMS, "primary", 1, "m2", None),
        (TERMS, "primary", 0, "m2", AFFINITY_REASON),
        (TERMS, "primary", 1, "m3", AFFINITY_REASON),
        (TERMS, "backup", 1, "m3", None),
        (TERMS, "unknown", 1, "m9", None),
    ],
    ids=["no-affinity", "affinity-match", "affinity-mismatch", "term-match", "overflow-for-workloads", "no-overflow-for-non-workloads", "other-term", "observed-term", "unknown-term-no-restriction"],
)
def test_cluster_affinity(placement: dict, observed: str, replicas: int, cluster_name: str, expected: tuple[str, ...] | None) -> None:
    context = ctx(replicas=replicas, placement=placement, status={"schedulerObservingAffinityName": observed})
    assert reasons(ClusterAffinity(), context, cluster(cluster_name)) == expected
    assert ClusterAffinity().score(context, cluster(cluster_name)) == 0


def test_cluster_affinity_is_checked_for_placed_clusters_too() -> None:
    context = ctx(replicas=1, placement={"clusterAffinity": names("m2")}, clusters=targets(m1=1))
    assert reasons(ClusterAffinity(), context, cluster("m1")) == AFFINITY_REASON


@pytest.mark.parametrize(
    ("field", "c", "expected"),
    [
        ("region", cluster("m1", region="r1"), None),
        ("region", cluster("m1"), ("cluster(s) did not have region property",)),
        ("zone", cluster("m1"), ("cluster(s) did not have zones property",)),
        ("zone", cluster("m1", zones=["z1"]), None),
        ("provider", cluster("m1"), ("cluster(s) did not have provider property",)),
        ("cluster", cluster("m1"), None),
    ],
    ids=["region-present", "region-missing", "zones-missing", "zones-present", "provider-missing", "cluster-always"],
)
def test_spread_constraint(field: str, c: dict[str, Any], expected: tuple[str, ...] | None) -> None:
    context = ctx(placement={"spreadConstraints": [{"spreadByField": field, "maxGroups": 1, "minGroups": 1}]})
    assert reasons(SpreadConstraint(), context, c) == expected


def test_cluster_eviction() -> None:
    context = ctx(replicas=1, gracefulEvictionTasks=[{"fromCluster": "m1", "reason": "TaintUntolerated", "producer": "TaintManager"}])
    assert reasons(ClusterEviction(), context, cluster("m1")) == ("cluster(s) is in the process of eviction",)
    assert reasons(ClusterEviction(), context, cluster("m2")) is None


@pytest.mark.parametrize(
    ("placed", "name", "score"),
    [([], "m1", 0), (["m1"], "m1", 100), (["m1"], "m2", 0)],
    ids=["no-previous-result", "placed", "not-placed"],
)
def test_cluster_locality(placed: list[str], name: str, score: int) -> None:
    context = ctx(replicas=1, clusters=targets(**{n: 1 for n in placed}))
    assert ClusterLocality().score(context, cluster(name)) == score
