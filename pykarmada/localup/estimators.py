"""local-up step: a karmada-scheduler-estimator for every member, and the karmada-descheduler.

Each estimator runs as a local process on loopback, watching its member with the member's admin
kubeconfig, serving with a certificate of the control plane's CA and requiring client
certificates of that CA. The scheduler finds it as upstream's does, through the Service
``karmada-scheduler-estimator-<member>`` in ``karmada-system`` of the control plane: an
ExternalName Service to ``localhost`` whose port 10352 targets the estimator's local port.

local-up turns on ``SchedulingOvercommitProtection`` (the scheduler's assumptions) and
``ResourceQuotaEstimate`` on the estimators and the controller process; upstream's defaults
leave both off.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from pykarmada.karmada.estimation.client import DEFAULT_PORT, DEFAULT_SERVICE_NAMESPACE, DEFAULT_SERVICE_PREFIX, estimator_service_name
from pykarmada.karmada.features import RESOURCE_QUOTA_ESTIMATE, SCHEDULING_OVERCOMMIT_PROTECTION
from pykarmada.kube.apply import apply_objects
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.discovery import RESTMapper, UnknownKind
from pykarmada.kube.errors import ApiError
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.pki import ESTIMATOR, EstimatorPki
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.starter import ComponentFailed, http_ok

DESCHEDULER = "karmada-descheduler"
# Upstream leaves both off; local-up turns them on (unless --upstream-defaults) so that the quota cap
# and the no-overcommit guarantee of concurrent scheduling show at once.
FEATURE_GATES = f"{RESOURCE_QUOTA_ESTIMATE}=true,{SCHEDULING_OVERCOMMIT_PROTECTION}=true"
# Ports of a member's estimator, in its plan (``member1/karmada-scheduler-estimator`` ...).
MEMBER_PORTS = (ESTIMATOR, f"{ESTIMATOR}/metrics", f"{ESTIMATOR}/health")
CONTROL_PLANE_PORTS = (f"{DESCHEDULER}/metrics", f"{DESCHEDULER}/health")


def estimator_process_name(member: str) -> str:
    return f"{member}/{ESTIMATOR}"


def estimator_spec(ctx: InstallContext, member: ClusterPlan, pki: EstimatorPki) -> ProcessSpec:
    serving = pki.serving[member.name]
    argv = [
        sys.executable,
        "-m",
        "pykarmada.estimator",
        f"--kubeconfig={member.kubeconfig(ctx.layout, 'admin')}",
        f"--cluster-name={member.name}",
        "--bind-address=127.0.0.1",
        f"--server-port={member.ports[ESTIMATOR]}",
        f"--grpc-auth-cert-file={serving.cert}",
        f"--grpc-auth-key-file={serving.key}",
        f"--grpc-client-ca-file={pki.ca}",
        f"--metrics-bind-address=127.0.0.1:{member.ports[f'{ESTIMATOR}/metrics']}",
        f"--health-probe-bind-address=127.0.0.1:{member.ports[f'{ESTIMATOR}/health']}",
        *([] if ctx.upstream_defaults else [f"--feature-gates={FEATURE_GATES}"]),
    ]
    name = estimator_process_name(member.name)
    return ProcessSpec(name, argv, ctx.layout.log_file(name))


def client_flags(pki: EstimatorPki) -> list[str]:
    """What the scheduler (controller process) and the descheduler need to call the estimators."""
    return [
        f"--scheduler-estimator-cert-file={pki.client.cert}",
        f"--scheduler-estimator-key-file={pki.client.key}",
        f"--scheduler-estimator-ca-file={pki.ca}",
    ]


def descheduler_spec(ctx: InstallContext, pki: EstimatorPki) -> ProcessSpec:
    cp = ctx.control_plane
    argv = [
        sys.executable,
        "-m",
        "pykarmada.descheduler",
        f"--kubeconfig={cp.kubeconfig(ctx.layout, 'karmada-controller-manager')}",
        "--leader-elect=true",
        f"--metrics-bind-address=127.0.0.1:{cp.ports[f'{DESCHEDULER}/metrics']}",
        f"--health-probe-bind-address=127.0.0.1:{cp.ports[f'{DESCHEDULER}/health']}",
        *client_flags(pki),
    ]
    name = f"karmada/{DESCHEDULER}"
    return ProcessSpec(name, argv, ctx.layout.log_file(name))


def service_objects(members: list[ClusterPlan]) -> list[dict[str, Any]]:
    """The ExternalName Services through which the scheduler finds each member's estimator."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": estimator_service_name(DEFAULT_SERVICE_PREFIX, m.name),
                "namespace": DEFAULT_SERVICE_NAMESPACE,
                "labels": {"app": ESTIMATOR, "cluster": m.name},
            },
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"name": "server", "port": DEFAULT_PORT, "protocol": "TCP", "targetPort": m.ports[ESTIMATOR]}],
            },
        }
        for m in members
    ]


async def start_estimators(ctx: InstallContext, members: list[ClusterPlan], pki: EstimatorPki, *, field_manager: str) -> None:
    """Register the Services, start every estimator and wait until each has synced its member."""
    try:
        async with KubeClient(ctx.control_plane.connection("admin")) as client:
            await apply_objects(client, RESTMapper(client), service_objects(members), field_manager=field_manager)
    except (ApiError, UnknownKind) as e:
        raise ComponentFailed("karmada/install", f"estimator Services: {e}") from e
    waits = []
    for member in members:
        record = ctx.starter.start(estimator_spec(ctx, member, pki))
        health = Connection(server=f"http://127.0.0.1:{member.ports[f'{ESTIMATOR}/health']}")
        waits.append(ctx.starter.wait(record, lambda h=health: http_ok(h, "/readyz"), ctx.timeout, "synced with its member"))
    await asyncio.gather(*waits)


def endpoint_urls(plans: list[ClusterPlan]) -> dict[str, str]:
    """Metrics and probes of the estimators (members) and the descheduler (control plane)."""
    urls = {}
    for plan in plans:
        component, prefix = (DESCHEDULER, DESCHEDULER) if plan.is_control_plane else (ESTIMATOR, f"{plan.name}/{ESTIMATOR}")
        if f"{component}/metrics" not in plan.ports:
            continue
        urls[f"{prefix}/metrics"] = f"http://127.0.0.1:{plan.ports[f'{component}/metrics']}/metrics"
        for probe in ("healthz", "readyz"):
            urls[f"{prefix}/{probe}"] = f"http://127.0.0.1:{plan.ports[f'{component}/health']}/{probe}"
    return urls


async def start_descheduler(ctx: InstallContext, pki: EstimatorPki) -> None:
    record = ctx.starter.start(descheduler_spec(ctx, pki))
    health = Connection(server=f"http://127.0.0.1:{ctx.control_plane.ports[f'{DESCHEDULER}/health']}")
    await ctx.starter.wait(record, lambda: http_ok(health, "/healthz"), ctx.timeout, "healthy")
