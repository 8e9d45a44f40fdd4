"""local-up's part for the controller process and for registering the members (Push mode)."""

from __future__ import annotations

import sys

from pykarmada.karmada import constants as c
from pykarmada.karmada.join import join_cluster
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.nodes import member_region_zone
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.processes import ProcessRecord, ProcessSpec

NAME = "karmada-controller-manager"


def process_spec(ctx: InstallContext) -> ProcessSpec:
    cp = ctx.control_plane
    argv = [
        sys.executable,
        "-m",
        "pykarmada.controllers",
        f"--kubeconfig={cp.kubeconfig(ctx.layout, NAME)}",
        "--controllers=*",
        "--leader-elect=true",
        f"--metrics-bind-address=127.0.0.1:{cp.ports[f'{NAME}/metrics']}",
        f"--health-probe-bind-address=127.0.0.1:{cp.ports[f'{NAME}/health']}",
    ]
    name = f"karmada/{NAME}"
    return ProcessSpec(name, argv, ctx.layout.log_file(name))


async def join_member(control_plane: KubeClient, member: ClusterPlan) -> None:
    """Join ``member`` unless it already is (a restarted environment keeps its Clusters)."""
    try:
        await control_plane.get(f"{c.CLUSTERS_PATH}/{member.name}")
        return
    except ApiError as e:
        if not e.not_found:
            raise
    region, zone = member_region_zone(member.index)
    async with KubeClient(member.connection("admin")) as member_client:
        await join_cluster(control_plane, member_client, member.name, namespace=c.KARMADA_CLUSTER_NAMESPACE, provider="kwok", region=region, zones=[zone])


async def cluster_ready(control_plane: KubeClient, name: str) -> bool:
    cluster = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
    return any(x.get("type") == "Ready" and x.get("status") == "True" for x in (cluster.get("status") or {}).get("conditions") or [])


async def join_members(ctx: InstallContext, controller: ProcessRecord, members: list[ClusterPlan]) -> None:
    async with KubeClient(ctx.control_plane.connection("admin")) as client:
        for member in members:
            await join_member(client, member)
        for member in members:
            await ctx.starter.wait(controller, lambda m=member: cluster_ready(client, m.name), ctx.timeout, f"reporting {member.name} Ready")
