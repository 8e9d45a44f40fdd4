"""What a template depends on (behaviour.md 8 step 1): the native dependency interpreter, and the
attached-binding rules of the dependencies distributor (labels, requiredBy snapshots, the
conflictResolution/preserve decision), as pure functions.

Dependencies are ``{apiVersion, kind, namespace, name}`` or, instead of a name, a
``labelSelector``. Within each kind names are sorted (upstream walks Go sets, in random order).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.names import binding_name, binding_reference_key, derived_service_name
from pykarmada.karmada.propagation import owner_reference, resource_reference
from pykarmada.karmada.selectors import label_selector_matches

Obj = dict[str, Any]

__all__ = [
    "has_dependency_interpreter",
    "get_dependencies",
    "pod_dependencies",
    "depended_by_label",
    "dependency_matches",
    "build_attached_binding",
    "merge_snapshots",
    "remove_snapshot",
    "resolve_attached_policy",
]

_POD_TEMPLATE_KINDS = {("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet"), ("batch/v1", "Job")}
_SECRET_VOLUME_SOURCES = ("azureFile", "cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos")


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj.get("apiVersion") or "", obj.get("kind") or ""


def has_dependency_interpreter(obj: Mapping[str, Any]) -> bool:
    key = _key(obj)
    return key in _POD_TEMPLATE_KINDS or key in {
        ("batch/v1", "CronJob"),
        ("v1", "Pod"),
        ("networking.k8s.io/v1", "Ingress"),
        (C.SERVICE_IMPORT_API_VERSION, C.SERVICE_IMPORT_KIND),
    }


def _containers(pod_spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod_spec.get(key) or ()


def _config_maps(pod_spec: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    for volume in pod_spec.get("volumes") or ():
        if volume.get("configMap"):
            names.add(volume["configMap"].get("name") or "")
        for source in (volume.get("projected") or {}).get("sources") or ():
            if source.get("configMap"):
                names.add(source["configMap"].get("name") or "")
    for container in _containers(pod_spec):
        for env_from in container.get("envFrom") or ():
            if env_from.get("configMapRef"):
                names.add(env_from["configMapRef"].get("name") or "")
        for env in container.get("env") or ():
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                names.add(ref.get("name") or "")
    return names


def _secrets(pod_spec: Mapping[str, Any]) -> set[str]:
    names = {s.get("name") or "" for s in pod_spec.get("imagePullSecrets") or ()}
    for volume in pod_spec.get("volumes") or ():
        if volume.get("secret"):
            names.add(volume["secret"].get("secretName") or "")
        for source in (volume.get("projected") or {}).get("sources") or ():
            if source.get("secret"):
                names.add(source["secret"].get("name") or "")
        for kind in _SECRET_VOLUME_SOURCES:
            source = volume.get(kind)
            if source:
                name = source.get("secretName") if kind == "azureFile" else (source.get("secretRef") or {}).get("name")
                names.add(name or "")
        csi = volume.get("csi")
        if csi and csi.get("nodePublishSecretRef"):
            names.add(csi["nodePublishSecretRef"].get("name") or "")
    for container in _containers(pod_spec):
        for env_from in container.get("envFrom") or ():
            if env_from.get("secretRef"):
                names.add(env_from["secretRef"].get("name") or "")
        for env in container.get("env") or ():
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                names.add(ref.get("name") or "")
    return names


def _ref(kind: str, namespace: str, name: str, api_version: str = "v1") -> Obj:
    return {"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name}


def pod_dependencies(pod_spec: Mapping[str, Any], namespace: str) -> list[Obj]:
    """ConfigMaps, Secrets, the ServiceAccount (unless ``default``) and PVCs of a pod spec."""
    sa = pod_spec.get("serviceAccountName") or ""
    pvcs = {(v.get("persistentVolumeClaim") or {}).get("claimName") or "" for v in pod_spec.get("volumes") or () if v.get("persistentVolumeClaim")}
    groups = (
        ("ConfigMap", _config_maps(pod_spec)),
        ("Secret", _secrets(pod_spec)),
        ("ServiceAccount", {sa} if sa and sa != "default" else set()),
        ("PersistentVolumeClaim", pvcs),
    )
    return [_ref(kind, namespace, name) for kind, names in groups for name in sorted(names) if name]


def get_dependencies(obj: Mapping[str, Any]) -> list[Obj] | None:
    """The native dependency interpreter; None for kinds without one."""
    key = _key(obj)
    spec = obj.get("spec") or {}
    namespace = (obj.get("metadata") or {}).get("namespace") or ""
    if key in _POD_TEMPLATE_KINDS:
        deps = pod_dependencies(((spec.get("template") or {}).get("spec")) or {}, namespace)
        if key == ("apps/v1", "StatefulSet"):
            claims = {(t.get("metadata") or {}).get("name") for t in spec.get("volumeClaimTemplates") or ()}
            deps = [d for d in deps if not (d["kind"] == "PersistentVolumeClaim" and d["name"] in claims)]
        return deps
    if key == ("batch/v1", "CronJob"):
        job_spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        return pod_dependencies(((job_spec.get("template") or {}).get("spec")) or {}, namespace)
    if key == ("v1", "Pod"):
        return pod_dependencies(spec, namespace)
    if key == ("networking.k8s.io/v1", "Ingress"):
        return [_ref("Secret", namespace, tls.get("secretName") or "") for tls in spec.get("tls") or ()]
    if key == (C.SERVICE_IMPORT_API_VERSION, C.SERVICE_IMPORT_KIND):
        derived = derived_service_name((obj.get("metadata") or {}).get("name") or "")
        return [
            _ref("Service", namespace, derived),
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "namespace": namespace,
                "labelSelector": {"matchLabels": {"kubernetes.io/service-name": derived}},
            },
        ]
    return None


# ---------------------------------------------------------------------------------------------
# Attached bindings


def depended_by_label(binding_namespace: str, binding_name_: str) -> str:
    return C.RESOURCE_BINDING_DEPENDED_BY_LABEL_PREFIX + binding_reference_key(binding_namespace, binding_name_)


def dependency_matches(dependency: Mapping[str, Any], obj: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> bool:
    """Does a dependency entry (by name or label selector) select this object?"""
    meta = obj.get("metadata") or {}
    if (dependency.get("apiVersion"), dependency.get("kind"), dependency.get("namespace") or "") != (
        obj.get("apiVersion"),
        obj.get("kind"),
        meta.get("namespace") or "",
    ):
        return False
    if dependency.get("name"):
        return dependency["name"] == meta.get("name")
    selector = dependency.get("labelSelector")
    return selector is not None and label_selector_matches(selector, meta.get("labels") if labels is None else labels)


def build_attached_binding(independent: Mapping[str, Any], dependent: Mapping[str, Any]) -> Obj:
    """The attached RB for one dependent object, required by ``independent``."""
    imeta, ispec = independent.get("metadata") or {}, independent.get("spec") or {}
    dmeta = dependent.get("metadata") or {}
    snapshot = {"namespace": imeta.get("namespace"), "name": imeta.get("name"), "clusters": copy.deepcopy(ispec.get("clusters") or [])}
    spec: Obj = {"resource": resource_reference(dependent), "requiredBy": [snapshot]}
    if ispec.get("preserveResourcesOnDeletion") is not None:
        spec["preserveResourcesOnDeletion"] = ispec["preserveResourcesOnDeletion"]
    if ispec.get("conflictResolution"):
        spec["conflictResolution"] = ispec["conflictResolution"]
    independent_id = ((imeta.get("labels") or {}).get(C.RESOURCE_BINDING_PERMANENT_ID_LABEL)) or ""
    return {
        "apiVersion": C.WORK_V1ALPHA2,
        "kind": C.KIND_RESOURCE_BINDING,
        "metadata": {
            "name": binding_name(dependent.get("kind") or "", dmeta.get("name") or ""),
            "namespace": imeta.get("namespace"),
            "ownerReferences": [owner_reference(dependent)],
            "labels": {depended_by_label(imeta.get("namespace") or "", imeta.get("name") or ""): independent_id},
            "finalizers": [C.BINDING_CONTROLLER_FINALIZER],
        },
        "spec": spec,
    }


def merge_snapshots(existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[Obj]:
    """Existing ``requiredBy`` entries, with the clusters of matching entries replaced and new
    entries appended."""
    out = [copy.deepcopy(dict(s)) for s in existing]
    for snap in new:
        match = [s for s in out if s.get("namespace") == snap.get("namespace") and s.get("name") == snap.get("name")]
        for s in match:
            s["clusters"] = copy.deepcopy(snap.get("clusters") or [])
        if not match:
            out.append(copy.deepcopy(dict(snap)))
    return out


def remove_snapshot(existing: Sequence[Mapping[str, Any]], namespace: str, name: str) -> list[Obj]:
    return [copy.deepcopy(dict(s)) for s in existing if not (s.get("namespace") == namespace and s.get("name") == name)]


def resolve_attached_policy(referencing: Iterable[Mapping[str, Any]]) -> tuple[str, bool, list[str]]:
    """conflictResolution (Overwrite if any referencing binding says so), preserve (true if any
    says so), and the conflicts to warn about."""
    referencing = list(referencing)
    resolutions = {(b.get("spec") or {}).get("conflictResolution") or C.CONFLICT_RESOLUTION_POLICY_ABORT for b in referencing}
    preserves = {bool((b.get("spec") or {}).get("preserveResourcesOnDeletion")) for b in referencing}
    conflicts = []
    if len(resolutions) > 1:
        conflicts.append("ConflictResolution conflicted (Overwrite vs Abort)")
    if len(preserves) > 1:
        conflicts.append("PreserveResourcesOnDeletion conflicted (true vs false)")
    effective = C.CONFLICT_RESOLUTION_POLICY_OVERWRITE if C.CONFLICT_RESOLUTION_POLICY_OVERWRITE in resolutions else C.CONFLICT_RESOLUTION_POLICY_ABORT
    return effective, True in preserves, conflicts
