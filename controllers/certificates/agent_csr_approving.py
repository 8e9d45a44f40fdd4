"""``agentcsrapproving``: approves the CertificateSigningRequests of karmada-agents, and only
those (surfaces.md 5.7). A request is an agent's by its content (signer, subject, no SANs,
usages: :mod:`pykarmada.karmada.bootstrap.csr`); it is approved when a SubjectAccessReview says
its requester may create ``certificatesigningrequests/selfclusteragent`` (a self CSR) or
``.../clusteragent``. kube-controller-manager's ``csrsigning`` then issues the certificate."""

from __future__ import annotations

import logging

from pykarmada.karmada.bootstrap import csr as agent_csr
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import now_rfc3339
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
NAME = "agentcsrapproving"
SUBJECT_ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


class AgentCSRApprovingController:
    name = NAME

    def __init__(self, control_plane: KubeClient, csrs: Informer) -> None:
        self.control_plane, self.csrs = control_plane, csrs

    @staticmethod
    def wants(csr: dict) -> bool:  # type: ignore[type-arg]
        """Only kube-apiserver-client requests are looked at (upstream's predicate)."""
        return (csr.get("spec") or {}).get("signerName") == agent_csr.SIGNER

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        csr = self.csrs.get("", key[1])
        if csr is None or csr["metadata"].get("deletionTimestamp"):
            return None
        permissions = agent_csr.permissions_to_try(csr)
        for permission in permissions:
            review = await self.control_plane.create(SUBJECT_ACCESS_REVIEWS, agent_csr.subject_access_review(csr, permission))
            if not (review.get("status") or {}).get("allowed"):
                continue
            name = csr["metadata"]["name"]
            try:
                await self.control_plane.replace(f"{agent_csr.CSR_PATH}/{name}/approval", agent_csr.approved(csr, permission, now_rfc3339()))
            except ApiError as e:
                if e.not_found:
                    return None
                raise
            log.info("approved CSR %s of %s (%s)", name, (csr.get("spec") or {}).get("username"), permission.subresource)
            return None
        if permissions:
            log.info("CSR %s is an agent's, but its requester may create none of %s; left pending", key[1], [p.subresource for p in permissions])
        return None
