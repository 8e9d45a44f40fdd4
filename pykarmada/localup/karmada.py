"""Karmada's own parts in the local control plane: its namespace, its CRDs (``manifests/crds``),
and our servers with their registration objects. Each step is idempotent, so a restart of the
environment converges to the same state.

Our servers run as local processes, so registration points at loopback: webhooks by URL, the
aggregated API through an ExternalName Service to ``localhost``. The shipped manifests describe
the in-cluster installation; local-up rewrites only those addresses and the CA bundles.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click

from pykarmada.karmada.bootstrap.clusterinfo import cluster_info_configmap
from pykarmada.karmada.join import JoinError
from pykarmada.kube.apply import apply_objects, load_manifests
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import RESTMapper, UnknownKind
from pykarmada.kube.errors import ApiError
from pykarmada.localup import aggregator, controllers, webhooks
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.starter import ComponentFailed

FIELD_MANAGER = "pykarmada-local-up"
KARMADA_NAMESPACE = "karmada-system"
# Our servers that local-up starts in the control plane; each gets a port and a serving certificate.
BOOTSTRAP_RBAC = "bootstrap-token-rbac.yaml"
COMPONENTS = ("karmada-aggregated-apiserver", "karmada-webhook")
# Their plain-HTTP metrics and health-probe addresses, on loopback (ports named "<component>/<endpoint>").
ENDPOINT_PORTS = (
    "karmada-controller-manager/metrics",
    "karmada-controller-manager/health",
    "karmada-webhook/metrics",
    "karmada-webhook/health",
)


def endpoint_urls(ports: dict[str, int]) -> dict[str, str]:
    """Where each component serves its metrics and probes, from the control plane's own ports
    (``component -> port``); the aggregated API server serves ``/metrics`` on its secure port."""
    urls = {"karmada-aggregated-apiserver/metrics": f"https://127.0.0.1:{ports['karmada-aggregated-apiserver']}/metrics"}
    for component in ("karmada-controller-manager", "karmada-webhook"):
        urls[f"{component}/metrics"] = f"http://127.0.0.1:{ports[f'{component}/metrics']}/metrics"
        for probe in ("healthz", "readyz"):
            urls[f"{component}/{probe}"] = f"http://127.0.0.1:{ports[f'{component}/health']}/{probe}"
    return dict(sorted(urls.items()))


def manifests_dir() -> Path:
    """``manifests/`` of the checkout this package runs from."""
    return Path(__file__).resolve().parents[2] / "manifests"


async def install(ctx: InstallContext) -> None:
    """Install Karmada into the running control plane; failures name the step that failed."""
    async with KubeClient(ctx.control_plane.connection("admin")) as client:
        mapper = RESTMapper(client)
        try:
            await ensure_namespace(client, KARMADA_NAMESPACE)
            await install_crds(client, mapper, ctx.timeout)
            await install_bootstrap(client, mapper, ctx)
            await webhooks.install_webhook(ctx, client, mapper, manifests=manifests_dir(), field_manager=FIELD_MANAGER)
            await aggregator.install(ctx, client, mapper, manifests_dir())
        except (ApiError, UnknownKind, TimeoutError) as e:
            raise ComponentFailed("karmada/install", str(e)) from e


async def start_controllers_and_join(ctx: InstallContext, members: list[ClusterPlan], pull_members: list[ClusterPlan]) -> None:
    """After install() and once the members run: the controller process, every member joined in
    Push mode, every Pull member registered with its agent running."""
    try:
        await controllers.join_members(ctx, members, pull_members)
    except (ApiError, JoinError, click.ClickException) as e:
        raise ComponentFailed("karmada/join", str(e)) from e


async def ensure_namespace(client: KubeClient, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"karmada.io/system": "true"}}}
    try:
        await client.create("/api/v1/namespaces", body)
    except ApiError as e:
        if not e.already_exists:
            raise


async def install_bootstrap(client: KubeClient, mapper: RESTMapper, ctx: InstallContext) -> None:
    """What Pull-mode registration needs of the control plane: the bootstrap RBAC of
    ``manifests/bootstrap-token-rbac.yaml`` and ``kube-public/cluster-info`` with this run's
    server and CA (a restart on another port rewrites it; the bootstrapsigner signs it again)."""
    cp = ctx.control_plane
    objects = [*load_manifests(manifests_dir() / BOOTSTRAP_RBAC), cluster_info_configmap(cp.apiserver_url, cp.pki.ca.cert.read_bytes())]
    await apply_objects(client, mapper, objects, field_manager=FIELD_MANAGER)


async def install_crds(client: KubeClient, mapper: RESTMapper, timeout: float) -> None:
    """Apply every CRD of ``manifests/crds`` and wait until the API server serves them."""
    crd_dir = manifests_dir() / "crds"
    crds = load_manifests(crd_dir) if crd_dir.is_dir() else []
    if not crds:
        return
    await apply_objects(client, mapper, crds, field_manager=FIELD_MANAGER)
    deadline = time.monotonic() + timeout
    for crd in crds:
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
        while not _established(await client.get(path)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD {crd['metadata']['name']} not Established after {timeout:.0f}s")
            await asyncio.sleep(0.2)
    mapper.invalidate()


def _established(crd: dict) -> bool:  # type: ignore[type-arg]
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)
