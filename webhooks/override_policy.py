"""Admission for OverridePolicy (mutating and validating) and ClusterOverridePolicy (validating
only; upstream has no mutating webhook for it)."""

from __future__ import annotations

from pykarmada.karmada import constants as c
from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.mutation import mutate_override_policy
from pykarmada.karmada.validation import validate_override_policy
from pykarmada.webhooks import review
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse


def mutate_override_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    kind = c.KIND_OVERRIDE_POLICY
    policy = review.read_object(req.object, kind, typed_schema(kind))
    return review.patched(req, policy, mutate_override_policy(policy, namespace=req.namespace))


def _validate(req: AdmissionRequest, cluster_scoped: bool) -> AdmissionResponse:
    kind = c.KIND_CLUSTER_OVERRIDE_POLICY if cluster_scoped else c.KIND_OVERRIDE_POLICY
    policy = review.read_object(req.object, kind, typed_schema(kind))
    return review.validated(req, validate_override_policy(policy, namespace=req.namespace, cluster_scoped=cluster_scoped))


def validate_override_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _validate(req, cluster_scoped=False)


def validate_cluster_override_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _validate(req, cluster_scoped=True)
