"""AdmissionReview v1: decoding requests and building responses.

A review that cannot be read at all (not JSON, not an ``admission.k8s.io/v1`` AdmissionReview, no
``request.uid``) raises :class:`MalformedReview`, which the server answers with HTTP 400. A readable
review whose object is not what the path serves is answered in the review itself with code 400,
as upstream's decoder does; refusals carry code 403 and reason ``Forbidden``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

import orjson

from pykarmada.karmada.fielderrors import FieldError, FieldPath, aggregate
from pykarmada.karmada.openapi import Schema, check_types

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"


class MalformedReview(ValueError):
    """The body is not an AdmissionReview v1 request."""


class BadObject(ValueError):
    """The reviewed object cannot be read as the kind the webhook serves."""


class Status(TypedDict, total=False):
    code: int
    reason: str
    message: str


class AdmissionResponse(TypedDict, total=False):
    uid: str
    allowed: bool
    status: Status
    patchType: str
    patch: str


@dataclass(frozen=True)
class AdmissionRequest:
    uid: str
    kind: str
    operation: str  # CREATE, UPDATE, DELETE or CONNECT
    namespace: str
    name: str
    object: Any
    old_object: Any
    dry_run: bool

    @property
    def creating(self) -> bool:
        return self.operation == "CREATE"

    @property
    def updating(self) -> bool:
        return self.operation == "UPDATE"


def decode_review(body: bytes) -> AdmissionRequest:
    try:
        review = orjson.loads(body)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise MalformedReview(f"body is not JSON: {e}") from None
    if not isinstance(review, dict):
        raise MalformedReview("body is not a JSON object")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != KIND:
        raise MalformedReview(f"expected apiVersion {API_VERSION} and kind {KIND}")
    request = review.get("request")
    if not isinstance(request, dict):
        raise MalformedReview("request is missing")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise MalformedReview("request.uid is missing")
    kind = request.get("kind")
    operation = request.get("operation")
    if not isinstance(operation, str):
        raise MalformedReview("request.operation is missing")
    for key in ("namespace", "name"):
        if not isinstance(request.get(key, ""), (str, type(None))):
            raise MalformedReview(f"request.{key} must be a string")
    return AdmissionRequest(
        uid=uid,
        kind=str(kind.get("kind", "")) if isinstance(kind, dict) else "",
        operation=operation,
        namespace=request.get("namespace") or "",
        name=request.get("name") or "",
        object=request.get("object"),
        old_object=request.get("oldObject"),
        dry_run=bool(request.get("dryRun")),
    )


def read_object(value: Any, kind: str, schema: Schema, what: str = "object") -> dict[str, Any]:
    """``value`` as a dict of ``kind`` whose fields have the schema's types, else :class:`BadObject`."""
    if not isinstance(value, dict):
        raise BadObject(f"request.{what} is not a {kind}")
    if value.get("kind", kind) != kind:
        raise BadObject(f"request.{what} is a {value.get('kind')!r}, this webhook serves {kind}")
    errors = check_types(value, schema, FieldPath())
    if errors:
        raise BadObject(f"cannot decode {kind}: {aggregate(errors)}")
    return value


def allowed(req: AdmissionRequest) -> AdmissionResponse:
    return {"uid": req.uid, "allowed": True, "status": {"code": 200}}


def denied(req: AdmissionRequest, errors: Iterable[FieldError | str]) -> AdmissionResponse:
    return {"uid": req.uid, "allowed": False, "status": {"code": 403, "reason": "Forbidden", "message": aggregate(errors)}}


def errored(uid: str, code: int, message: str) -> AdmissionResponse:
    return {"uid": uid, "allowed": False, "status": {"code": code, "message": message}}


def validated(req: AdmissionRequest, errors: list[FieldError], warnings: Iterable[str] = ()) -> AdmissionResponse:
    """Denied with ``errors``, else allowed; ``warnings`` reach the client (kubectl prints them)."""
    if errors:
        return denied(req, errors)
    response = allowed(req)
    if warnings := list(warnings):
        response["warnings"] = warnings
    return response


def patched(req: AdmissionRequest, original: Any, mutated: Any) -> AdmissionResponse:
    """Allowed, with the JSON Patch that turns the submitted object into ``mutated``."""
    response = allowed(req)
    operations = json_patch(original, mutated)
    if operations:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(operations)).decode()
    return response


def _escape(token: str) -> str:
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def json_patch(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """RFC 6902 operations turning ``old`` into ``new``: objects are compared key by key, lists of
    the same length item by item; anything else that differs is replaced whole."""
    if old == new:
        return []
    return _diff(old, new, path)


def _diff(old: Any, new: Any, path: str) -> list[dict[str, Any]]:
    """``old`` and ``new`` differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict[str, Any]] = [{"op": "remove", "path": f"{path}/{_escape(k)}"} for k in old if k not in new]
        for key, value in new.items():
            if key not in old:
                ops.append({"op": "add", "path": f"{path}/{_escape(key)}", "value": value})
            elif old[key] != value:
                ops += _diff(old[key], value, f"{path}/{_escape(key)}")
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [op for i, (a, b) in enumerate(zip(old, new)) if a != b for op in _diff(a, b, f"{path}/{i}")]
    return [{"op": "replace", "path": path, "value": new}]


def encode(response: AdmissionResponse) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}
