"""Admission for PropagationPolicy and ClusterPropagationPolicy: the defaults of
``karmada.mutation`` and the rules of ``karmada.validation``, adapted to AdmissionReview."""

from __future__ import annotations

import uuid

from pykarmada.karmada import constants as c
from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.mutation import mutate_propagation_policy
from pykarmada.karmada.validation import validate_propagation_policy
from pykarmada.webhooks import review
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse


def _kind(cluster_scoped: bool) -> str:
    return c.KIND_CLUSTER_PROPAGATION_POLICY if cluster_scoped else c.KIND_PROPAGATION_POLICY


def _mutate(req: AdmissionRequest, cluster_scoped: bool) -> AdmissionResponse:
    kind = _kind(cluster_scoped)
    policy = review.read_object(req.object, kind, typed_schema(kind))
    mutated = mutate_propagation_policy(
        policy, namespace=req.namespace, cluster_scoped=cluster_scoped, creating=req.creating, new_id=str(uuid.uuid4())
    )
    return review.patched(req, policy, mutated)


def _validate(req: AdmissionRequest, cluster_scoped: bool) -> AdmissionResponse:
    kind = _kind(cluster_scoped)
    policy = review.read_object(req.object, kind, typed_schema(kind))
    old = review.read_object(req.old_object, kind, typed_schema(kind), "oldObject") if req.updating else None
    errors = validate_propagation_policy(policy, namespace=req.namespace, cluster_scoped=cluster_scoped, old=old)
    return review.validated(req, errors)


def mutate_propagation_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _mutate(req, cluster_scoped=False)


def validate_propagation_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _validate(req, cluster_scoped=False)


def mutate_cluster_propagation_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _mutate(req, cluster_scoped=True)


def validate_cluster_propagation_policy_review(req: AdmissionRequest) -> AdmissionResponse:
    return _validate(req, cluster_scoped=True)
