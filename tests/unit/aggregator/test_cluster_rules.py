"""Cluster defaults, normalisation and validation (surfaces.md 1.3)."""

from __future__ import annotations

import copy

import pytest

from pykarmada.karmada.cluster import MAX_INT64, ClusterStrategy, default_resource_models, validate_spec
from pykarmada.aggregator.negotiation import negotiate
from pykarmada.aggregator.patch import merge_patch
from pykarmada.aggregator.requestinfo import metric_labels, request_info
from pykarmada.aggregator.table import build_table, human_age
from pykarmada.kube.status import StatusError

strategy = ClusterStrategy()


def _new(spec: dict, name: str = "m1") -> dict:
    obj = {"metadata": {"name": name}, "spec": copy.deepcopy(spec), "status": {"kubernetesVersion": "x"}}
    strategy.prepare_for_create(obj)
    return obj


def test_create_defaults() -> None:
    obj = _new({"syncMode": "Push", "zone": "z1", "taints": [{"key": "k", "effect": "NoExecute"}]})
    assert obj["status"] == {} and obj["metadata"]["generation"] == 1
    assert obj["spec"]["zones"] == ["z1"] and "zone" not in obj["spec"]
    assert obj["spec"]["taints"][0]["timeAdded"]
    models = obj["spec"]["resourceModels"]
    assert [m["grade"] for m in models] == list(range(9))
    assert models[0]["ranges"][1] == {"name": "memory", "min": "0", "max": "4Gi"}
    assert models[-1]["ranges"][0]["max"] == MAX_INT64
    assert strategy.validate(obj) == []


def test_given_models_are_sorted_and_bounded() -> None:
    models = [{"grade": 1, "ranges": [{"name": "cpu", "min": "2", "max": "5"}]}, {"grade": 0, "ranges": [{"name": "cpu", "min": "1", "max": "2"}]}]
    obj = _new({"syncMode": "Push", "resourceModels": models})
    got = obj["spec"]["resourceModels"]
    assert [m["grade"] for m in got] == [0, 1]
    assert got[0]["ranges"][0]["min"] == "0" and got[1]["ranges"][0]["max"] == MAX_INT64
    assert strategy.validate(obj) == []


def test_update_keeps_status_and_counts_generation_on_spec_change_only() -> None:
    old = _new({"syncMode": "Push"})
    old["status"] = {"kubernetesVersion": "v1.34.4"}
    same = copy.deepcopy(old)
    same["status"] = {}
    strategy.prepare_for_update(same, old)
    assert same["status"] == {"kubernetesVersion": "v1.34.4"} and same["metadata"]["generation"] == 1
    changed = copy.deepcopy(old)
    changed["spec"]["region"] = "r"
    strategy.prepare_for_update(changed, old)
    assert changed["metadata"]["generation"] == 2


def test_status_update_takes_only_status() -> None:
    old = _new({"syncMode": "Push"})
    new = copy.deepcopy(old)
    new["spec"]["syncMode"] = "Pull"
    new["status"] = {"kubernetesVersion": "v1"}
    result = strategy.prepare_for_status_update(new, old)
    assert result["spec"]["syncMode"] == "Push" and result["status"] == {"kubernetesVersion": "v1"}


@pytest.mark.parametrize(
    "spec,field",
    [
        ({}, "spec.syncMode"),
        ({"syncMode": "push"}, "spec.syncMode"),
        ({"syncMode": "Push", "apiEndpoint": "10.0.0.1:6443"}, "spec.apiEndpoint"),
        ({"syncMode": "Push", "apiEndpoint": "https://u:p@h:1"}, "spec.apiEndpoint"),
        ({"syncMode": "Push", "apiEndpoint": "https://h:1/?q=1"}, "spec.apiEndpoint"),
        ({"syncMode": "Push", "secretRef": {"namespace": "n"}}, "spec.secretRef.name"),
        ({"syncMode": "Push", "impersonatorSecretRef": {"name": "n"}}, "spec.impersonatorSecretRef.namespace"),
        ({"syncMode": "Push", "proxyURL": "ftp://p"}, "spec.proxyURL"),
        ({"syncMode": "Push", "provider": "-bad"}, "spec.provider"),
        ({"syncMode": "Push", "zones": ["ok", "not ok"]}, "spec.zones[1]"),
        ({"syncMode": "Push", "zone": "a", "zones": ["b"]}, "spec.zone"),
        ({"syncMode": "Push", "taints": [{"key": "k", "effect": "PreferNoSchedule"}]}, "spec.taints[0].effect"),
        ({"syncMode": "Push", "taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoSchedule"}]}, "spec.taints[1].effect"),
        ({"syncMode": "Push", "taints": [{"key": "bad key", "effect": "NoSchedule"}]}, "spec.taints[0].key"),
        ({"syncMode": "Push", "resourceModels": [{"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "1"}]}, {"grade": 1, "ranges": [{"name": "memory", "min": "1", "max": MAX_INT64}]}]}, "spec.resourceModels[1].ranges"),
        ({"syncMode": "Push", "resourceModels": [{"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "2"}]}, {"grade": 1, "ranges": [{"name": "cpu", "min": "3", "max": MAX_INT64}]}]}, "spec.resourceModels[1].ranges[0].min"),
    ],
    ids=[
        "missing-sync-mode", "lowercase-sync-mode", "endpoint-no-scheme", "endpoint-userinfo", "endpoint-query", "secret-ref-no-name",
        "impersonator-no-namespace", "proxy-scheme", "bad-provider", "bad-zone", "zone-and-zones", "prefer-no-schedule", "duplicate-taint",
        "bad-taint-key", "models-different-resources", "models-not-contiguous",
    ],
)
def test_invalid_specs_name_the_field(spec: dict, field: str) -> None:
    errors = validate_spec(spec)
    assert any(e.field == field for e in errors), [str(e) for e in errors]


def test_default_models_are_valid() -> None:
    assert validate_spec({"syncMode": "Pull", "resourceModels": default_resource_models()}) == []


@pytest.mark.parametrize(
    "name,ok",
    [("member1", True), ("a" * 48, True), ("a" * 49, False), ("Member", False), ("-m", False), ("", False)],
    ids=["plain", "48-chars", "49-chars", "uppercase", "leading-dash", "empty"],
)
def test_names(name: str, ok: bool) -> None:
    obj = _new({"syncMode": "Push"}, name)
    assert (strategy.validate(obj) == []) is ok


def test_table_columns_and_cells() -> None:
    obj = _new({"syncMode": "Push", "zones": ["a", "b"], "apiEndpoint": "https://h:1"})
    obj["status"] = {"kubernetesVersion": "v1.34.4", "conditions": [{"type": "Ready", "status": "True"}]}
    obj["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    table = build_table([obj])
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == ["Name", "Version", "Mode", "Ready", "Age", "Zones", "Region", "Provider", "API-Endpoint", "Proxy-URL"]
    assert [c["priority"] for c in table["columnDefinitions"]] == [0] * 5 + [1] * 5
    cells = table["rows"][0]["cells"]
    assert cells[:4] == ["m1", "v1.34.4", "Push", "True"] and cells[5:] == ["a,b", "<none>", "<none>", "https://h:1", "<none>"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert "columnDefinitions" not in build_table([obj], no_headers=True)


@pytest.mark.parametrize("seconds,text", [(5, "5s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (3 * 3600, "3h"), (50 * 3600, "2d")])
def test_human_age(seconds: int, text: str) -> None:
    import datetime

    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    created = (now - datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert human_age(created, now) == text


def test_negotiation() -> None:
    assert negotiate("application/json;as=Table;v=v1;g=meta.k8s.io,application/json").kind == "Table"
    assert negotiate("application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").kind == "PartialObjectMetadata"
    assert negotiate(None).kind == "object"
    with pytest.raises(StatusError) as e:
        negotiate("application/vnd.kubernetes.protobuf")
    assert e.value.code == 406


@pytest.mark.parametrize(
    "method,path,query,verb,name,sub",
    [
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters", {}, "list", "", ""),
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters", {"watch": "true"}, "watch", "", ""),
        ("DELETE", "/apis/cluster.karmada.io/v1alpha1/clusters", {}, "deletecollection", "", ""),
        ("PUT", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/status", {}, "update", "m1", "status"),
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy/api/v1/pods", {"watch": "true"}, "get", "m1", "proxy"),
    ],
    ids=["list", "watch", "deletecollection", "status-update", "proxied-watch-is-get"],
)
def test_request_info(method: str, path: str, query: dict, verb: str, name: str, sub: str) -> None:
    info = request_info(method, path, query)
    assert (info.verb, info.name, info.subresource) == (verb, name, sub)


def test_proxy_path_keeps_the_rest() -> None:
    info = request_info("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy/api/v1/namespaces/x/pods/p/log", {})
    assert info.proxy_path == "/api/v1/namespaces/x/pods/p/log"
    assert request_info("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy", {}).proxy_path == "/"


def test_merge_patch_rfc7386() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]}) == {"a": {"c": 2, "e": 3}, "d": [2]}


@pytest.mark.parametrize(
    ("method", "path", "query", "content_type", "labels"),
    [
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters", {}, "", ("LIST", "cluster", "")),
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters", {"watch": "true"}, "", ("WATCH", "cluster", "")),
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/m1", {}, "", ("GET", "resource", "")),
        ("POST", "/apis/cluster.karmada.io/v1alpha1/clusters", {}, "application/json", ("POST", "resource", "")),
        ("PUT", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/status", {}, "application/json", ("PUT", "resource", "status")),
        ("PATCH", "/apis/cluster.karmada.io/v1alpha1/clusters/m1", {}, "application/apply-patch+yaml", ("APPLY", "resource", "")),
        ("DELETE", "/apis/cluster.karmada.io/v1alpha1/clusters", {}, "", ("DELETECOLLECTION", "cluster", "")),
        ("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy/api/v1/pods", {}, "", ("CONNECT", "resource", "proxy")),
    ],
)
def test_request_metric_labels_as_kube_apiserver(method: str, path: str, query: dict, content_type: str, labels: tuple) -> None:
    verb, scope, sub = labels
    got = metric_labels(request_info(method, path, query), content_type, [], "apiserver")
    assert got == (verb, "", "cluster.karmada.io", "v1alpha1", "clusters", sub, scope, "apiserver")
    assert metric_labels(request_info(method, path, query), content_type, ["All"], "apiserver")[1] == "All"
