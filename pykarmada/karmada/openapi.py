"""Compact builders for structural OpenAPI v3 schemas, and a type check against them.

The CRDs in ``manifests/crds`` are generated from schemas built here (``hack/gen_crds.py``), and
the webhook server checks the shape of every object it is sent against the same schemas before
reading it, so a wrong type is a clear 400 naming the field instead of a crash: the role Go's
typed decoding plays upstream. Only types are checked; enums, required fields and limits are the
API server's job (it validates the CRD schema before the validating webhooks run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pykarmada.karmada.fielderrors import FieldError, FieldPath, invalid

Schema = dict[str, Any]
PRESERVE = "x-kubernetes-preserve-unknown-fields"
INT_OR_STRING = "x-kubernetes-int-or-string"


def _doc(schema: Schema, doc: str) -> Schema:
    if doc:
        schema["description"] = doc
    return schema


def string(
    doc: str = "",
    *,
    enum: Iterable[str] | None = None,
    default: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    fmt: str | None = None,
) -> Schema:
    s: Schema = {"type": "string"}
    if enum is not None:
        s["enum"] = list(enum)
    if default is not None:
        s["default"] = default
    if fmt:
        s["format"] = fmt
    if min_length is not None:
        s["minLength"] = min_length
    if max_length is not None:
        s["maxLength"] = max_length
    if pattern:
        s["pattern"] = pattern
    return _doc(s, doc)


def integer(doc: str = "", *, fmt: str | None = "int32", default: int | None = None, minimum: int | None = None) -> Schema:
    """``fmt`` None is Go's ``int``."""
    s: Schema = {"type": "integer"}
    if fmt:
        s["format"] = fmt
    if default is not None:
        s["default"] = default
    if minimum is not None:
        s["minimum"] = minimum
    return _doc(s, doc)


def boolean(doc: str = "") -> Schema:
    return _doc({"type": "boolean"}, doc)


def time(doc: str = "") -> Schema:
    return string(doc, fmt="date-time")


def obj(props: Mapping[str, Schema], doc: str = "", *, required: Iterable[str] = (), atomic: bool = False) -> Schema:
    s: Schema = {"type": "object", "properties": dict(props)}
    req = list(required)
    if req:
        s["required"] = req
    if atomic:
        s["x-kubernetes-map-type"] = "atomic"
    return _doc(s, doc)


def array(items: Schema, doc: str = "", *, min_items: int | None = None, atomic: bool = False) -> Schema:
    s: Schema = {"type": "array", "items": items}
    if min_items is not None:
        s["minItems"] = min_items
    if atomic:
        s["x-kubernetes-list-type"] = "atomic"
    return _doc(s, doc)


def string_map(doc: str = "") -> Schema:
    return _doc({"type": "object", "additionalProperties": {"type": "string"}}, doc)


def free_form(doc: str = "") -> Schema:
    """Any JSON value, kept as sent (override values)."""
    return _doc({PRESERVE: True}, doc)


def raw_object(doc: str = "") -> Schema:
    """Any JSON object, kept as sent (Work manifests, reflected status)."""
    return _doc({"type": "object", PRESERVE: True}, doc)


QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


def quantity_map(doc: str = "") -> Schema:
    """A core/v1 ResourceList: resource name -> Quantity (integer or string)."""
    value = {"anyOf": [{"type": "integer"}, {"type": "string"}], "pattern": QUANTITY_PATTERN, INT_OR_STRING: True}
    return _doc({"type": "object", "additionalProperties": value}, doc)


# ---- type check --------------------------------------------------------------------------------

_PY_TYPES = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer", "boolean": "a boolean", "number": "a number"}


def _is_type(value: Any, type_name: str) -> bool:
    if type_name == "object":
        return isinstance(value, dict)
    if type_name == "array":
        return isinstance(value, list)
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def check_types(value: Any, schema: Schema, path: FieldPath, *, limit: int = 10) -> list[FieldError]:
    """Type mismatches of ``value`` against ``schema`` (``null`` is accepted anywhere, as Go's
    decoder reads it as the zero value). Stops after ``limit`` errors."""
    errors: list[FieldError] = []
    _check(value, schema, (), errors, limit, path)
    return errors


# The path is kept as a chain of (parent, step) tuples and only spelled out for an error: this check
# runs on every admission request, and nearly every request is well-formed.
_Steps = tuple[Any, ...]


def _spell(steps: _Steps, root: FieldPath) -> FieldPath:
    chain = []
    while steps:
        steps, step = steps
        chain.append(step)
    path = root
    for kind, name in reversed(chain):
        path = path.child(name) if kind == "." else path.index(name) if kind == "[]" else path.key(name)
    return path


def _check(value: Any, schema: Schema, steps: _Steps, errors: list[FieldError], limit: int, root: FieldPath) -> None:
    if value is None or len(errors) >= limit:
        return
    if schema.get(INT_OR_STRING):
        if not (_is_type(value, "integer") or isinstance(value, str)):
            errors.append(invalid(_spell(steps, root), value, "must be an integer or a string"))
        return
    type_name = schema.get("type")
    if type_name is None:
        return  # free-form
    if not _is_type(value, type_name):
        errors.append(invalid(_spell(steps, root), value, f"must be {_PY_TYPES.get(type_name, type_name)}"))
        return
    if type_name == "object":
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if props is not None and key in props:
                _check(item, props[key], (steps, (".", key)), errors, limit, root)
            elif isinstance(extra, dict):
                _check(item, extra, (steps, ("[k]", key)), errors, limit, root)
    elif type_name == "array" and "items" in schema:
        items = schema["items"]
        for i, item in enumerate(value):
            _check(item, items, (steps, ("[]", i)), errors, limit, root)
