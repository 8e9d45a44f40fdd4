"""The committed CRDs are what pykarmada/karmada/crds.py builds, and their schemas are structural."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.karmada.crds import CRDS, build_crd, crd_file_name, typed_schema
from pykarmada.karmada.fielderrors import FieldPath
from pykarmada.karmada.openapi import check_types

ROOT = Path(__file__).resolve().parents[3]


def test_committed_crds_are_generated() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "hack" / "gen_crds.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("kind", "short", "scope", "version", "status"),
    [
        ("PropagationPolicy", "pp", "Namespaced", "v1alpha1", False),
        ("ClusterPropagationPolicy", "cpp", "Cluster", "v1alpha1", False),
        ("OverridePolicy", "op", "Namespaced", "v1alpha1", False),
        ("ClusterOverridePolicy", "cop", "Cluster", "v1alpha1", False),
        ("ResourceBinding", "rb", "Namespaced", "v1alpha2", True),
        ("ClusterResourceBinding", "crb", "Cluster", "v1alpha2", True),
        ("Work", "wk", "Namespaced", "v1alpha1", True),
    ],
    ids=lambda v: str(v),
)
def test_crd_names(kind: str, short: str, scope: str, version: str, status: bool) -> None:
    d = next(d for d in CRDS if d.kind == kind)
    crd = yaml.safe_load((ROOT / "manifests" / "crds" / crd_file_name(d)).read_text())
    assert crd["spec"]["names"]["shortNames"] == [short]
    assert crd["spec"]["names"]["categories"] == ["karmada-io"]
    assert crd["spec"]["scope"] == scope
    assert [v["name"] for v in crd["spec"]["versions"]] == [version]
    assert ("subresources" in crd["spec"]["versions"][0]) is status


def _walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    nodes = [(path, schema)]
    for key, sub in (schema.get("properties") or {}).items():
        nodes += _walk(sub, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        nodes += _walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        nodes += _walk(schema["additionalProperties"], f"{path}{{}}")
    return nodes


@pytest.mark.parametrize("d", CRDS, ids=lambda d: d.kind)
def test_schemas_are_structural(d: Any) -> None:
    schema = build_crd(d)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in _walk(schema):
        typed = "type" in node or node.get("x-kubernetes-preserve-unknown-fields") or node.get("x-kubernetes-int-or-string")
        assert typed, f"{d.kind}{path} has no type"
        assert not ("properties" in node and "additionalProperties" in node), path
    preserved = [p for p, n in _walk(schema) if n.get("x-kubernetes-preserve-unknown-fields")]
    allowed = ("value", "manifests[]", "status", ".status.aggregatedStatus[].status", ".status.manifestStatuses[].status")
    assert all(p.endswith(allowed) for p in preserved), preserved


def test_defaults_are_declared() -> None:
    spec = build_crd(CRDS[0])["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert (spec["priority"]["default"], spec["preemption"]["default"]) == (0, "Never")
    assert (spec["schedulerName"]["default"], spec["conflictResolution"]["default"]) == ("default-scheduler", "Abort")
    rs = spec["placement"]["properties"]["replicaScheduling"]["properties"]["replicaSchedulingType"]
    assert rs["default"] == "Divided" and rs["enum"] == ["Duplicated", "Divided"]
    app = spec["failover"]["properties"]["application"]["properties"]
    assert app["purgeMode"]["default"] == "Gracefully"
    assert app["decisionConditions"]["properties"]["tolerationSeconds"]["default"] == 300
    assert spec["failover"]["properties"]["cluster"]["properties"]["purgeMode"]["default"] == "Gracefully"
    assert "exclude" in spec["placement"]["properties"]["clusterAffinity"]["properties"]


TYPE_CASES = [
    pytest.param({"spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "Pod"}], "priority": 1.0}}, [], id="integral-float"),
    pytest.param({"spec": {"resourceSelectors": "x"}}, ["spec.resourceSelectors"], id="string-for-array"),
    pytest.param({"spec": {"priority": True}}, ["spec.priority"], id="bool-for-integer"),
    pytest.param({"metadata": {"labels": {"a": 1}}}, ["metadata.labels[a]"], id="label-not-string"),
    pytest.param({"spec": {"placement": None}}, [], id="null-accepted"),
    pytest.param({"spec": {"unknown": {"x": 1}}}, [], id="unknown-fields-ignored"),
]


@pytest.mark.parametrize(("obj", "want"), TYPE_CASES)
def test_check_types(obj: dict[str, Any], want: list[str]) -> None:
    assert [e.field for e in check_types(obj, typed_schema("PropagationPolicy"), FieldPath())] == want


def test_work_manifests_are_free_form() -> None:
    work = {"spec": {"workload": {"manifests": [{"anything": [1, "two", {"x": None}]}]}}}
    assert check_types(work, typed_schema("Work"), FieldPath()) == []
