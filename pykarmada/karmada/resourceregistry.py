"""The rules of ResourceRegistry (search.karmada.io/v1alpha1): validation with field paths and
which (cluster, kind, namespaces) a set of registries asks to cache."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from pykarmada.karmada.cluster import ClusterStrategy
from pykarmada.karmada.selectors import cluster_matches
from pykarmada.kube.status import FieldError
from pykarmada.kube.validation import dns1123_label, dns1123_subdomain

Obj = dict[str, Any]
GROUP, VERSION, KIND, RESOURCE = "search.karmada.io", "v1alpha1", "ResourceRegistry", "resourceregistries"
FIELD_KEYS = ("provider", "region", "zone")
FIELD_OPERATORS = ("In", "NotIn")


class ResourceRegistryStrategy:
    # Errors name "resourceRegistries.search.karmada.io", as upstream's storage does.
    group, version, kind, resource = GROUP, VERSION, KIND, "resourceRegistries"

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {}
        obj["metadata"]["generation"] = 1

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        new["status"] = copy.deepcopy(old.get("status") or {})
        generation = int(old["metadata"].get("generation", 1))
        new["metadata"]["generation"] = generation + 1 if new.get("spec") != old.get("spec") else generation

    # Status-only writes and the supported field selectors are the Cluster's rules.
    prepare_for_status_update = ClusterStrategy.prepare_for_status_update
    fields = ClusterStrategy.fields

    def validate(self, obj: Obj) -> list[FieldError]:
        name = obj["metadata"].get("name", "")
        if not name:
            errors = [FieldError("metadata.name", "Required value", "name or generateName is required")]
        else:
            errors = [FieldError("metadata.name", "Invalid value", e, name) for e in dns1123_subdomain(name)]
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return errors + [FieldError("spec", "Required value", "")]
        return errors + validate_spec(spec)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return self.validate(new)


def validate_spec(spec: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    target = spec.get("targetCluster") or {}
    field_selector = target.get("fieldSelector") or {}
    for i, req in enumerate(field_selector.get("matchExpressions") or []):
        path = f"spec.targetCluster.fieldSelector.matchExpressions[{i}]"
        if req.get("key") not in FIELD_KEYS:
            errors.append(FieldError(f"{path}.key", "Unsupported value", 'supported values: "provider", "region", "zone"', req.get("key")))
        if req.get("operator") not in FIELD_OPERATORS:
            errors.append(FieldError(f"{path}.operator", "Unsupported value", 'supported values: "In", "NotIn"', req.get("operator")))
    selectors = spec.get("resourceSelectors")
    if not selectors:
        errors.append(FieldError("spec.resourceSelectors", "Required value", ""))
    for i, sel in enumerate(selectors or []):
        path = f"spec.resourceSelectors[{i}]"
        if not isinstance(sel, dict):
            errors.append(FieldError(path, "Invalid value", "must be an object", str(sel)))
            continue
        api_version, kind = sel.get("apiVersion"), sel.get("kind")
        if not api_version:
            errors.append(FieldError(f"{path}.apiVersion", "Required value", ""))
        elif not _valid_api_version(str(api_version)):
            errors.append(FieldError(f"{path}.apiVersion", "Invalid value", "must be <version> or <group>/<version>", api_version))
        if not kind:
            errors.append(FieldError(f"{path}.kind", "Required value", ""))
        if ns := sel.get("namespace"):
            errors += [FieldError(f"{path}.namespace", "Invalid value", e, ns) for e in dns1123_label(str(ns))]
    open_search = (spec.get("backendStore") or {}).get("openSearch") or {}
    for i, address in enumerate(open_search.get("addresses") or []):
        parts = urlsplit(address) if isinstance(address, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(FieldError(f"spec.backendStore.openSearch.addresses[{i}]", "Invalid value", "must be an http or https URL with a host", address))
    return errors


def _valid_api_version(text: str) -> bool:
    group, _, version = text.rpartition("/")
    if not version or dns1123_label(version):
        return False
    return not group or not dns1123_subdomain(group)


def cluster_ready(cluster: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in (cluster.get("status") or {}).get("conditions") or [])


def api_disabled(cluster: Obj, api_version: str, kind: str) -> bool:
    """The cluster reports its complete API list and the kind is not in it."""
    status = cluster.get("status") or {}
    complete = any(c.get("type") == "CompleteAPIEnablements" and c.get("status") == "True" for c in status.get("conditions") or [])
    if not complete:
        return False
    for enablement in status.get("apiEnablements") or []:
        if enablement.get("groupVersion") == api_version:
            return not any(r.get("kind") == kind for r in enablement.get("resources") or [])
    return True


def desired_caches(registries: list[Obj], clusters: list[Obj]) -> dict[tuple[str, str, str], frozenset[str] | None]:
    """(cluster, apiVersion, kind) -> namespaces to cache (None: all), the union over registries."""
    out: dict[tuple[str, str, str], frozenset[str] | None] = {}
    for registry in registries:
        spec = registry.get("spec") or {}
        for cluster in clusters:
            if not cluster_ready(cluster) or not cluster_matches(cluster, spec.get("targetCluster")):
                continue
            name = cluster["metadata"]["name"]
            for sel in spec.get("resourceSelectors") or []:
                api_version, kind = sel.get("apiVersion", ""), sel.get("kind", "")
                if api_disabled(cluster, api_version, kind):
                    continue
                key = (name, api_version, kind)
                namespace = sel.get("namespace") or ""
                if key in out and out[key] is None:
                    continue
                if not namespace:
                    out[key] = None
                else:
                    out[key] = (out.get(key) or frozenset()) | {namespace}
    return out


def registered_kinds(registries: list[Obj]) -> set[tuple[str, str]]:
    """(apiVersion, kind) named by any registry: answered from the cache even where none is cached."""
    return {(s.get("apiVersion", ""), s.get("kind", "")) for r in registries for s in (r.get("spec") or {}).get("resourceSelectors") or []}
