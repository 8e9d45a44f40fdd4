"""Retention: what of the member's copy survives when Karmada updates it (behaviour.md 4.2), and
the comparison that decides whether an update is needed at all."""

from __future__ import annotations

import copy
from typing import Any

from pykarmada.karmada.constants import MANAGED_ANNOTATIONS_ANNOTATION, MANAGED_LABELS_ANNOTATION, RETAIN_REPLICAS_LABEL
from pykarmada.karmada.prune import SERVER_METADATA, prune_manifest

Obj = dict[str, Any]


def _listed(annotations: dict[str, str], key: str) -> set[str]:
    return {k for k in (annotations.get(key) or "").split(",") if k}


def _keep_map(desired_meta: Obj, observed_meta: Obj, field: str, managed_key: str) -> None:
    """Member keys absent from desired are kept, unless Karmada put them there before."""
    observed = observed_meta.get(field) or {}
    managed = _listed(observed_meta.get("annotations") or {}, managed_key)
    merged = dict(desired_meta.get(field) or {})
    for key, value in observed.items():
        if key not in merged and key not in managed:
            merged[key] = value
    if merged:
        desired_meta[field] = merged


def _merge_named(desired: list[Obj] | None, observed: list[Obj] | None) -> list[Obj]:
    names = {e.get("name") for e in desired or []}
    return list(desired or []) + [e for e in observed or [] if e.get("name") not in names]


def retain(desired: Obj, observed: Obj) -> Obj:
    """The object to write: ``desired`` plus what the member owns in ``observed``."""
    out = copy.deepcopy(desired)
    meta, ometa = out.setdefault("metadata", {}), observed.get("metadata") or {}
    meta["resourceVersion"] = ometa.get("resourceVersion", "")
    for field in ("finalizers", "ownerReferences"):
        if ometa.get(field):
            meta[field] = copy.deepcopy(ometa[field])
    _keep_map(meta, ometa, "labels", MANAGED_LABELS_ANNOTATION)
    _keep_map(meta, ometa, "annotations", MANAGED_ANNOTATIONS_ANNOTATION)
    kind, ospec = out.get("kind"), observed.get("spec") or {}
    # Kinds with spec retention always carry a spec; for others this dict is not written back.
    spec = out["spec"] if isinstance(out.get("spec"), dict) else {}
    if kind == "Deployment" and (meta.get("labels") or {}).get(RETAIN_REPLICAS_LABEL) == "true" and "replicas" in ospec:
        spec["replicas"] = ospec["replicas"]
    elif kind == "Service":
        if ospec.get("clusterIP"):
            spec["clusterIP"] = ospec["clusterIP"]
            if ospec.get("clusterIPs"):
                spec["clusterIPs"] = ospec["clusterIPs"]
        if ospec.get("healthCheckNodePort"):
            spec["healthCheckNodePort"] = ospec["healthCheckNodePort"]
    elif kind == "ServiceAccount":
        for field in ("secrets", "imagePullSecrets"):
            merged = _merge_named(out.get(field), observed.get(field))
            if merged:
                out[field] = merged
    elif kind == "PersistentVolumeClaim" and ospec.get("volumeName"):
        spec["volumeName"] = ospec["volumeName"]
    elif kind == "PersistentVolume" and ospec.get("claimRef"):
        spec["claimRef"] = ospec["claimRef"]
    elif kind == "Job":
        selector = (ospec.get("selector") or {}).get("matchLabels")
        if selector:
            spec.setdefault("selector", {})["matchLabels"] = selector
        tlabels = ((ospec.get("template") or {}).get("metadata") or {}).get("labels")
        if tlabels:
            spec.setdefault("template", {}).setdefault("metadata", {})["labels"] = tlabels
    elif kind == "Secret" and out.get("type") == "kubernetes.io/service-account-token":
        out["data"] = observed.get("data")
    elif kind == "Pod":
        for field in ("nodeName", "serviceAccountName", "volumes"):
            if field in ospec:
                spec[field] = ospec[field]
        for group in ("containers", "initContainers"):
            mounts = {c.get("name"): c.get("volumeMounts") for c in ospec.get(group) or []}
            for c in spec.get(group) or []:
                if mounts.get(c.get("name")) is not None:
                    c["volumeMounts"] = mounts[c["name"]]
    return out


def _equal_but_status(a: Obj, b: Obj) -> bool:
    """Equal outside ``status`` and the server's metadata: then pruning cannot tell them apart."""
    if any(a.get(k) != b.get(k) for k in (a.keys() | b.keys()) - {"status", "metadata"}):
        return False
    ma, mb = a.get("metadata") or {}, b.get("metadata") or {}
    return all(ma.get(k) == mb.get(k) for k in (ma.keys() | mb.keys()).difference(SERVER_METADATA))


def needs_update(desired_with_retention: Obj, observed: Obj) -> bool:
    """Whether writing would change the member's copy, both sides pruned alike. Most calls
    compare two versions of a member object that differ in status only: those copy nothing."""
    if _equal_but_status(desired_with_retention, observed):
        return False
    a, b = copy.deepcopy(desired_with_retention), copy.deepcopy(observed)
    prune_manifest(a)
    prune_manifest(b)
    return a != b
