"""Validation of ClusterTaintPolicy (upstream has no mutating webhook for it). NoExecute taints
are refused unless karmada-webhook runs with ``--allow-no-execute-taint-policy``; a policy that
would put them on every cluster is admitted with a warning (ours: upstream says nothing)."""

from __future__ import annotations

from collections.abc import Callable

from pykarmada.karmada import constants as c
from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.taint_policy import no_execute_everywhere_warning, validate_cluster_taint_policy
from pykarmada.webhooks import review
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse


def validate_cluster_taint_policy_review(allow_no_execute: bool) -> Callable[[AdmissionRequest], AdmissionResponse]:
    def handler(req: AdmissionRequest) -> AdmissionResponse:
        kind = c.KIND_CLUSTER_TAINT_POLICY
        policy = review.read_object(req.object, kind, typed_schema(kind))
        errors = validate_cluster_taint_policy(policy, allow_no_execute=allow_no_execute)
        return review.validated(req, errors, no_execute_everywhere_warning(policy))

    return handler
