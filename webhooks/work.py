"""Admission for Work (mutating): the permanent-id label, and every manifest pruned and stamped
with the keys Karmada manages."""

from __future__ import annotations

import uuid

from pykarmada.karmada import constants as c
from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.mutation import mutate_work
from pykarmada.webhooks import review
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse


def mutate_work_review(req: AdmissionRequest) -> AdmissionResponse:
    work = review.read_object(req.object, c.KIND_WORK, typed_schema(c.KIND_WORK))
    return review.patched(req, work, mutate_work(work, new_id=str(uuid.uuid4())))
