"""Records of applied overrides, written on Works as ``policy.karmada.io/applied-overrides`` and
``policy.karmada.io/applied-cluster-overrides`` (api.md 5.4).

Each value is a JSON list ``[{"policyName", "overriders"}]`` sorted by policy name, one entry per
applied rule. Overriders are re-shaped in Go's struct field order with its ``omitempty`` rules and
the JSON is HTML-escaped like ``encoding/json``, so the text matches what upstream writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["build_record", "applied_overrides_json"]


_OVERRIDER_FIELDS = {
    "plaintext": lambda o: {"path": o.get("path", ""), "operator": o.get("operator", ""), "value": o.get("value")},
    "imageOverrider": lambda o: {
        **({"predicate": {"path": o["predicate"].get("path", "")}} if o.get("predicate") is not None else {}),
        "component": o.get("component", ""),
        "operator": o.get("operator", ""),
        **({"value": o["value"]} if o.get("value") else {}),
    },
    "commandOverrider": lambda o: _command_args_shadow(o),
    "argsOverrider": lambda o: _command_args_shadow(o),
    "labelsOverrider": lambda o: {"operator": o.get("operator", ""), "value": o.get("value")},
    "annotationsOverrider": lambda o: {"operator": o.get("operator", ""), "value": o.get("value")},
    "fieldOverrider": lambda o: {
        "fieldPath": o.get("fieldPath", ""),
        **{k: [{"subPath": p.get("subPath", ""), "operator": p.get("operator", ""), "value": p.get("value")} for p in o[k]] for k in ("json", "yaml") if o.get(k)},
    },
}


def _command_args_shadow(o: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"containerName": o.get("containerName", ""), "operator": o.get("operator", "")}
    if o.get("value"):
        out["value"] = list(o["value"])
    return out


def build_record(policy_name: str, overriders: Mapping[str, Any]) -> dict[str, Any]:
    """One applied rule, as upstream's ``OverridePolicyShadow`` serializes it."""
    shaped = {key: [shape(o) for o in overriders[key]] for key, shape in _OVERRIDER_FIELDS.items() if overriders.get(key)}
    return {"policyName": policy_name, "overriders": shaped}


def applied_overrides_json(items: Sequence[Mapping[str, Any]]) -> str | None:
    """JSON list sorted by policy name, as Go's json.Marshal writes it; None when empty."""
    if not items:
        return None
    ordered = sorted(items, key=lambda i: i["policyName"])
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text
