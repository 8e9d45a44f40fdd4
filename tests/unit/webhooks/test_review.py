"""AdmissionReview decoding, responses and JSON patches."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import jsonpatch
import pytest

from pykarmada.karmada.crds import typed_schema
from pykarmada.webhooks import review
from pykarmada.webhooks.review import BadObject, MalformedReview


def _review(**request: Any) -> bytes:
    req = {"uid": "u1", "operation": "CREATE", "kind": {"group": "policy.karmada.io", "version": "v1alpha1", "kind": "PropagationPolicy"}}
    req.update(request)
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}).encode()


MALFORMED = [
    pytest.param(b"", id="empty"),
    pytest.param(b"{not json", id="not-json"),
    pytest.param(b"\xff\xfe", id="not-utf8"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u"}}', id="v1beta1"),
    pytest.param(b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', id="no-request"),
    pytest.param(b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}}', id="no-uid"),
    pytest.param(b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u"}}', id="no-operation"),
    pytest.param(_review(namespace=5), id="namespace-not-string"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="too-deep"),
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_reviews(body: bytes) -> None:
    with pytest.raises(MalformedReview):
        review.decode_review(body)


def test_decode() -> None:
    req = review.decode_review(_review(namespace="ns", name="p", object={"kind": "PropagationPolicy"}, dryRun=True))
    assert (req.uid, req.kind, req.operation, req.namespace, req.name, req.dry_run) == ("u1", "PropagationPolicy", "CREATE", "ns", "p", True)
    assert req.creating and not req.updating


@pytest.mark.parametrize(
    "obj",
    [pytest.param(None, id="null"), pytest.param("x", id="string"), pytest.param({"kind": "OverridePolicy"}, id="wrong-kind"),
     pytest.param({"kind": "PropagationPolicy", "spec": {"resourceSelectors": {}}}, id="wrong-type")],
)
def test_bad_objects(obj: Any) -> None:
    with pytest.raises(BadObject):
        review.read_object(obj, "PropagationPolicy", typed_schema("PropagationPolicy"))


def test_denied_response() -> None:
    req = review.decode_review(_review())
    resp = review.denied(req, ["a: Required value", "b: Forbidden: no"])
    assert resp == {"uid": "u1", "allowed": False, "status": {"code": 403, "reason": "Forbidden", "message": "[a: Required value, b: Forbidden: no]"}}
    assert review.encode(resp)["apiVersion"] == "admission.k8s.io/v1"


PATCH_CASES = [
    pytest.param({"a": 1}, {"a": 1}, id="equal"),
    pytest.param({"a": 1}, {"a": 2, "b": {"c": [1]}}, id="replace-and-add"),
    pytest.param({"m": {"labels": {"x/y": "1", "t~": "2"}}}, {"m": {"labels": {"x/y": "2"}}}, id="escaped-keys"),
    pytest.param({"l": [{"n": 1}, {"n": 2}]}, {"l": [{"n": 1, "ns": "d"}, {"n": 2, "ns": "d"}]}, id="list-items"),
    pytest.param({"l": [1, 2]}, {"l": [1]}, id="list-shorter"),
    pytest.param({"a": {"b": 1}}, {"a": None}, id="to-null"),
]


@pytest.mark.parametrize(("old", "new"), PATCH_CASES)
def test_json_patch_turns_old_into_new(old: Any, new: Any) -> None:
    ops = review.json_patch(old, new)
    result = jsonpatch.apply_patch(copy.deepcopy(old), ops)
    assert result == new
    resp = review.patched(review.decode_review(_review()), old, new)
    assert resp["allowed"] is True
    if ops:
        assert resp["patchType"] == "JSONPatch"
        assert json.loads(base64.b64decode(resp["patch"])) == ops
    else:
        assert "patch" not in resp
