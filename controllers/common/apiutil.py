"""REST paths of Karmada's objects and small write helpers shared by the propagation controllers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.kube.client import KubeClient, resource_path
from pykarmada.kube.errors import ApiError

Obj = dict[str, Any]


def binding_path(namespace: str, name: str | None = None, *, subresource: str | None = None) -> str:
    """A ResourceBinding (namespace set) or ClusterResourceBinding (namespace empty)."""
    plural = "resourcebindings" if namespace else "clusterresourcebindings"
    return resource_path(C.WORK_V1ALPHA2, plural, namespace=namespace or None, name=name, subresource=subresource)


def work_path(namespace: str, name: str | None = None) -> str:
    return resource_path(C.WORK_V1ALPHA1, "works", namespace=namespace, name=name)


def policy_path(kind: str, namespace: str, name: str) -> str:
    plural = {
        C.KIND_PROPAGATION_POLICY: "propagationpolicies",
        C.KIND_CLUSTER_PROPAGATION_POLICY: "clusterpropagationpolicies",
    }[kind]
    return resource_path(C.POLICY_V1ALPHA1, plural, namespace=namespace or None, name=name)


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new``: maps are diffed key by
    key, a key ``new`` lacks is nulled, anything else is replaced whole. Empty when equal."""
    patch: Obj = {key: None for key in old.keys() - new.keys()}
    for key, value in new.items():
        before = old.get(key)
        if before == value and key in old:
            continue
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            patch[key] = merge_patch(before, value)
        else:
            patch[key] = value
    return patch


def metadata_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj | None:
    """A merge patch turning old's labels and annotations into new's, guarded by old's
    resourceVersion (a concurrent write answers 409); None when nothing differs."""
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    patch: Obj = {}
    for field in ("labels", "annotations"):
        before, after = old_meta.get(field) or {}, new_meta.get(field) or {}
        diff: Obj = {k: None for k in before if k not in after}
        diff.update({k: v for k, v in after.items() if before.get(k) != v})
        if diff:
            patch[field] = diff
    if not patch:
        return None
    patch["resourceVersion"] = old_meta.get("resourceVersion")
    return {"metadata": patch}


def without_finalizer(obj: Mapping[str, Any], finalizer: str) -> Obj | None:
    """A merge patch removing one finalizer (guarded by resourceVersion), or None if absent."""
    meta = obj.get("metadata") or {}
    finalizers = list(meta.get("finalizers") or [])
    if finalizer not in finalizers:
        return None
    return {"metadata": {"resourceVersion": meta.get("resourceVersion"), "finalizers": [f for f in finalizers if f != finalizer]}}


def with_finalizer(obj: Mapping[str, Any], finalizer: str) -> Obj | None:
    meta = obj.get("metadata") or {}
    finalizers = list(meta.get("finalizers") or [])
    if finalizer in finalizers:
        return None
    return {"metadata": {"resourceVersion": meta.get("resourceVersion"), "finalizers": finalizers + [finalizer]}}


async def patch_if_exists(client: KubeClient, path: str, patch: Obj) -> Obj | None:
    """A merge patch; an object already gone (404) is not an error (e.g. a finalizer removal
    that another actor, or our own previous attempt, already finished)."""
    try:
        return await client.patch(path, patch)
    except ApiError as e:
        if e.not_found:
            return None
        raise
