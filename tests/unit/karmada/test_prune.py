"""Manifest pruning and managed-key recording of karmada/prune.py."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.karmada import constants as c
from pykarmada.karmada.prune import prune_manifest, record_managed_keys

SERVER_META = {
    "creationTimestamp": "2024-01-01T00:00:00Z", "generation": 3, "resourceVersion": "9", "uid": "u", "selfLink": "/x",
    "managedFields": [{}], "ownerReferences": [{}], "finalizers": ["f"], "deletionTimestamp": "t", "deletionGracePeriodSeconds": 30,
}

CASES = [
    pytest.param(
        {"kind": "ConfigMap", "metadata": {"name": "c", **SERVER_META}, "status": {"x": 1}, "data": {"a": "b"}},
        {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}},
        id="server-metadata-and-status",
    ),
    pytest.param(
        {"kind": "Deployment", "metadata": {"name": "d", "annotations": {"deployment.kubernetes.io/revision": "2", "keep": "1"}}},
        {"kind": "Deployment", "metadata": {"name": "d", "annotations": {"keep": "1"}}},
        id="deployment-revision",
    ),
    pytest.param(
        {"kind": "Job", "metadata": {"name": "j"}, "spec": {"ttlSecondsAfterFinished": 10,
         "selector": {"matchLabels": {"controller-uid": "u", "batch.kubernetes.io/controller-uid": "u"}},
         "template": {"metadata": {"labels": {"job-name": "j", "batch.kubernetes.io/job-name": "j", "controller-uid": "u", "app": "a"}}}}},
        {"kind": "Job", "metadata": {"name": "j"}, "spec": {"selector": {"matchLabels": {}}, "template": {"metadata": {"labels": {"app": "a"}}}}},
        id="job-generated-selector",
    ),
    pytest.param(
        {"kind": "Job", "metadata": {"name": "j"}, "spec": {"manualSelector": True, "selector": {"matchLabels": {"controller-uid": "u"}}}},
        {"kind": "Job", "metadata": {"name": "j"}, "spec": {"manualSelector": True, "selector": {"matchLabels": {"controller-uid": "u"}}}},
        id="job-manual-selector",
    ),
    pytest.param(
        {"kind": "Service", "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": []}},
        {"kind": "Service", "spec": {"ports": []}},
        id="service-cluster-ip",
    ),
    pytest.param(
        {"kind": "Service", "spec": {"clusterIP": "None", "clusterIPs": ["None"]}},
        {"kind": "Service", "spec": {"clusterIP": "None", "clusterIPs": ["None"]}},
        id="headless-service",
    ),
    pytest.param(
        {"kind": "ServiceAccount", "metadata": {"name": "sa"}, "secrets": [{"name": "sa-token-abc"}, {"name": "sa-token-def"}, {"name": "other"}]},
        {"kind": "ServiceAccount", "metadata": {"name": "sa"}, "secrets": [{"name": "other"}]},
        id="service-account-tokens",
    ),
    pytest.param(
        {"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"annotations": {"kubernetes.io/service-account.uid": "u"}}, "data": {"token": "x"}},
        {"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"annotations": {}}, "data": None},
        id="service-account-token-secret",
    ),
    pytest.param(
        {"kind": "PersistentVolumeClaim", "metadata": {"annotations": {"volume.kubernetes.io/selected-node": "n1"}}},
        {"kind": "PersistentVolumeClaim", "metadata": {"annotations": {}}},
        id="pvc-selected-node",
    ),
]


@pytest.mark.parametrize(("manifest", "want"), CASES)
def test_prune_manifest(manifest: dict[str, Any], want: dict[str, Any]) -> None:
    prune_manifest(manifest)
    assert manifest == want


def test_record_managed_keys_sorts_and_includes_itself() -> None:
    manifest: dict[str, Any] = {"metadata": {"labels": {"b": "1", "a": "2"}, "annotations": {"z": "1", "m": "2"}}}
    record_managed_keys(manifest, "wid")
    annotations = manifest["metadata"]["annotations"]
    assert annotations[c.MANAGED_ANNOTATIONS_ANNOTATION] == (
        f"m,{c.MANAGED_ANNOTATIONS_ANNOTATION},{c.MANAGED_LABELS_ANNOTATION},z"
    )
    assert annotations[c.MANAGED_LABELS_ANNOTATION] == f"a,b,{c.WORK_PERMANENT_ID_LABEL}"


def test_record_managed_keys_without_labels_or_id() -> None:
    manifest: dict[str, Any] = {"kind": "ConfigMap"}
    record_managed_keys(manifest, "")
    assert manifest["metadata"] == {
        "annotations": {
            c.MANAGED_ANNOTATIONS_ANNOTATION: f"{c.MANAGED_ANNOTATIONS_ANNOTATION},{c.MANAGED_LABELS_ANNOTATION}",
            c.MANAGED_LABELS_ANNOTATION: "",
        }
    }
