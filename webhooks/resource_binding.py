"""Admission for ResourceBinding (mutating and validating) and ClusterResourceBinding (mutating):
the permanent-id label on CREATE, the dependencies annotation and component names."""

from __future__ import annotations

import uuid

from pykarmada.karmada import constants as c
from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.mutation import mutate_binding
from pykarmada.karmada.validation import validate_resource_binding
from pykarmada.webhooks import review
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse


def _mutate(req: AdmissionRequest, cluster_scoped: bool) -> AdmissionResponse:
    kind = c.KIND_CLUSTER_RESOURCE_BINDING if cluster_scoped else c.KIND_RESOURCE_BINDING
    binding = review.read_object(req.object, kind, typed_schema(kind))
    return review.patched(req, binding, mutate_binding(binding, cluster_scoped=cluster_scoped, new_id=str(uuid.uuid4())))


def mutate_resource_binding_review(req: AdmissionRequest) -> AdmissionResponse:
    return _mutate(req, cluster_scoped=False)


def mutate_cluster_resource_binding_review(req: AdmissionRequest) -> AdmissionResponse:
    return _mutate(req, cluster_scoped=True)


def validate_resource_binding_review(req: AdmissionRequest) -> AdmissionResponse:
    binding = review.read_object(req.object, c.KIND_RESOURCE_BINDING, typed_schema(c.KIND_RESOURCE_BINDING))
    return review.validated(req, validate_resource_binding(binding))
