"""``join`` and ``unjoin``: register a member cluster in Push mode, and undo it.

join creates in the member the namespace, service accounts, RBAC and token secrets the control
plane needs; in the control plane the credential Secrets and the Cluster, whose ``spec.id`` is the
member's kube-system UID. Object names are upstream's exactly (surfaces.md 4.3, 4.4).
"""

from __future__ import annotations

import asyncio
from typing import Any

import click

from pykarmada.karmada import constants as c
from pykarmada.karmada.cluster import validate_name
from pykarmada.karmada.join import JoinError, join_cluster, unjoin_cluster
from pykarmada.karmadactl.commands.completion import cluster_names
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError


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
@control_plane_options()
def join(cluster_name: str, cluster_kubeconfig: str, cluster_context: str, cluster_namespace: str, cluster_provider: str, cluster_region: str, cluster_zones: str, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Register a member cluster in Push mode."""
    _check_name(cluster_name)
    if cluster_namespace == c.KARMADA_SYSTEM_NAMESPACE:
        click.echo("warning: karmada-system is not recommended as the cluster namespace", err=True)
    cp_conn = load(kubeconfig, karmada_context, "control plane")
    member_conn = load(cluster_kubeconfig, cluster_context, "member cluster")
    zones = [z.strip() for z in cluster_zones.split(",") if z.strip()]

    async def run() -> None:
        async with KubeClient(cp_conn) as cp, KubeClient(member_conn) as member:
            await join_cluster(cp, member, cluster_name, namespace=cluster_namespace, provider=cluster_provider, region=cluster_region, zones=zones, dry_run=dry_run)

    _run(run())
    click.echo(f"cluster({cluster_name}) is joined successfully" if not dry_run else f"cluster({cluster_name}) can be joined (dry run)")


@click.command("unjoin")
@click.argument("cluster_name", shell_complete=cluster_names)
@click.option("--cluster-kubeconfig", default="", help="kubeconfig of the member cluster, to remove what join created there.")
@click.option("--cluster-context", default="", help="Context of the member (default: the cluster name).")
@click.option("--cluster-namespace", default=c.KARMADA_CLUSTER_NAMESPACE, show_default=True)
@click.option("--force", is_flag=True, help="Remove finalizers after --wait and ignore member clean-up failures.")
@click.option("--wait", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, help="Seconds to wait for the Cluster to go.")
@click.option("--dry-run", is_flag=True)
@control_plane_options()
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
    except (ApiError, JoinError) as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot reach the API server: {e}") from None
