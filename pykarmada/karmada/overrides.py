"""OverridePolicy / ClusterOverridePolicy: which rules apply to a manifest in a cluster, and the
overridden manifest (behaviour.md 3.1, api.md 5).

Order: ClusterOverridePolicies first, then (namespaced objects only) the OverridePolicies of the
object's namespace. Within each kind, policies sort by implicit priority ascending (no selectors
counts as match-all) then name, so the most specific policy runs last and wins. Inside one
Overriders block: image, command, args, labels, annotations, field, plaintext. Any failure raises
:class:`OverrideError`; the caller must then not write that cluster's Work.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
import jsonpointer
import yaml

from pykarmada.karmada import constants as C
from pykarmada.karmada.imageref import ImageRefError, parse_image
from pykarmada.karmada.override_records import applied_overrides_json, build_record
from pykarmada.karmada.selectors import PRIORITY_MATCH_ALL, cluster_matches, resource_matches_selectors, selectors_priority

__all__ = [
    "OverrideError",
    "PolicyOverriders",
    "OverrideResult",
    "matching_overriders",
    "apply_overriders",
    "apply_override_policies",
    "applied_overrides_json",
]

_POD_TEMPLATE_KINDS = ("ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job")


class OverrideError(Exception):
    """An overrider that cannot be applied to the manifest; names the policy once known."""

    def __init__(self, message: str, *, policy_namespace: str = "", policy_name: str = "") -> None:
        super().__init__(message)
        self.policy_namespace, self.policy_name = policy_namespace, policy_name


@dataclass(frozen=True, slots=True)
class PolicyOverriders:
    """One applicable rule: the policy it comes from and its Overriders block."""

    policy_name: str
    policy_namespace: str
    overriders: Mapping[str, Any]


@dataclass(slots=True)
class OverrideResult:
    manifest: dict[str, Any]
    applied_cluster_overrides: list[dict[str, Any]] = field(default_factory=list)
    applied_overrides: list[dict[str, Any]] = field(default_factory=list)

    def work_annotations(self) -> dict[str, str]:
        """The Work annotations recording what was applied (absent when nothing was)."""
        out = {}
        if value := applied_overrides_json(self.applied_cluster_overrides):
            out[C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION] = value
        if value := applied_overrides_json(self.applied_overrides):
            out[C.APPLIED_OVERRIDES_ANNOTATION] = value
        return out


# ---------------------------------------------------------------------------------------------
# Selection


def _policy_priority(policy: Mapping[str, Any], resource: Mapping[str, Any]) -> int:
    selectors = (policy.get("spec") or {}).get("resourceSelectors") or []
    return PRIORITY_MATCH_ALL if not selectors else selectors_priority(resource, selectors)


def matching_overriders(
    policies: Iterable[Mapping[str, Any]], resource: Mapping[str, Any], cluster: Mapping[str, Any]
) -> list[PolicyOverriders]:
    """Rules of ``policies`` (one kind) that apply to ``resource`` in ``cluster``, in apply order."""
    matching = []
    for policy in policies:
        selectors = (policy.get("spec") or {}).get("resourceSelectors") or []
        if not selectors or resource_matches_selectors(resource, selectors):
            matching.append(policy)
    matching.sort(key=lambda p: (_policy_priority(p, resource), (p.get("metadata") or {}).get("name") or ""))
    out = []
    for policy in matching:
        metadata, spec = policy.get("metadata") or {}, policy.get("spec") or {}
        rules = spec.get("overrideRules") or [
            # Legacy form: the deprecated top-level pair acts as a single rule.
            {"targetCluster": spec.get("targetCluster"), "overriders": spec.get("overriders") or {}}
        ]
        for rule in rules:
            target = rule.get("targetCluster")
            if target is None or cluster_matches(cluster, target):
                out.append(PolicyOverriders(metadata.get("name") or "", metadata.get("namespace") or "", rule.get("overriders") or {}))
    return out


# ---------------------------------------------------------------------------------------------
# JSON patches


def _patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """Strict RFC 6902 (missing paths are errors), returning a new document."""
    if not ops:
        return doc
    try:
        return jsonpatch.JsonPatch(ops).apply(doc)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, KeyError, IndexError) as exc:
        raise OverrideError(f"failed to apply JSON patch {json.dumps(ops)}: {exc}") from exc


def _ops(entries: Iterable[Mapping[str, Any]], path_key: str) -> list[dict[str, Any]]:
    # Go always sends "value" (null when unset): an "add" without a value adds null.
    return [{"op": e.get("operator"), "path": e.get(path_key), "value": e.get("value")} for e in entries]


# ---------------------------------------------------------------------------------------------
# Image overrider


def _override_image(image: str, overrider: Mapping[str, Any]) -> str:
    try:
        ref = parse_image(image)
    except ImageRefError as exc:
        raise OverrideError(f"failed to parse image value({image}), error: {exc}") from exc
    component, operator, value = overrider.get("component"), overrider.get("operator"), overrider.get("value") or ""
    if component == "Registry":
        if operator == "add":
            ref.registry += value
        elif operator == "replace":
            ref.registry = value
        elif operator == "remove":
            ref.registry = ""
    elif component == "Repository":
        if operator == "add":
            ref.repository += value
        elif operator == "replace":
            ref.repository = value
        elif operator == "remove":
            ref.repository = ""
    elif component == "Tag":
        if operator == "add":
            ref.set_tag_or_digest(ref.tag_or_digest + value)
        elif operator == "replace":
            ref.set_tag_or_digest(value)
        elif operator == "remove":
            ref.remove_tag_or_digest()
    else:
        raise OverrideError(f"unsupported image component({component})")
    return str(ref)


def _image_at(obj: Mapping[str, Any], path: str) -> str:
    """Walk ``/a/b/0/c`` through maps, a numeric segment indexing the list before it."""
    segments = path.strip("/").split("/")
    current: Any = obj
    i = 0
    while i < len(segments) - 1:
        value = current.get(segments[i]) if isinstance(current, Mapping) else None
        if isinstance(value, Mapping):
            current = value
        elif isinstance(value, list):
            try:
                current = value[int(segments[i + 1])]
            except ValueError as exc:
                raise OverrideError(f"path({segments[i + 1]}) of rawObj's is not number") from exc
            except IndexError as exc:
                raise OverrideError(f"path({segments[i + 1]}) of rawObj's is out of range") from exc
            i += 1
        else:
            raise OverrideError(f"path({segments[i]}) of rawObj's type is not map[string]interface{{}} and []interface{{}}")
        i += 1
    value = current.get(segments[-1]) if isinstance(current, Mapping) else None
    if not isinstance(value, str):
        raise OverrideError(f"failed to convert path({segments[-1]}) to string")
    return value


def _containers_path(kind: str | None) -> list[str] | None:
    if kind == "Pod":
        return ["spec", "containers"]
    if kind in _POD_TEMPLATE_KINDS:
        return ["spec", "template", "spec", "containers"]
    return None


def _image_ops(obj: Mapping[str, Any], overrider: Mapping[str, Any]) -> list[dict[str, Any]]:
    predicate = overrider.get("predicate")
    if predicate is not None:
        path = predicate.get("path") or ""
        try:
            image = _image_at(obj, path)
        except OverrideError as exc:
            raise OverrideError(f"failed to obtain imageValue with predicate path({path}), error: {exc}") from exc
        targets = [(path, image)]
    else:
        segments = _containers_path(obj.get("kind"))
        if segments is None:
            return []
        containers = _nested(obj, segments) or []
        prefix = "/" + "/".join(segments)
        targets = [(f"{prefix}/{i}/image", c.get("image") or "") for i, c in enumerate(containers)]
    ops = []
    for path, image in targets:
        if not path.startswith("/"):
            raise OverrideError("imagePath should be start with / character")
        ops.append({"op": "replace", "path": path, "value": _override_image(image, overrider)})
    return ops


# ---------------------------------------------------------------------------------------------
# Command / args overriders


def _nested(obj: Mapping[str, Any], segments: Sequence[str]) -> Any:
    current: Any = obj
    for i, segment in enumerate(segments):
        if not isinstance(current, Mapping):
            raise OverrideError(f"failed to retrieves path({'/'.join(segments)}) from rawObj, error: {'.'.join(segments[:i])} is not a map")
        current = current.get(segment)
        if current is None:
            return None
    return current


def _command_args_ops(obj: Mapping[str, Any], target: str, overrider: Mapping[str, Any]) -> list[dict[str, Any]]:
    segments = _containers_path(obj.get("kind"))
    if segments is None:
        return []
    containers = _nested(obj, segments)
    if containers is not None and not isinstance(containers, list):
        raise OverrideError(f"failed to retrieves path({'/'.join(segments)}) from rawObj, error: not a list")
    operator, values = overrider.get("operator"), list(overrider.get("value") or [])
    ops = []
    for index, container in enumerate(containers or []):
        if not isinstance(container, Mapping) or container.get("name") != overrider.get("containerName"):
            continue
        path = f"/{'/'.join(segments)}/{index}/{target}"
        current = container.get(target)
        existing = [] if current is None else [str(v) for v in current]
        if operator == "add":
            new = existing + values
        elif operator == "remove":
            new = [v for v in existing if v not in values]
        else:  # replace is rejected by validation and ignored here, as upstream does
            new = existing
        ops.append({"op": "add" if current is None else "replace", "path": path, "value": new})
    return ops


# ---------------------------------------------------------------------------------------------
# Labels / annotations overriders


def _metadata_map_ops(obj: dict[str, Any], key: str, overrider: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    operator = overrider.get("operator")
    existing = (obj.get("metadata") or {}).get(key)
    ops = []
    for name, value in (overrider.get("value") or {}).items():
        if operator in ("remove", "replace"):
            if not isinstance(existing, Mapping) or name not in existing:
                continue
        elif operator == "add" and not isinstance(existing, Mapping):
            obj.setdefault("metadata", {})[key] = existing = {}
        ops.append({"op": operator, "path": f"/metadata/{key}/{name.replace('/', '~1')}", "value": value})
    return obj, ops


# ---------------------------------------------------------------------------------------------
# Field overrider


def _dump_yaml(doc: Any) -> str:
    text = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return text[: -len("...\n")] if text.endswith("\n...\n") else text


def _field_override(obj: Any, overrider: Mapping[str, Any]) -> Any:
    path = overrider.get("fieldPath") or ""
    try:
        pointer = jsonpointer.JsonPointer(path)
        current = pointer.resolve(obj)
    except jsonpointer.JsonPointerException as exc:
        raise OverrideError(f"Get value by overrider's path({path}) err: {exc}") from exc
    if not isinstance(current, str):
        raise OverrideError(f"Get object's value by overrider's path({path}) is not string")
    if overrider.get("yaml"):
        try:
            doc = json.loads(json.dumps(yaml.safe_load(current), default=str))
        except yaml.YAMLError as exc:
            raise OverrideError(f"failed to convert yaml to json: {exc}") from exc
        new = _dump_yaml(_patch(doc, _ops(overrider["yaml"], "subPath")))
    elif overrider.get("json"):
        try:
            doc = json.loads(current)
        except ValueError as exc:
            raise OverrideError(f"invalid JSON at path({path}): {exc}") from exc
        new = json.dumps(_patch(doc, _ops(overrider["json"], "subPath")), separators=(",", ":"), ensure_ascii=False)
    else:
        new = ""  # neither json nor yaml: upstream writes back an empty string
    return _patch(obj, [{"op": "replace", "path": path, "value": new}])


# ---------------------------------------------------------------------------------------------
# Applying


def apply_overriders(manifest: Mapping[str, Any], overriders: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one Overriders block in the fixed order; returns a new manifest."""
    obj: dict[str, Any] = copy.deepcopy(dict(manifest))
    for overrider in overriders.get("imageOverrider") or ():
        obj = _patch(obj, _image_ops(obj, overrider))
    for target, key in (("command", "commandOverrider"), ("args", "argsOverrider")):
        for overrider in overriders.get(key) or ():
            obj = _patch(obj, _command_args_ops(obj, target, overrider))
    for meta_key, key in (("labels", "labelsOverrider"), ("annotations", "annotationsOverrider")):
        for overrider in overriders.get(key) or ():
            obj, ops = _metadata_map_ops(obj, meta_key, overrider)
            obj = _patch(obj, ops)
    for overrider in overriders.get("fieldOverrider") or ():
        obj = _field_override(obj, overrider)
    return _patch(obj, _ops(overriders.get("plaintext") or (), "path"))


def apply_override_policies(
    manifest: Mapping[str, Any],
    cluster: Mapping[str, Any],
    *,
    cluster_override_policies: Iterable[Mapping[str, Any]] = (),
    override_policies: Iterable[Mapping[str, Any]] = (),
) -> OverrideResult:
    """Apply the COPs, then (namespaced manifests only) the OPs of the manifest's namespace."""
    result = OverrideResult(manifest=copy.deepcopy(dict(manifest)))
    for item in matching_overriders(cluster_override_policies, result.manifest, cluster):
        result.manifest = _apply_one(result.manifest, item, cluster)
        result.applied_cluster_overrides.append(build_record(item.policy_name, item.overriders))
    namespace = (result.manifest.get("metadata") or {}).get("namespace") or ""
    if namespace:
        same_namespace = [p for p in override_policies if ((p.get("metadata") or {}).get("namespace") or namespace) == namespace]
        for item in matching_overriders(same_namespace, result.manifest, cluster):
            result.manifest = _apply_one(result.manifest, item, cluster)
            result.applied_overrides.append(build_record(item.policy_name, item.overriders))
    return result


def _apply_one(manifest: dict[str, Any], item: PolicyOverriders, cluster: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return apply_overriders(manifest, item.overriders)
    except OverrideError as exc:
        policy = f"{item.policy_namespace}/{item.policy_name}" if item.policy_namespace else item.policy_name
        cluster_name = (cluster.get("metadata") or {}).get("name")
        raise OverrideError(
            f"failed to apply override policy({policy}) for cluster({cluster_name}): {exc}", policy_namespace=item.policy_namespace, policy_name=item.policy_name
        ) from exc
