"""Joining a member cluster in Push mode, and undoing it (surfaces.md 4.3, 4.4).

join creates in the member the namespace, service accounts, RBAC and token secrets the control
plane needs; in the control plane the credential Secrets and the Cluster, whose ``spec.id`` is the
member's kube-system UID. Object names are upstream's exactly. Used by ``karmadactl join`` and by
local-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)


class JoinError(Exception):
    """A join or unjoin that cannot go on; the message says why and what to do."""


SYSTEM_LABELS = {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}
TOKEN_WAIT = 30.0
RBAC = "/apis/rbac.authorization.k8s.io/v1"


def controller_manager_role(cluster: str) -> str:
    return f"karmada-controller-manager:karmada-{cluster}"


async def _create(client: KubeClient, path: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Create, or return the existing object of that name."""
    try:
        return await client.create(path, obj)
    except ApiError as e:
        if not e.already_exists:
            raise
        return await client.get(f"{path}/{obj['metadata']['name']}")


async def _wait_token(client: KubeClient, namespace: str, name: str) -> dict[str, str]:
    deadline = time.monotonic() + TOKEN_WAIT
    while True:
        secret = await client.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        data = secret.get("data") or {}
        if data.get("token"):
            return data
        if time.monotonic() > deadline:
            raise JoinError(
                f"secret {namespace}/{name} in the member got no token within {TOKEN_WAIT:.0f}s: "
                "is the member's kube-controller-manager (serviceaccount-token controller) running?"
            )
        await asyncio.sleep(1)


async def _member_identity(member: KubeClient, cluster: str, namespace: str) -> tuple[dict[str, str], dict[str, str]]:
    """Create the member side; return the data of the two token secrets (cluster, impersonator)."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": SYSTEM_LABELS}}
    await _create(member, "/api/v1/namespaces", ns)
    sa_names = (f"karmada-{cluster}", c.IMPERSONATOR_NAME)
    for sa in sa_names:
        await _create(member, f"/api/v1/namespaces/{namespace}/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": namespace, "labels": SYSTEM_LABELS}})
    role = controller_manager_role(cluster)
    await _create(
        member,
        f"{RBAC}/clusterroles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role, "labels": SYSTEM_LABELS},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["get"]}],
        },
    )
    await _create(
        member,
        f"{RBAC}/clusterrolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": role, "labels": SYSTEM_LABELS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": f"karmada-{cluster}", "namespace": namespace}],
        },
    )
    for sa in sa_names:
        await _create(
            member,
            f"/api/v1/namespaces/{namespace}/secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/service-account-token",
                "metadata": {"name": sa, "namespace": namespace, "labels": SYSTEM_LABELS, "annotations": {"kubernetes.io/service-account.name": sa}},
            },
        )
    return await _wait_token(member, namespace, sa_names[0]), await _wait_token(member, namespace, sa_names[1])


async def join_cluster(
    control_plane: KubeClient,
    member: KubeClient,
    name: str,
    *,
    namespace: str,
    provider: str = "",
    region: str = "",
    zones: list[str] | None = None,
    dry_run: bool = False,
) -> dict[str, Any] | None:
    cluster_id = (await member.get("/api/v1/namespaces/kube-system"))["metadata"]["uid"]
    for existing in (await control_plane.list(c.CLUSTERS_PATH))["items"]:
        if existing["metadata"]["name"] == name:
            raise JoinError(f"cluster name {name!r} is already taken by an existing Cluster")
        if (existing.get("spec") or {}).get("id") == cluster_id:
            raise JoinError(
                f"this member cluster (id {cluster_id}) is already joined as {existing['metadata']['name']!r}; unjoin it first"
            )
    if dry_run:
        return None
    token_data, impersonator_data = await _member_identity(member, name, namespace)
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": SYSTEM_LABELS}}
    await _create(control_plane, "/api/v1/namespaces", ns)
    secrets_path = f"/api/v1/namespaces/{namespace}/secrets"
    await _create(control_plane, secrets_path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-impersonator", "namespace": namespace, "labels": SYSTEM_LABELS}, "data": {"token": impersonator_data["token"]}})
    await _create(control_plane, secrets_path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace, "labels": SYSTEM_LABELS}, "data": {"token": token_data["token"], "caBundle": token_data.get("ca.crt", "")}})
    spec: dict[str, Any] = {
        "id": cluster_id,
        "syncMode": "Push",
        "apiEndpoint": member.connection.server,
        "secretRef": {"namespace": namespace, "name": name},
        "impersonatorSecretRef": {"namespace": namespace, "name": f"{name}-impersonator"},
    }
    if member.connection.insecure_skip_verify:
        spec["insecureSkipTLSVerification"] = True
    if member.connection.proxy_url:
        spec["proxyURL"] = member.connection.proxy_url
    for key, value in (("provider", provider), ("region", region)):
        if value:
            spec[key] = value
    if zones:
        spec["zones"] = zones
    cluster = await control_plane.create(c.CLUSTERS_PATH, {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}, "spec": spec})
    owner = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": name, "uid": cluster["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    for secret in (name, f"{name}-impersonator"):
        await control_plane.patch(f"{secrets_path}/{secret}", {"metadata": {"ownerReferences": [owner]}})
    return cluster


async def refresh_join(control_plane: KubeClient, member: KubeClient, name: str, *, namespace: str) -> list[str]:
    """Bring the joined Push cluster ``name`` up to date with how its member is reached now: the
    Cluster's ``spec.apiEndpoint`` and the token and CA bundle of its two Secrets (a member that
    restarted on another port, or with new credentials). Idempotent: only what moved is patched;
    returns what was. The member side is ensured as join makes it."""
    cluster = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
    spec = cluster.get("spec") or {}
    cluster_id = (await member.get("/api/v1/namespaces/kube-system"))["metadata"]["uid"]
    if spec.get("id") and spec["id"] != cluster_id:
        raise JoinError(f"cluster {name!r} is joined with id {spec['id']}, but this member's id is {cluster_id}; unjoin it first")
    token_data, impersonator_data = await _member_identity(member, name, namespace)
    wanted = {
        "secretRef": {"token": token_data["token"], "caBundle": token_data.get("ca.crt", "")},
        "impersonatorSecretRef": {"token": impersonator_data["token"]},
    }
    changed: list[str] = []
    owner = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": name, "uid": cluster["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    for field, data in wanted.items():
        ref = spec.get(field) or {"namespace": namespace, "name": name if field == "secretRef" else f"{name}-impersonator"}
        path = f"/api/v1/namespaces/{ref['namespace']}/secrets"
        secret = await _create(control_plane, path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": ref["name"], "namespace": ref["namespace"], "labels": SYSTEM_LABELS, "ownerReferences": [owner]}, "data": data})
        if any((secret.get("data") or {}).get(k) != v for k, v in data.items()):
            await control_plane.patch(f"{path}/{ref['name']}", {"data": data})
            changed.append(f"secret {ref['namespace']}/{ref['name']}")
        if spec.get(field) != ref:
            spec[field] = ref
            changed.append(f"spec.{field}")
    if spec.get("apiEndpoint") != member.connection.server:
        spec["apiEndpoint"] = member.connection.server
        changed.append("spec.apiEndpoint")
    if any(x.startswith("spec.") for x in changed):
        await control_plane.patch(f"{c.CLUSTERS_PATH}/{name}", {"spec": {k: spec[k] for k in ("apiEndpoint", "secretRef", "impersonatorSecretRef")}})
    return changed


async def _delete(client: KubeClient, path: str) -> None:
    try:
        await client.delete(path)
    except ApiError as e:
        if not e.not_found:
            raise


async def unjoin_cluster(control_plane: KubeClient, member: KubeClient | None, name: str, *, namespace: str, wait: float, force: bool) -> None:
    try:
        cluster = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
    except ApiError as e:
        if not e.not_found:
            raise
        cluster = None
    if cluster is not None:
        if (cluster.get("spec") or {}).get("syncMode") == "Pull":
            raise JoinError(f"cluster {name} is a Pull-mode cluster; use `unregister` instead")
        await _delete(control_plane, f"{c.CLUSTERS_PATH}/{name}")
        deadline = time.monotonic() + wait
        while True:
            try:
                current = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
            except ApiError as e:
                if e.not_found:
                    break
                raise
            if time.monotonic() > deadline:
                if not force:
                    raise JoinError(f"cluster {name} was not removed within {wait:.0f}s (its finalizers remain); retry, or use --force")
                current["metadata"]["finalizers"] = []
                await control_plane.replace(f"{c.CLUSTERS_PATH}/{name}", current)
            await asyncio.sleep(0.5)
    # Control-plane secrets are garbage-collected with the Cluster (owner references); delete them
    # anyway so nothing is left even where no garbage collector runs.
    for secret in (name, f"{name}-impersonator"):
        await _delete(control_plane, f"/api/v1/namespaces/{namespace}/secrets/{secret}")
    if member is None:
        return
    role = controller_manager_role(name)
    for path in (
        f"{RBAC}/clusterrolebindings/{role}",
        f"{RBAC}/clusterroles/{role}",
        f"{RBAC}/clusterrolebindings/{c.IMPERSONATOR_NAME}",
        f"{RBAC}/clusterroles/{c.IMPERSONATOR_NAME}",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/karmada-{name}",
        f"/api/v1/namespaces/{namespace}",
    ):
        try:
            await _delete(member, path)
        except ApiError as e:
            if not force:
                raise
            log.warning("deleting %s in the member failed: %s", path, e)
    # Wait for the namespace to be gone, so that a join right after does not meet it terminating.
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            await member.get(f"/api/v1/namespaces/{namespace}")
        except ApiError as e:
            if e.not_found:
                return
            raise
        await asyncio.sleep(0.5)
    log.warning("namespace %s in the member is still terminating after %.0fs", namespace, wait)
