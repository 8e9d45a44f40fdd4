"""The agent process (surfaces.md 5.3): register the cluster, then, as leader of Lease
``karmada-agent-<c>`` in the control plane, run the controllers' own reconcilers for this one
cluster: informers scoped to the Cluster ``<c>`` and to the Works of ``karmada-es-<c>`` (all the
agent's identity may list), member access through the agent's own client, and the cluster Lease
once the cluster is Ready. Endpoints, leader election and shutdown are the controller process's."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from pykarmada.agent.cert_rotation import CertRotationController
from pykarmada.agent.lease import ClusterLease
from pykarmada.agent.members import AgentMemberClients
from pykarmada.agent.options import CERT_ROTATION, CLUSTER_STATUS, EXECUTION, NOT_IMPLEMENTED, WORK_STATUS, AgentOptions
from pykarmada.agent.registration import RegistrationError, register
from pykarmada.controllers import registry
from pykarmada.controllers.context import ControllerContext, Options
from pykarmada.controllers.manager import run_controllers, serve
from pykarmada.karmada.constants import CLUSTERS_PATH
from pykarmada.karmada.names import execution_namespace
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection, connection_from_kubeconfig, default_connection
from pykarmada.kube.controller import Controller
from pykarmada.kube.errors import ApiError, ConfigError
from pykarmada.kube.informer import Informer, object_key, strip_managed_fields

log = logging.getLogger(__name__)
USER_AGENT = "karmada-agent"


def controller_options(o: AgentOptions) -> Options:
    """What the reused reconcilers read, from the agent's flags."""
    return Options(
        kubeconfig=o.karmada_kubeconfig,
        controllers="*",
        leader_elect=o.leader_elect,
        leader_elect_namespace=o.leader_elect_resource_namespace,
        leader_elect_lease_duration=o.leader_elect_lease_duration,
        leader_elect_renew_deadline=o.leader_elect_renew_deadline,
        leader_elect_retry_period=o.leader_elect_retry_period,
        cluster_status_update_frequency=o.cluster_status_update_frequency,
        cluster_success_threshold=o.cluster_success_threshold,
        cluster_failure_threshold=o.cluster_failure_threshold,
        workers=o.concurrent_work_syncs,
        metrics_bind_address=o.metrics_bind_address,
        health_probe_bind_address=o.health_probe_bind_address,
        feature_gates=o.feature_gates,
        sync_mode="Pull",
    )


def scoped_context(o: AgentOptions, control_plane: KubeClient, member: KubeClient) -> ControllerContext:
    """A controller context whose informers, under the paths the reconcilers ask for, hold only
    this cluster's Cluster and the Works of its execution namespace."""
    ctx = ControllerContext(controller_options(o), control_plane, AgentMemberClients(o.cluster_name, member))  # type: ignore[arg-type]
    ctx.informers[CLUSTERS_PATH] = Informer(control_plane, CLUSTERS_PATH, name=f"cluster {o.cluster_name}", transform=strip_managed_fields, fieldSelector=f"metadata.name={o.cluster_name}")
    works = f"/apis/work.karmada.io/v1alpha1/namespaces/{execution_namespace(o.cluster_name)}/works"
    ctx.informers[registry.WORKS] = Informer(control_plane, works, name=f"works in {execution_namespace(o.cluster_name)}", transform=strip_managed_fields)
    return ctx


def setup_controllers(ctx: ControllerContext, o: AgentOptions, member: KubeClient, lease: ClusterLease) -> list[Controller]:  # type: ignore[type-arg]
    controllers = []
    if o.enabled(CLUSTER_STATUS):
        controllers.append(registry.setup_cluster_status(ctx, on_ready=lease.start))
    if o.enabled(EXECUTION):
        controllers.append(registry.setup_execution(ctx))
    if o.enabled(WORK_STATUS):
        controllers.append(registry.setup_work_status(ctx))
    if o.enabled(CERT_ROTATION):
        clusters = ctx.informer(CLUSTERS_PATH)
        rotation = CertRotationController(
            ctx.control_plane, clusters, member, namespace=o.karmada_kubeconfig_namespace,
            interval=o.cert_rotation_checking_interval, threshold=o.cert_rotation_remaining_time_threshold,
        )
        ctrl = Controller(CERT_ROTATION, rotation.reconcile, workers=1)

        def on_cluster(_kind: str, obj: dict, old: dict | None) -> None:  # type: ignore[type-arg]
            if old is None or obj.get("spec") != old.get("spec"):  # status writes: no new check
                ctrl.queue.add(object_key(obj))

        clusters.add_handler(on_cluster)
        controllers.append(ctrl)
    for name in sorted(NOT_IMPLEMENTED):
        if name in o.controllers:
            log.warning("controller %s is not implemented by this agent; skipped", name)
    return controllers


def connections(o: AgentOptions) -> tuple[Connection, Connection]:
    """(control plane, member); a kubeconfig that cannot be used is an error naming its flag."""
    try:
        control_plane = connection_from_kubeconfig(o.karmada_kubeconfig or None, o.karmada_context or None)
    except ConfigError as e:
        raise ConfigError(f"control plane (--karmada-kubeconfig): {e}") from None
    try:
        member = default_connection(o.kubeconfig or None)
    except ConfigError as e:
        raise ConfigError(f"member cluster (--kubeconfig): {e}") from None
    return control_plane, member


async def run(o: AgentOptions) -> None:
    cp_conn, member_conn = connections(o)
    control_plane, member = KubeClient(cp_conn, user_agent=USER_AGENT), KubeClient(member_conn, user_agent=USER_AGENT)
    ctx = scoped_context(o, control_plane, member)
    clusters = ctx.informer(CLUSTERS_PATH)
    lease = ClusterLease(control_plane, lambda: clusters.get("", o.cluster_name), duration=o.cluster_lease_duration, renew_interval=o.lease_renew_interval)

    async def prepare() -> None:
        try:
            await register(control_plane, member, o)
        except (ApiError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            raise RegistrationError(f"failed to register with karmada control plane: {e}") from None

    async def lead() -> None:
        try:
            await run_controllers(ctx, setup_controllers(ctx, o, member, lease))
        finally:
            await lease.stop()

    await serve(ctx, f"karmada-agent-{o.cluster_name}", lead, prepare=prepare)
