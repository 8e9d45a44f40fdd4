"""Unified authentication for the cluster proxy: in every Push member with an impersonator
secret, a ClusterRole and ClusterRoleBinding ``karmada-impersonator`` that let the impersonator
ServiceAccount impersonate exactly the control-plane subjects allowed to use the proxy
(surfaces.md 1.5). Recomputed when a Cluster, ClusterRole or ClusterRoleBinding changes.

Upstream writes these through Works; until Works are executed here, the controller applies them
to the member directly with the same names and labels.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pykarmada.controllers.common.members import CredentialsError, MemberClients
from pykarmada.karmada import constants as c
from pykarmada.kube.controller import Result
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
FIELD_MANAGER = "karmada-unified-auth"
RETRY = 15.0


def _matches(values: list[str], want: str) -> bool:
    return "*" in values or want in values


def grants_proxy(role: dict[str, Any], cluster: str) -> bool:
    for rule in role.get("rules") or []:
        groups, resources = rule.get("apiGroups") or [], rule.get("resources") or []
        names = rule.get("resourceNames") or []
        if _matches(groups, "cluster.karmada.io") and _matches(resources, "clusters/proxy") and (not names or cluster in names):
            return True
        if _matches(groups, "search.karmada.io") and _matches(resources, "proxying/proxy"):
            return True
    return False


def impersonation_rules(roles: list[dict[str, Any]], bindings: list[dict[str, Any]], cluster: str) -> list[dict[str, Any]]:
    allowed = {r["metadata"]["name"] for r in roles if grants_proxy(r, cluster)}
    subjects: dict[str, set[str]] = {"users": set(), "serviceaccounts": set(), "groups": set()}
    for b in bindings:
        if (b.get("roleRef") or {}).get("kind") != "ClusterRole" or b["roleRef"].get("name") not in allowed:
            continue
        for s in b.get("subjects") or []:
            kind = {"User": "users", "Group": "groups", "ServiceAccount": "serviceaccounts"}.get(s.get("kind", ""))
            if kind:
                subjects[kind].add(s["name"])
    return [
        {"apiGroups": [""], "verbs": ["impersonate"], "resources": [kind], "resourceNames": sorted(names)}
        for kind, names in subjects.items()
        if names
    ]


class UnifiedAuthController:
    name = "unifiedAuth"

    def __init__(self, clusters: Informer, roles: Informer, bindings: Informer, members: MemberClients) -> None:
        self.clusters, self.roles, self.bindings, self.members = clusters, roles, bindings, members

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        cluster = self.clusters.get("", key[1])
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            return None
        spec = cluster.get("spec") or {}
        ref = spec.get("impersonatorSecretRef")
        if spec.get("syncMode") != "Push" or not ref:
            return None
        try:
            client = await self.members.client_for(cluster)
        except CredentialsError as e:
            log.info("unifiedAuth %s: %s", key[1], e)
            return Result(requeue_after=RETRY)
        labels = {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": c.IMPERSONATOR_NAME, "labels": labels},
            "rules": impersonation_rules(self.roles.list(), self.bindings.list(), key[1]),
        }
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": c.IMPERSONATOR_NAME, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": c.IMPERSONATOR_NAME},
            "subjects": [{"kind": "ServiceAccount", "name": c.IMPERSONATOR_NAME, "namespace": ref["namespace"]}],
        }
        for path, obj in (
            (f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{c.IMPERSONATOR_NAME}", role),
            (f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{c.IMPERSONATOR_NAME}", binding),
        ):
            await client.patch(path, json.dumps(obj), patch_type="apply", fieldManager=FIELD_MANAGER, force=True)
        return None
