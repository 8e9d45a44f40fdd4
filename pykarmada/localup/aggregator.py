"""local-up's part for the aggregated API server: start it, give it its identity, register it.

From the shipped manifest it applies the RBAC (for the user of the server's client certificate,
as in a host cluster) and the APIService (caBundle filled in, port set). The in-cluster Deployment and
Service are replaced by the local process and an ExternalName Service to ``localhost``, which
kube-apiserver's aggregation layer resolves for Services of that type.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from pathlib import Path
from typing import Any

from pykarmada.karmada.commandlines import MODULES, aggregator_args
from pykarmada.kube.apply import apply_objects, load_manifests
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.discovery import RESTMapper
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.starter import http_ok

NAME = "karmada-aggregated-apiserver"
NAMESPACE = "karmada-system"
APISERVICES = ("v1alpha1.cluster.karmada.io", "v1alpha1.search.karmada.io")  # the second one is karmada-search
FIELD_MANAGER = "pykarmada-local-up"


def process_spec(ctx: InstallContext) -> ProcessSpec:
    cp = ctx.control_plane
    serving = cp.pki.serving[NAME]
    argv = [
        sys.executable,
        "-m",
        MODULES[NAME],
        *aggregator_args(
            kubeconfig=str(cp.kubeconfig(ctx.layout, NAME)),
            etcd_servers=f"https://127.0.0.1:{ctx.etcd_port}",
            etcd_ca=str(ctx.etcd_pki.ca),
            etcd_cert=str(ctx.etcd_pki.client.cert),
            etcd_key=str(ctx.etcd_pki.client.key),
            cert=str(serving.cert),
            key=str(serving.key),
            bind_address="127.0.0.1",
            secure_port=cp.ports[NAME],
        ),
    ]
    name = f"karmada/{NAME}"
    return ProcessSpec(name, argv, ctx.layout.log_file(name))


def registration_objects(manifest: list[dict[str, Any]], *, ca_pem: bytes, port: int) -> list[dict[str, Any]]:
    """The manifest's RBAC and APIService adapted to a local process, plus the ExternalName Service."""
    out = []
    services = []
    for obj in manifest:
        kind = obj["kind"]
        if kind in ("ClusterRole", "ClusterRoleBinding", "RoleBinding"):
            out.append(obj)
        elif kind == "APIService":
            obj["spec"]["caBundle"] = base64.b64encode(ca_pem).decode()
            obj["spec"]["service"]["port"] = port
            out.append(obj)
            services.append((obj["spec"]["service"]["name"], obj["metadata"]["labels"]["app"]))
    for service, app in services:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": service, "namespace": NAMESPACE, "labels": {"app": app, "apiserver": "true"}},
                "spec": {"type": "ExternalName", "externalName": "localhost", "ports": [{"port": port, "protocol": "TCP", "targetPort": port}]},
            }
        )
    return out


def _available(apiservice: dict[str, Any]) -> tuple[bool, str]:
    for cond in (apiservice.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Available":
            return cond.get("status") == "True", f"{cond.get('reason')}: {cond.get('message')}"
    return False, "no Available condition yet"


async def install(ctx: InstallContext, client: KubeClient, mapper: RESTMapper, manifests_dir: Path) -> None:
    cp = ctx.control_plane
    record = ctx.starter.start(process_spec(ctx))
    health = Connection(server=f"https://127.0.0.1:{cp.ports[NAME]}", ca_pem=cp.pki.ca.cert.read_bytes())
    objects = registration_objects(
        load_manifests(manifests_dir / f"{NAME}.yaml"), ca_pem=cp.pki.ca.cert.read_bytes(), port=cp.ports[NAME]
    )
    # RBAC first: the server reads extension-apiserver-authentication before it serves.
    await apply_objects(client, mapper, [o for o in objects if o["kind"] != "APIService"], field_manager=FIELD_MANAGER)
    await ctx.starter.wait(record, lambda: http_ok(health, "/readyz"), ctx.timeout)
    await apply_objects(client, mapper, [o for o in objects if o["kind"] == "APIService"], field_manager=FIELD_MANAGER)
    deadline = time.monotonic() + ctx.timeout
    for apiservice in APISERVICES:
        path = f"/apis/apiregistration.k8s.io/v1/apiservices/{apiservice}"

        async def available(path: str = path, apiservice: str = apiservice) -> bool:
            ok, why = _available(await client.get(path))
            if not ok and time.monotonic() > deadline:
                raise TimeoutError(f"APIService {apiservice} not Available: {why}")
            return ok

        group = apiservice.split(".", 1)[1]
        await ctx.starter.wait(record, available, ctx.timeout, f"Available as APIService {apiservice}")
        await ctx.starter.wait(record, lambda path=path, group=group: _discovered(client, path, group), ctx.timeout, f"{group} listed in aggregated discovery")


async def _discovered(client: KubeClient, apiservice_path: str, group_name: str) -> bool:
    """Whether kube-apiserver's aggregated discovery lists our resources. Its discovery manager can
    keep a failed first fetch as a stale entry; touching the APIService makes it fetch again."""
    doc = await client.request("GET", "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    for group in doc.get("items") or []:
        if group["metadata"]["name"] == group_name:
            if any(v.get("resources") for v in group.get("versions") or []):
                return True
    await client.patch(apiservice_path, {"metadata": {"annotations": {"pykarmada.io/discovery-resync": str(time.time())}}})
    await asyncio.sleep(1)
    return False
