"""PATCH bodies: JSON patch, JSON merge patch, strategic merge patch (treated as merge: Cluster
has no list merge keys) and apply patch (``kubectl apply --server-side``).

Apply is simplified: the applied configuration is merged into the live object (fields it sets
win; fields it no longer sets are kept). managedFields are not tracked.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import yaml

from pykarmada.kube.status import StatusError

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_patch(content_type: str, body: bytes) -> Any:
    try:
        if content_type == APPLY_PATCH:
            doc = yaml.safe_load(body)
        else:
            doc = json.loads(body)
    except (ValueError, yaml.YAMLError) as e:
        raise StatusError(400, f"the body of the request was in an unknown format - accepted media types include: {', '.join(PATCH_TYPES)}: {e}") from None
    if content_type == JSON_PATCH and not isinstance(doc, list):
        raise StatusError(400, "json patch must be a list of operations")
    if content_type != JSON_PATCH and not isinstance(doc, dict):
        raise StatusError(400, "patch must be a JSON object")
    return doc


def apply_patch(content_type: str, current: dict[str, Any], patch: Any) -> dict[str, Any]:
    if content_type == JSON_PATCH:
        try:
            return jsonpatch.apply_patch(current, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
            raise StatusError(422, f"the server rejected our request due to an error in our request: {e}", "Invalid") from None
    if content_type == APPLY_PATCH:
        patch = dict(patch)
        patch.get("metadata", {}).pop("managedFields", None)
    return merge_patch(current, patch)
