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
from pykarmada.kube.watch import wait_for_object

log = logging.getLogger(__name__)


class JoinError(Exception):
    """A join or unjoin that cannot go on; the message says why and what to do."""


SYSTEM_LABELS = {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}
TOKEN_WAIT = 30.0
RBAC = "/apis/rbac.authorization.k8s.io/v1"


def controller_manager_role(cluster: str) -> str:
    return f"karmada-controller-manager:karmada-{cluster}"


async def _create(client: KubeClient, path: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The existing object of that name, else a new one. Read first: an agent may get what
    register made for it (its namespaces) but not create it."""
    named = f"{path}/{obj['metadata']['name']}"
    try:
        return await client.get(named)
    except ApiError as e:
        if not e.not_found:
            raise
    try:
        return await client.create(path, obj)
    except ApiError as e:
        if not e.already_exists:
            raise
        return await client.get(named)


async def _wait_token(client: KubeClient, namespace: str, name: str) -> dict[str, str]:
    """The token Secret's data once the member's token controller has filled it (watched)."""

    def filled(secret: dict[str, Any]) -> dict[str, str] | None:
        data = secret.get("data") or {}
        return data if data.get("token") else None

    try:
        return await wait_for_object(client, f"/api/v1/namespaces/{namespace}/secrets", name, filled, TOKEN_WAIT)
    except asyncio.TimeoutError:
        raise JoinError(
            f"secret {namespace}/{name} in the member got no token within {TOKEN_WAIT:.0f}s: "
            "is the member's kube-controller-manager (serviceaccount-token controller) running?"
        ) from None


async def _ensure_service_account(member: KubeClient, namespace: str, name: str) -> None:
    await _create(member, f"/api/v1/namespaces/{namespace}/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace, "labels": SYSTEM_LABELS}})


async def _service_account_token(member: KubeClient, namespace: str, name: str) -> dict[str, str]:
    """The ServiceAccount's token Secret of the same name (created if absent), once it has a token."""
    await _create(
        member,
        f"/api/v1/namespaces/{namespace}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {"name": name, "namespace": namespace, "labels": SYSTEM_LABELS, "annotations": {"kubernetes.io/service-account.name": name}},
        },
    )
    return await _wait_token(member, namespace, name)


async def member_credentials(
    member: KubeClient, cluster: str, namespace: str, *, credentials: bool = True, impersonator: bool = True
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """Create the member side of a registration: the namespace, and for each secret reported
    (``KubeCredentials``: ServiceAccount ``karmada-<c>`` with its ClusterRole and binding;
    ``KubeImpersonator``: ServiceAccount ``karmada-impersonator``) its token Secret. Returns the
    data of the two token Secrets, None for one not reported."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": SYSTEM_LABELS}}
    await _create(member, "/api/v1/namespaces", ns)
    impersonator_data = None
    if impersonator:
        await _ensure_service_account(member, namespace, c.IMPERSONATOR_NAME)
        impersonator_data = await _service_account_token(member, namespace, c.IMPERSONATOR_NAME)
    if not credentials:
        return None, impersonator_data
    sa = f"karmada-{cluster}"
    await _ensure_service_account(member, namespace, sa)
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
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": namespace}],
        },
    )
    return await _service_account_token(member, namespace, sa), impersonator_data


def registration_conflict(clusters: list[dict[str, Any]], name: str, cluster_id: str) -> tuple[bool, bool, bool]:
    """(id taken, name taken, same cluster) over the existing Clusters (surfaces.md 4.9): a Cluster
    with both this name and this id is the same member registering again."""
    id_used = name_used = False
    for cluster in clusters:
        same_id, same_name = (cluster.get("spec") or {}).get("id") == cluster_id, cluster["metadata"]["name"] == name
        if same_id and same_name:
            return True, True, True
        id_used, name_used = id_used or same_id, name_used or same_name
    return id_used, name_used, False


def secret_ref(namespace: str, name: str, *, impersonator: bool = False) -> dict[str, str]:
    """Where the control plane keeps a cluster's credentials: ``<c>``, or ``<c>-impersonator``."""
    return {"namespace": namespace, "name": f"{name}-impersonator" if impersonator else name}


async def report_secrets(
    control_plane: KubeClient, name: str, namespace: str, token_data: dict[str, str] | None, impersonator_data: dict[str, str] | None
) -> list[dict[str, Any]]:
    """In the control plane: the namespace, and Secrets ``<c>`` (``caBundle``, ``token``) and
    ``<c>-impersonator`` (``token``) for the token Secrets given; an existing Secret is kept.
    Returns the Secrets, as they are now."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": SYSTEM_LABELS}}
    await _create(control_plane, "/api/v1/namespaces", ns)
    path = f"/api/v1/namespaces/{namespace}/secrets"
    out = []
    if impersonator_data is not None:
        ref = secret_ref(namespace, name, impersonator=True)
        out.append(await _create(control_plane, path, {"apiVersion": "v1", "kind": "Secret", "metadata": {**ref, "labels": SYSTEM_LABELS}, "data": {"token": impersonator_data["token"]}}))
    if token_data is not None:
        ref = secret_ref(namespace, name)
        out.append(await _create(control_plane, path, {"apiVersion": "v1", "kind": "Secret", "metadata": {**ref, "labels": SYSTEM_LABELS}, "data": {"token": token_data["token"], "caBundle": token_data.get("ca.crt", "")}}))
    return out


def owner_reference(cluster: dict[str, Any]) -> dict[str, Any]:
    """A controller ownerReference to the Cluster: what it owns is garbage-collected with it."""
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": cluster["metadata"]["name"], "uid": cluster["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


async def own_secrets(control_plane: KubeClient, cluster: dict[str, Any], secrets: list[dict[str, Any]]) -> None:
    """Merge-patch the Secrets with the Cluster as their owner."""
    patch = {"metadata": {"ownerReferences": [owner_reference(cluster)]}}
    for secret in secrets:
        meta = secret["metadata"]
        await control_plane.patch(f"/api/v1/namespaces/{meta['namespace']}/secrets/{meta['name']}", patch)


async def member_cluster_id(member: KubeClient) -> str:
    """A member's identity (``spec.id``): the UID of its ``kube-system`` namespace."""
    return (await member.get("/api/v1/namespaces/kube-system"))["metadata"]["uid"]


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
    cluster_id = await member_cluster_id(member)
    clusters = (await control_plane.list(c.CLUSTERS_PATH))["items"]
    id_used, name_used, _ = registration_conflict(clusters, name, cluster_id)
    if name_used:
        raise JoinError(f"cluster name {name!r} is already taken by an existing Cluster")
    if id_used:
        holder = next(x["metadata"]["name"] for x in clusters if (x.get("spec") or {}).get("id") == cluster_id)
        raise JoinError(f"this member cluster (id {cluster_id}) is already joined as {holder!r}; unjoin it first")
    if dry_run:
        return None
    token_data, impersonator_data = await member_credentials(member, name, namespace)
    secrets = await report_secrets(control_plane, name, namespace, token_data, impersonator_data)
    spec: dict[str, Any] = {
        "id": cluster_id,
        "syncMode": "Push",
        "apiEndpoint": member.connection.server,
        "secretRef": secret_ref(namespace, name),
        "impersonatorSecretRef": secret_ref(namespace, name, impersonator=True),
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
    await own_secrets(control_plane, cluster, secrets)
    return cluster


async def refresh_join(control_plane: KubeClient, member: KubeClient, name: str, *, namespace: str) -> list[str]:
    """Bring the joined Push cluster ``name`` up to date with how its member is reached now: the
    Cluster's ``spec.apiEndpoint`` and the token and CA bundle of its two Secrets (a member that
    restarted on another port, or with new credentials). Idempotent: only what moved is patched;
    returns what was. The member side is ensured as join makes it."""
    cluster = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
    spec = cluster.get("spec") or {}
    cluster_id = await member_cluster_id(member)
    if spec.get("id") and spec["id"] != cluster_id:
        raise JoinError(f"cluster {name!r} is joined with id {spec['id']}, but this member's id is {cluster_id}; unjoin it first")
    token_data, impersonator_data = await member_credentials(member, name, namespace)
    assert token_data is not None and impersonator_data is not None
    wanted = {
        "secretRef": {"token": token_data["token"], "caBundle": token_data.get("ca.crt", "")},
        "impersonatorSecretRef": {"token": impersonator_data["token"]},
    }
    changed: list[str] = []
    owner = owner_reference(cluster)
    for field, data in wanted.items():
        ref = spec.get(field) or secret_ref(namespace, name, impersonator=field != "secretRef")
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
