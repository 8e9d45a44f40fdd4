"""``join`` and ``unjoin``: register a member cluster in Push mode, and undo it.

join creates in the member the namespace, service accounts, RBAC and token secrets the control
plane needs; in the control plane the credential Secrets and the Cluster, whose ``spec.id`` is the
member's kube-system UID. Object names are upstream's exactly (surfaces.md 4.3, 4.4).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import click

from pykarmada.aggregator.cluster import validate_name
from pykarmada.karmada import constants as c
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, default_kubeconfig, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

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
            raise click.ClickException(
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
            raise click.ClickException(f"cluster name {name!r} is already taken by an existing Cluster")
        if (existing.get("spec") or {}).get("id") == cluster_id:
            raise click.ClickException(
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
            raise click.ClickException(f"cluster {name} is a Pull-mode cluster; use `unregister` instead")
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
                    raise click.ClickException(f"cluster {name} was not removed within {wait:.0f}s (its finalizers remain); retry, or use --force")
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
            click.echo(f"warning: deleting {path} in the member failed: {e}", err=True)
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
    click.echo(f"warning: namespace {namespace} in the member is still terminating after {wait:.0f}s", err=True)


def _check_name(name: str) -> None:
    errors = validate_name(name)
    if errors:
        raise click.BadParameter(str(errors[0]).replace("metadata.name: ", ""), param_hint="CLUSTER_NAME")


@click.command("join")
@click.argument("cluster_name")
@click.option("--cluster-kubeconfig", default="", help="kubeconfig of the member cluster (default $KUBECONFIG or ~/.kube/config).")
@click.option("--cluster-context", default="", help="Context of the member in --cluster-kubeconfig (default: its current context).")
@click.option("--cluster-namespace", default=c.KARMADA_CLUSTER_NAMESPACE, show_default=True, help="Namespace of the cluster's secrets in the control plane.")
@click.option("--cluster-provider", default="", help="Cloud provider of the member.")
@click.option("--cluster-region", default="", help="Region of the member.")
@click.option("--cluster-zones", default="", help="Comma-separated failure zones of the member.")
@click.option("--dry-run", is_flag=True, help="Only check; change nothing.")
@control_plane_options
def join(cluster_name: str, cluster_kubeconfig: str, cluster_context: str, cluster_namespace: str, cluster_provider: str, cluster_region: str, cluster_zones: str, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Register a member cluster in Push mode."""
    _check_name(cluster_name)
    if cluster_namespace == c.KARMADA_SYSTEM_NAMESPACE:
        click.echo("warning: karmada-system is not recommended as the cluster namespace", err=True)
    cp_conn = load(kubeconfig, karmada_context, "control plane")
    member_conn = load(cluster_kubeconfig or default_kubeconfig(), cluster_context, "member cluster")
    zones = [z.strip() for z in cluster_zones.split(",") if z.strip()]

    async def run() -> None:
        async with KubeClient(cp_conn) as cp, KubeClient(member_conn) as member:
            await join_cluster(cp, member, cluster_name, namespace=cluster_namespace, provider=cluster_provider, region=cluster_region, zones=zones, dry_run=dry_run)

    _run(run())
    click.echo(f"cluster({cluster_name}) is joined successfully" if not dry_run else f"cluster({cluster_name}) can be joined (dry run)")


@click.command("unjoin")
@click.argument("cluster_name")
@click.option("--cluster-kubeconfig", default="", help="kubeconfig of the member cluster, to remove what join created there.")
@click.option("--cluster-context", default="", help="Context of the member (default: the cluster name).")
@click.option("--cluster-namespace", default=c.KARMADA_CLUSTER_NAMESPACE, show_default=True)
@click.option("--force", is_flag=True, help="Remove finalizers after --wait and ignore member clean-up failures.")
@click.option("--wait", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, help="Seconds to wait for the Cluster to go.")
@click.option("--dry-run", is_flag=True)
@control_plane_options
def unjoin(cluster_name: str, cluster_kubeconfig: str, cluster_context: str, cluster_namespace: str, force: bool, wait: float, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Remove a Push-mode member cluster."""
    cp_conn = load(kubeconfig, karmada_context, "control plane")
    member_conn = load(cluster_kubeconfig, cluster_context or cluster_name, "member cluster") if cluster_kubeconfig else None
    if dry_run:
        click.echo(f"cluster({cluster_name}) would be unjoined (dry run)")
        return

    async def run() -> None:
        async with KubeClient(cp_conn) as cp:
            member = KubeClient(member_conn) if member_conn else None
            try:
                await unjoin_cluster(cp, member, cluster_name, namespace=cluster_namespace, wait=wait, force=force)
            finally:
                if member:
                    await member.close()

    _run(run())
    click.echo(f"cluster({cluster_name}) is unjoined successfully")


def _run(coro: Any) -> None:
    try:
        asyncio.run(coro)
    except ApiError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot reach the API server: {e}") from None



