"""Dependencies (behaviour.md 8): what the native interpreter finds in a template, and the attached
bindings the distributor keeps for them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from pykarmada.controllers.dependencies.dependencies_distributor import ATTACHED_BY_LABEL, DependenciesDistributor, dependencies_json, recorded_dependencies
from pykarmada.karmada import constants as C
from pykarmada.karmada import dependencies as D
from pykarmada.kube.informer import Informer


def ref(kind: str, name: str, namespace: str = "ns") -> dict[str, str]:
    return {"apiVersion": "v1", "kind": kind, "namespace": namespace, "name": name}


POD_SPEC: dict[str, Any] = {
    "serviceAccountName": "runner",
    "imagePullSecrets": [{"name": "pull"}],
    "volumes": [
        {"name": "a", "configMap": {"name": "cm-volume"}},
        {"name": "b", "projected": {"sources": [{"configMap": {"name": "cm-projected"}}, {"secret": {"name": "sec-projected"}}]}},
        {"name": "c", "secret": {"secretName": "sec-volume"}},
        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "e", "csi": {"driver": "x", "nodePublishSecretRef": {"name": "sec-csi"}}},
        {"name": "f", "azureFile": {"secretName": "sec-azure", "shareName": "s"}},
        {"name": "g", "rbd": {"monitors": [], "image": "i", "secretRef": {"name": "sec-rbd"}}},
    ],
    "initContainers": [{"name": "init", "envFrom": [{"configMapRef": {"name": "cm-init"}}]}],
    "containers": [
        {"name": "app", "envFrom": [{"secretRef": {"name": "sec-envfrom"}}], "env": [
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-env", "key": "k"}}},
            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "sec-env", "key": "k"}}},
            {"name": "C", "value": "plain"},
        ]},
    ],
}


def test_pod_dependencies_cover_every_reference_sorted_per_kind() -> None:
    assert D.pod_dependencies(POD_SPEC, "ns") == [
        ref("ConfigMap", "cm-env"), ref("ConfigMap", "cm-init"), ref("ConfigMap", "cm-projected"), ref("ConfigMap", "cm-volume"),
        ref("Secret", "pull"), ref("Secret", "sec-azure"), ref("Secret", "sec-csi"), ref("Secret", "sec-env"), ref("Secret", "sec-envfrom"),
        ref("Secret", "sec-projected"), ref("Secret", "sec-rbd"), ref("Secret", "sec-volume"),
        ref("ServiceAccount", "runner"),
        ref("PersistentVolumeClaim", "data"),
    ]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"serviceAccountName": "default", "containers": []}}}}, []),
        ({"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "cron"}}}}}}, [ref("ServiceAccount", "cron")]),
        ({"apiVersion": "v1", "kind": "Pod", "spec": {"imagePullSecrets": [{"name": "p"}]}}, [ref("Secret", "p")]),
        (
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {
                "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                "template": {"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}, {"name": "o", "persistentVolumeClaim": {"claimName": "other"}}]}}}},
            [ref("PersistentVolumeClaim", "other")],
        ),
        ({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "spec": {"tls": [{"secretName": "tls-a"}, {"secretName": "tls-b"}]}}, [ref("Secret", "tls-a"), ref("Secret", "tls-b")]),
        (
            {"apiVersion": C.SERVICE_IMPORT_API_VERSION, "kind": "ServiceImport", "metadata": {"name": "svc", "namespace": "ns"}},
            [ref("Service", "derived-svc"), {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "namespace": "ns", "labelSelector": {"matchLabels": {"kubernetes.io/service-name": "derived-svc"}}}],
        ),
    ],
    ids=["default-service-account-ignored", "cronjob", "pod", "statefulset-claim-templates-excluded", "ingress-tls", "service-import"],
)
def test_dependencies_per_kind(obj: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    obj.setdefault("metadata", {"name": "w", "namespace": "ns"})
    assert D.get_dependencies(obj) == expected


def test_kinds_without_dependency_interpreter() -> None:
    assert D.get_dependencies({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}) is None


def independent(clusters: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "nginx-deployment", "namespace": "ns", "labels": {C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "rb-1"}},
        "spec": {"clusters": clusters, "propagateDeps": True, **spec},
    }


def test_attached_binding() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "namespace": "ns", "uid": "cm-uid", "resourceVersion": "4"}}
    attached = D.build_attached_binding(independent([{"name": "m1", "replicas": 2}], conflictResolution="Overwrite"), cm)
    meta, spec = attached["metadata"], attached["spec"]
    assert (meta["name"], meta["namespace"]) == ("conf-configmap", "ns")
    assert meta["labels"] == {D.depended_by_label("ns", "nginx-deployment"): "rb-1"}
    assert meta["ownerReferences"][0]["uid"] == "cm-uid" and meta["finalizers"] == [C.BINDING_CONTROLLER_FINALIZER]
    assert spec["requiredBy"] == [{"namespace": "ns", "name": "nginx-deployment", "clusters": [{"name": "m1", "replicas": 2}]}]
    assert spec["resource"] == {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "ns", "name": "conf", "uid": "cm-uid", "resourceVersion": "4"}
    assert spec["conflictResolution"] == "Overwrite" and "placement" not in spec
    assert D.depended_by_label("ns", "nginx-deployment").startswith(C.RESOURCE_BINDING_DEPENDED_BY_LABEL_PREFIX)


def test_snapshots_merge_and_remove() -> None:
    existing = [{"namespace": "ns", "name": "a", "clusters": [{"name": "m1"}]}, {"namespace": "ns", "name": "b", "clusters": []}]
    merged = D.merge_snapshots(existing, [{"namespace": "ns", "name": "a", "clusters": [{"name": "m2"}]}, {"namespace": "ns", "name": "c", "clusters": [{"name": "m3"}]}])
    assert merged == [{"namespace": "ns", "name": "a", "clusters": [{"name": "m2"}]}, {"namespace": "ns", "name": "b", "clusters": []}, {"namespace": "ns", "name": "c", "clusters": [{"name": "m3"}]}]
    assert [s["name"] for s in D.remove_snapshot(merged, "ns", "a")] == ["b", "c"]
    assert existing[0]["clusters"] == [{"name": "m1"}]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        ([{}], ("Abort", False, [])),
        ([{"conflictResolution": "Overwrite", "preserveResourcesOnDeletion": True}], ("Overwrite", True, [])),
        ([{"conflictResolution": "Overwrite"}, {"conflictResolution": "Abort"}], ("Overwrite", False, ["ConflictResolution conflicted (Overwrite vs Abort)"])),
        ([{"preserveResourcesOnDeletion": True}, {}], ("Abort", True, ["PreserveResourcesOnDeletion conflicted (true vs false)"])),
    ],
    ids=["defaults", "one-referrer", "cr-conflict-overwrite-wins", "preserve-conflict-true-wins"],
)
def test_attached_policy_resolution(specs: list[dict[str, Any]], expected: tuple[str, bool, list[str]]) -> None:
    assert D.resolve_attached_policy({"spec": s} for s in specs) == expected


@pytest.mark.parametrize(
    ("dependency", "labels", "matches"),
    [
        (ref("ConfigMap", "conf"), {}, True),
        (ref("ConfigMap", "other"), {}, False),
        (ref("Secret", "conf"), {}, False),
        ({"apiVersion": "v1", "kind": "ConfigMap", "namespace": "ns", "labelSelector": {"matchLabels": {"a": "b"}}}, {"a": "b"}, True),
        ({"apiVersion": "v1", "kind": "ConfigMap", "namespace": "ns", "labelSelector": {"matchLabels": {"a": "b"}}}, {"a": "c"}, False),
        ({**ref("ConfigMap", "conf"), "namespace": "elsewhere"}, {}, False),
    ],
    ids=["by-name", "other-name", "other-kind", "selector-match", "selector-mismatch", "other-namespace"],
)
def test_dependency_matches(dependency: dict[str, Any], labels: dict[str, str], matches: bool) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "namespace": "ns", "labels": labels}}
    assert D.dependency_matches(dependency, obj) is matches


def test_dependencies_annotation_round_trip() -> None:
    deps = [ref("ConfigMap", "conf"), {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "namespace": "ns", "labelSelector": {"matchLabels": {"x": "y"}}}]
    text = dependencies_json(deps)
    assert text == '[{"apiVersion":"v1","kind":"ConfigMap","namespace":"ns","name":"conf"},{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","namespace":"ns","labelSelector":{"matchLabels":{"x":"y"}}}]'
    binding = {"metadata": {"annotations": {C.DEPENDENCIES_ANNOTATION: text}}}
    assert recorded_dependencies(binding) == json.loads(text)
    assert recorded_dependencies({"metadata": {"annotations": {C.DEPENDENCIES_ANNOTATION: "not json"}}}) == []


def test_detach_finds_a_bindings_attached_bindings_through_the_index() -> None:
    label = D.depended_by_label("ns", "app-deployment")

    def binding(name: str, labels: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"namespace": "ns", "name": name, "labels": labels}, "spec": {"requiredBy": [{"namespace": "ns", "name": "app-deployment"}]}}

    class Recording:
        def __init__(self) -> None:
            self.replaced: list[str] = []

        async def replace(self, path: str, _obj: dict[str, Any]) -> dict[str, Any]:
            self.replaced.append(path.rsplit("/", 1)[1])
            return _obj

    client = Recording()
    bindings = Informer(None, "/apis/work.karmada.io/v1alpha2/resourcebindings")  # type: ignore[arg-type]  # no I/O
    distributor = DependenciesDistributor(client, bindings, None)  # type: ignore[arg-type]
    bindings.add_handler(distributor.on_binding(lambda _key: None))
    independent = {"metadata": {"namespace": "ns", "name": "app-deployment", "labels": {C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "bid"}}, "spec": {}}
    bindings._replace([independent, binding("app-configmap", {label: "bid"}), binding("other-configmap", {label: "someone-else"}), binding("plain", {})])
    asyncio.run(distributor._detach(independent, keep=lambda _b: False))
    assert client.replaced == ["app-configmap"]
    bindings._replace([independent, binding("other-configmap", {label: "someone-else"}), binding("plain", {})])
    assert [b["metadata"]["name"] for b in bindings.by_index(ATTACHED_BY_LABEL, ("ns", label))] == ["other-configmap"]
