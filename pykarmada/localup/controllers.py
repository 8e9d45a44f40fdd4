"""local-up's part for the controller process and for registering the members (Push mode here,
Pull mode in :mod:`pykarmada.localup.pull`)."""

from __future__ import annotations

import sys
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada.commandlines import MODULES, controller_manager_args
from pykarmada.karmada.join import join_cluster, refresh_join
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition, now_rfc3339, set_condition
from pykarmada.kube.errors import ApiError
from pykarmada.localup import estimators
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.nodes import member_region_zone
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup import pull
from pykarmada.localup.processes import ProcessSpec

NAME = "karmada-controller-manager"
# What upstream's cluster controller writes when a cluster's status stopped being posted.
STATUS_UNKNOWN_REASON = "ClusterStatusUnknown"
STATUS_UNKNOWN_MESSAGE = "Cluster status controller stopped posting cluster status."


# A development environment shows cluster failover at once: gates Failover and GracefulEviction
# on and NoExecute taints evicting (upstream defaults all but GracefulEviction to off). Policy
# preemption is on too, as upstream's local-up deploys its controller manager with every alpha
# and beta gate on (AllAlpha=true,AllBeta=true).
FAILOVER_GATES = "Failover=true,GracefulEviction=true,PropagationPolicyPreemption=true,StatefulFailoverInjection=true"
FAILOVER_FLAGS = ("--enable-no-execute-taint-eviction=true",)


def process_spec(ctx: InstallContext) -> ProcessSpec:
    cp = ctx.control_plane
    argv = [
        sys.executable,
        "-m",
        MODULES[NAME],
        *controller_manager_args(
            kubeconfig=str(cp.kubeconfig(ctx.layout, NAME)),
            metrics_bind_address=f"127.0.0.1:{cp.ports[f'{NAME}/metrics']}",
            health_probe_bind_address=f"127.0.0.1:{cp.ports[f'{NAME}/health']}",
            leader_namespace=c.KARMADA_SYSTEM_NAMESPACE,
        ),
    ]
    gates = []  # one --feature-gates flag: a second would replace the first
    if not ctx.upstream_defaults:
        gates.append(FAILOVER_GATES)
        argv += FAILOVER_FLAGS
    if ctx.estimator_pki is not None:
        argv += ["--enable-scheduler-estimator=true", *estimators.client_flags(ctx.estimator_pki)]
        if not ctx.upstream_defaults:
            gates.append(estimators.FEATURE_GATES)
    if gates:
        argv.append(f"--feature-gates={','.join(gates)}")
    name = f"karmada/{NAME}"
    return ProcessSpec(name, argv, ctx.layout.log_file(name))


async def join_member(control_plane: KubeClient, member: ClusterPlan) -> None:
    region, zone = member_region_zone(member.index)
    async with KubeClient(member.connection("admin")) as member_client:
        await join_cluster(control_plane, member_client, member.name, namespace=c.KARMADA_CLUSTER_NAMESPACE, provider="kwok", region=region, zones=[zone])


async def refresh_member(control_plane: KubeClient, member: ClusterPlan) -> list[str]:
    """A restarted environment keeps its Clusters; bring each up to date with its member as it
    runs now (a member whose port was taken meanwhile listens elsewhere)."""
    async with KubeClient(member.connection("admin")) as member_client:
        return await refresh_join(control_plane, member_client, member.name, namespace=c.KARMADA_CLUSTER_NAMESPACE)


async def mark_status_unknown(control_plane: KubeClient, name: str) -> None:
    """Say what is known of a Cluster whose status nobody posted while the environment was down:
    nothing (Ready Unknown, as upstream's cluster controller says of a cluster whose status stopped
    being posted). The next Ready=True is then a probe of this run, never one left in etcd."""
    path = f"{c.CLUSTERS_PATH}/{name}/status"
    while True:
        cluster = await control_plane.get(path)
        status = cluster.setdefault("status", {})
        status["conditions"] = set_condition(status.get("conditions"), c.CLUSTER_CONDITION_READY, "Unknown", STATUS_UNKNOWN_REASON, STATUS_UNKNOWN_MESSAGE)
        try:
            await control_plane.replace(path, cluster)
            return
        except ApiError as e:
            if not e.conflict:
                raise


def ready_since(cluster: dict[str, Any], since: str | None) -> bool:
    """Ready=True, and when ``since`` (RFC 3339) is given, become so at or after it."""
    ready = get_condition((cluster.get("status") or {}).get("conditions"), c.CLUSTER_CONDITION_READY)
    if ready is None or ready.get("status") != "True":
        return False
    return since is None or ready.get("lastTransitionTime", "") >= since


async def join_members(ctx: InstallContext, members: list[ClusterPlan], pull_members: list[ClusterPlan]) -> None:
    """Start the controller process, join every Push member and register every Pull member (each
    with its karmada-agent); return once each cluster is Ready in this run. Clusters that exist
    already (a restart) are brought up to date first and their old Ready condition set Unknown, so
    that the controller process neither probes a stale endpoint nor is taken as ready on a
    condition from before. A Pull member's agent updates its own Cluster when it starts."""
    since = now_rfc3339()
    everyone = [*members, *pull_members]
    async with KubeClient(ctx.control_plane.connection("admin")) as client:
        existing = {m.name for m in everyone if await client.exists(f"{c.CLUSTERS_PATH}/{m.name}")}
        moved = {m.name for m in members if m.name in existing and await refresh_member(client, m)}
        moved |= {m.name for m in pull_members if m.name in existing and not ctx.starter.is_running(f"{m.name}/{pull.AGENT}")}
        restarting = not ctx.starter.is_running(f"karmada/{NAME}")
        stale = existing if restarting else moved
        for name in sorted(stale):
            await mark_status_unknown(client, name)
        record = ctx.starter.start(process_spec(ctx))
        for member in members:
            if member.name not in existing:
                await join_member(client, member)
        agents = {}
        for member in pull_members:
            if not await pull.registered(member):
                await pull.register(ctx, member)
            await pull.write_agent_kubeconfig(ctx, member)
            agents[member.name] = ctx.starter.start(pull.agent_spec(ctx, member))

        async def ready(name: str) -> bool:
            return ready_since(await client.get(f"{c.CLUSTERS_PATH}/{name}"), since if name in stale else None)

        for member in everyone:
            await ctx.starter.wait(agents.get(member.name, record), lambda m=member: ready(m.name), ctx.timeout, f"reporting {member.name} Ready")
