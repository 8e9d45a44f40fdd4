"""What a manifest loses on its way into a Work, and the keys Karmada records as its own.

``prune_manifest`` drops what the member cluster sets itself (server-populated metadata, status,
and per-kind fields such as a Service's clusterIP); ``record_managed_keys`` stamps the Work's
permanent id and the ``managed-annotations``/``managed-labels`` lists. The Work mutating webhook
runs both, and controllers compare Works after this mutation, so both must stay deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pykarmada.karmada import constants as c

SERVER_METADATA = (
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
    "resourceVersion",
    "selfLink",
    "uid",
    "ownerReferences",
    "finalizers",
)
DEPLOYMENT_REVISION_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deployment.kubernetes.io/revision-history")
JOB_SELECTOR_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
JOB_TEMPLATE_LABELS = ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name")
SERVICE_ACCOUNT_UID_ANNOTATION = "kubernetes.io/service-account.uid"
SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node"

Manifest = dict[str, Any]


def _dict_at(obj: Manifest, *keys: str) -> dict[str, Any] | None:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None  # type: ignore[assignment]
    return obj if isinstance(obj, dict) else None


def _drop_keys(mapping: dict[str, Any] | None, keys: tuple[str, ...]) -> None:
    if mapping is not None:
        for key in keys:
            mapping.pop(key, None)


def _prune_deployment(m: Manifest) -> None:
    _drop_keys(_dict_at(m, "metadata", "annotations"), DEPLOYMENT_REVISION_ANNOTATIONS)


def _prune_job(m: Manifest) -> None:
    spec = _dict_at(m, "spec") or {}
    spec.pop("ttlSecondsAfterFinished", None)
    if spec.get("manualSelector") is not True:
        _drop_keys(_dict_at(m, "spec", "selector", "matchLabels"), JOB_SELECTOR_LABELS)
        _drop_keys(_dict_at(m, "spec", "template", "metadata", "labels"), JOB_TEMPLATE_LABELS)


def _prune_service(m: Manifest) -> None:
    spec = _dict_at(m, "spec")
    if spec is not None and "clusterIP" in spec and spec["clusterIP"] != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)


def _prune_service_account(m: Manifest) -> None:
    secrets = m.get("secrets")
    if isinstance(secrets, list) and secrets:
        prefix = f"{(_dict_at(m, 'metadata') or {}).get('name', '')}-token-"
        m["secrets"] = [s for s in secrets if not (isinstance(s, dict) and str(s.get("name", "")).startswith(prefix))]


def _prune_secret(m: Manifest) -> None:
    if m.get("type") == "kubernetes.io/service-account-token":
        _drop_keys(_dict_at(m, "metadata", "annotations"), (SERVICE_ACCOUNT_UID_ANNOTATION,))
        m["data"] = None


def _prune_pvc(m: Manifest) -> None:
    annotations = _dict_at(m, "metadata", "annotations")
    if annotations and annotations.get(SELECTED_NODE_ANNOTATION):
        annotations.pop(SELECTED_NODE_ANNOTATION)


KIND_PRUNERS: dict[str, Callable[[Manifest], None]] = {
    "Deployment": _prune_deployment,
    "Job": _prune_job,
    "Service": _prune_service,
    "ServiceAccount": _prune_service_account,
    "Secret": _prune_secret,
    "PersistentVolumeClaim": _prune_pvc,
}


def prune_manifest(manifest: Manifest) -> None:
    """Remove, in place, what the member cluster populates itself."""
    metadata = _dict_at(manifest, "metadata")
    _drop_keys(metadata, SERVER_METADATA)
    manifest.pop("status", None)
    pruner = KIND_PRUNERS.get(str(manifest.get("kind", "")))
    if pruner is not None:
        pruner(manifest)


def record_managed_keys(manifest: Manifest, work_permanent_id: str) -> None:
    """Add the Work's permanent-id label and the sorted, comma-joined lists of the annotation keys
    (including both list annotations) and label keys Karmada manages on the member object."""
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict):
        metadata = manifest["metadata"] = {}
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    keys = {c.MANAGED_ANNOTATIONS_ANNOTATION, c.MANAGED_LABELS_ANNOTATION, *annotations}
    annotations[c.MANAGED_ANNOTATIONS_ANNOTATION] = ",".join(sorted(keys))
    labels = metadata.get("labels")
    if not isinstance(labels, dict):
        labels = None
    if work_permanent_id:
        labels = labels if labels is not None else {}
        labels[c.WORK_PERMANENT_ID_LABEL] = work_permanent_id
        metadata["labels"] = labels
    annotations[c.MANAGED_LABELS_ANNOTATION] = ",".join(sorted(labels or {}))
    metadata["annotations"] = annotations
