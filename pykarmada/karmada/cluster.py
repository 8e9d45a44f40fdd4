"""The rules of the Cluster resource (cluster.karmada.io/v1alpha1): defaults and normalisation on
every write, validation, and what create, update and the status subresource may change."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from pykarmada.kube.conditions import now_rfc3339
from pykarmada.kube.quantity import parse_quantity
from pykarmada.kube.status import FieldError
from pykarmada.kube.validation import dns1123_label, label_value, qualified_name

Obj = dict[str, Any]

MAX_CLUSTER_NAME = 48  # leaves room for the "karmada-es-" prefix of the execution namespace
MAX_INT64 = "9223372036854775807"
SYNC_MODES = ("Push", "Pull")
TAINT_EFFECTS = ("NoSchedule", "NoExecute")
PROXY_SCHEMES = ("http", "https", "socks5")
_CPU_BOUNDS = ["0", "1", "2", "4", "8", "16", "32", "64", "128", MAX_INT64]
_MEMORY_BOUNDS = ["0", "4Gi", "16Gi", "32Gi", "64Gi", "128Gi", "256Gi", "512Gi", "1024Gi", MAX_INT64]


def default_resource_models() -> list[dict[str, Any]]:
    """The nine grades a new cluster gets when it names no resource models."""
    return [
        {
            "grade": grade,
            "ranges": [
                {"name": "cpu", "min": _CPU_BOUNDS[grade], "max": _CPU_BOUNDS[grade + 1]},
                {"name": "memory", "min": _MEMORY_BOUNDS[grade], "max": _MEMORY_BOUNDS[grade + 1]},
            ],
        }
        for grade in range(9)
    ]


def normalize_spec(spec: dict[str, Any]) -> None:
    """What the server does to every written spec."""
    if spec.get("zone") and not spec.get("zones"):
        spec["zones"] = [spec.pop("zone")]
    elif spec.get("zone") and spec["zone"] in spec.get("zones", []):
        # Re-sent by server-side apply after an earlier write moved it: nothing left to move.
        spec.pop("zone")
    for taint in spec.get("taints") or []:
        if taint.get("effect") == "NoExecute" and not taint.get("timeAdded"):
            taint["timeAdded"] = now_rfc3339()
    models = spec.get("resourceModels")
    if models:
        models.sort(key=lambda m: m.get("grade", 0))
        for r in models[0].get("ranges") or []:
            r["min"] = "0"
        for r in models[-1].get("ranges") or []:
            r["max"] = MAX_INT64


class ClusterStrategy:
    group = "cluster.karmada.io"
    version = "v1alpha1"
    kind = "Cluster"
    resource = "clusters"

    def prepare_for_create(self, obj: Obj) -> None:
        obj.pop("status", None)
        obj["status"] = {}
        obj["metadata"]["generation"] = 1
        spec = obj.setdefault("spec", {})
        if not spec.get("resourceModels"):
            spec["resourceModels"] = default_resource_models()
        normalize_spec(spec)

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        new["status"] = copy.deepcopy(old.get("status") or {})
        spec = new.setdefault("spec", {})
        normalize_spec(spec)
        generation = int(old["metadata"].get("generation", 1))
        new["metadata"]["generation"] = generation + 1 if spec != old.get("spec") else generation

    def prepare_for_status_update(self, new: Obj, old: Obj) -> Obj:
        # Only status is taken from the request (upstream stores the whole object: a quirk we do not copy).
        result = copy.deepcopy(old)
        result["status"] = new.get("status") or {}
        return result

    def fields(self, obj: Obj) -> dict[str, str]:
        return {"metadata.name": obj["metadata"].get("name", ""), "metadata.namespace": ""}

    def validate(self, obj: Obj) -> list[FieldError]:
        errors = validate_name(obj["metadata"].get("name", ""))
        return errors + validate_spec(obj.get("spec") or {})

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return self.validate(new)


def validate_name(name: str) -> list[FieldError]:
    if not name:
        return [FieldError("metadata.name", "Required value", "name or generateName is required")]
    if len(name) > MAX_CLUSTER_NAME:
        return [FieldError("metadata.name", "Invalid value", f"must be no more than {MAX_CLUSTER_NAME} characters", name)]
    return [FieldError("metadata.name", "Invalid value", e, name) for e in dns1123_label(name)]


def _validate_ref(ref: Any, path: str) -> list[FieldError]:
    if ref is None:
        return []
    if not isinstance(ref, dict):
        return [FieldError(path, "Invalid value", "must be an object with namespace and name", str(ref))]
    return [FieldError(f"{path}.{k}", "Required value", "") for k in ("namespace", "name") if not ref.get(k)]


def validate_spec(spec: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    mode = spec.get("syncMode")
    if not mode:
        errors.append(FieldError("spec.syncMode", "Required value", ""))
    elif mode not in SYNC_MODES:
        errors.append(FieldError("spec.syncMode", "Unsupported value", 'supported values: "Push", "Pull"', mode))
    if endpoint := spec.get("apiEndpoint"):
        errors += _validate_url(endpoint, "spec.apiEndpoint")
    errors += _validate_ref(spec.get("secretRef"), "spec.secretRef")
    errors += _validate_ref(spec.get("impersonatorSecretRef"), "spec.impersonatorSecretRef")
    if proxy := spec.get("proxyURL"):
        scheme = urlsplit(proxy).scheme if isinstance(proxy, str) else ""
        if scheme not in PROXY_SCHEMES:
            errors.append(FieldError("spec.proxyURL", "Invalid value", f'unsupported scheme "{scheme}", must be http, https, or socks5', proxy))
    for field in ("provider", "region", "zone"):
        if value := spec.get(field):
            errors += [FieldError(f"spec.{field}", "Invalid value", e, value) for e in label_value(str(value))]
    for i, zone in enumerate(spec.get("zones") or []):
        errors += [FieldError(f"spec.zones[{i}]", "Invalid value", e, zone) for e in label_value(str(zone))]
    if spec.get("zone") and spec.get("zones"):
        errors.append(FieldError("spec.zone", "Forbidden", "zone and zones cannot both be specified"))
    errors += _validate_taints(spec.get("taints") or [])
    errors += _validate_resource_models(spec.get("resourceModels") or [])
    return errors


def _validate_url(value: Any, path: str) -> list[FieldError]:
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is not None:
            parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.hostname:
        return [FieldError(path, "Invalid value", "must be a valid URL with a scheme and a host, e.g. https://10.0.0.1:6443", value)]
    if parts.username or parts.password or parts.fragment or parts.query:
        return [FieldError(path, "Invalid value", "must not contain user info, a query or a fragment", value)]
    return []


def _validate_taints(taints: list[Any]) -> list[FieldError]:
    errors, seen = [], set()
    for i, taint in enumerate(taints):
        path = f"spec.taints[{i}]"
        key, effect = taint.get("key", ""), taint.get("effect", "")
        errors += [FieldError(f"{path}.key", "Invalid value", e, key) for e in qualified_name(key)]
        errors += [FieldError(f"{path}.value", "Invalid value", e, taint.get("value")) for e in label_value(taint.get("value") or "")]
        if not effect:
            errors.append(FieldError(f"{path}.effect", "Required value", ""))
        elif effect not in TAINT_EFFECTS:
            errors.append(FieldError(f"{path}.effect", "Unsupported value", 'supported values: "NoSchedule", "NoExecute"', effect))
        if (key, effect) in seen:
            errors.append(FieldError(f"{path}.effect", "Duplicate value", "taints must be unique by key and effect pair", effect))
        seen.add((key, effect))
    return errors


def _validate_resource_models(models: list[Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    names_of_first: list[str] | None = None
    previous: list[Any] | None = None
    for i, model in enumerate(models):
        path = f"spec.resourceModels[{i}]"
        ranges = model.get("ranges") or []
        names = [r.get("name") for r in ranges]
        if i > 0 and model.get("grade") == models[i - 1].get("grade"):
            errors.append(FieldError(f"{path}.grade", "Invalid value", "grade must not be the same as the previous grade", model.get("grade")))
        if names_of_first is None:
            names_of_first = names
        elif names != names_of_first:
            errors.append(FieldError(f"{path}.ranges", "Invalid value", "every grade must name the same resources in the same order", names))
            continue
        for j, r in enumerate(ranges):
            rpath = f"{path}.ranges[{j}]"
            try:
                low, high = parse_quantity(r.get("min", "0")), parse_quantity(r.get("max", "0"))
            except (ValueError, TypeError) as e:
                errors.append(FieldError(rpath, "Invalid value", str(e), r))
                continue
            if high <= low:
                errors.append(FieldError(f"{rpath}.max", "Invalid value", "max must be greater than min", r.get("max")))
            if previous is not None and j < len(previous):
                try:
                    if parse_quantity(previous[j].get("max", "0")) != low:
                        errors.append(FieldError(f"{rpath}.min", "Invalid value", "must equal the max of the same resource in the previous grade", r.get("min")))
                except (ValueError, TypeError):
                    pass
        previous = ranges
    return errors


def proxy_url(cluster: dict[str, Any]) -> str | None:
    """``spec.proxyURL`` for an HTTP client, or None. The API accepts socks5 as upstream does;
    our clients speak HTTP(S) proxies only, so a socks5 one is refused with a ValueError."""
    value = (cluster.get("spec") or {}).get("proxyURL")
    if not value:
        return None
    if urlsplit(value).scheme == "socks5":
        raise ValueError(f'cluster "{cluster["metadata"]["name"]}": spec.proxyURL {value} is a socks5 proxy, which pykarmada does not support (use an http or https proxy)')
    return str(value)
