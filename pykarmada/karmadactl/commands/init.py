"""``init`` and ``deinit``: install a Karmada control plane into a host cluster, and remove it.

init generates the certificates (pykarmada.certs), renders ``manifests/`` for the namespace
(pykarmada/karmadactl/cmdinit/render.py), creates the host's objects in upstream's order waiting
for each workload, applies the CRDs, RBAC, APIService and webhook configurations to the new
karmada-apiserver, and writes ``<karmada-data>/karmada-apiserver.config``. Flag names and defaults
are upstream's (surfaces.md 4.8).
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import click

from pykarmada.karmadactl.cmdinit import deploy, pki, render
from pykarmada.karmadactl.commands.kubeconfig import load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError

KUBECONFIG_NAME = "karmada-apiserver.config"


def _host_options(f: Any) -> Any:
    for decorate in reversed(
        (
            click.option("--kubeconfig", default="", help="absolute path to the kubeconfig file of the host cluster"),
            click.option("--context", "context", default="", help="The name of the kubeconfig context to use"),
            click.option("-n", "--namespace", default="karmada-system", show_default=True, help="Kubernetes namespace"),
        )
    ):
        f = decorate(f)
    return f


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _check_ips(values: list[str], flag: str) -> None:
    for value in values:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an IP address", param_hint=flag) from None


@click.command("init")
@_host_options
@click.option("--image", default=render.PYKARMADA_IMAGE, show_default=True, help="The pykarmada image of the controller process, webhook and aggregated apiserver.")
@click.option("--kube-image-registry", default=render.KUBE_REGISTRY, show_default=True, help="Registry of the Kubernetes images (kube-apiserver, kube-controller-manager, etcd).")
@click.option("--kube-image-tag", default=render.KUBERNETES, show_default=True, help="Kubernetes version of the control plane.")
@click.option("--etcd-image", default="", help="etcd image (default <kube-image-registry>/etcd:<pinned version>).")
@click.option("--etcd-storage-mode", type=click.Choice(["hostPath", "emptyDir"]), default="hostPath", show_default=True, help="etcd data storage mode.")
@click.option("--etcd-data", default="/var/lib/karmada-etcd", show_default=True, help="etcd data path, valid in hostPath mode.")
@click.option("-p", "--port", type=click.IntRange(30000, 32767), default=32443, show_default=True, help="Karmada apiserver service node port")
@click.option("--karmada-apiserver-advertise-address", default="", help="The IP address the Karmada API Server will advertise it's listening on. If not set, the address on the master node will be used.")
@click.option("-d", "--karmada-data", default="/etc/karmada", show_default=True, help="Karmada data path. kubeconfig cert and crds files")
@click.option("--karmada-pki", default="", help="Karmada pki path. Karmada cert files (default <karmada-data>/pki)")
@click.option("--cert-external-ip", default="", help="the external IP of Karmada certificate (e.g 192.168.1.2,172.16.1.2)")
@click.option("--cert-external-dns", default="", help="the external DNS of Karmada certificate (e.g localhost,localhost.com)")
@click.option("--host-cluster-domain", default="cluster.local", show_default=True, help="The cluster domain of karmada host cluster.")
@click.option("--wait-component-ready-timeout", type=click.IntRange(min=1), default=120, show_default=True, help="Seconds to wait for each component to be ready.")
@click.option("--dry-run", is_flag=True, help="Print every object as one YAML stream and write nothing.")
def init(**o: Any) -> None:
    """Install the Karmada control plane in a Kubernetes cluster."""
    external_ips, external_dns = _split(o["cert_external_ip"]), _split(o["cert_external_dns"])
    _check_ips(external_ips, "--cert-external-ip")
    if o["karmada_apiserver_advertise_address"]:
        _check_ips([o["karmada_apiserver_advertise_address"]], "--karmada-apiserver-advertise-address")
    opts = render.InitOptions(
        namespace=o["namespace"],
        image=o["image"],
        kube_image_registry=o["kube_image_registry"],
        kube_image_tag=o["kube_image_tag"],
        etcd_image=o["etcd_image"],
        port=o["port"],
        domain=o["host_cluster_domain"],
        etcd_storage_mode=o["etcd_storage_mode"],
        etcd_data=o["etcd_data"],
    )
    host_conn = load(o["kubeconfig"], o["context"], "host cluster")
    asyncio.run(_init(host_conn, opts, o, external_ips, external_dns))


async def _init(host_conn: Connection, opts: render.InitOptions, o: dict[str, Any], ips: list[str], dns: list[str]) -> None:
    async with KubeClient(host_conn) as host:
        try:
            await host.get("/version")
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ssl.SSLError) as e:
            raise click.ClickException(f"cannot reach the host cluster at {host_conn.server}: {e}") from None
        try:
            exists = await deploy.check_host(host, opts.namespace)
            address = o["karmada_apiserver_advertise_address"] or await deploy.node_address(host)
        except (deploy.InstallError, ApiError) as e:
            raise click.ClickException(str(e)) from None
        files = pki.generate(opts.namespace, domain=opts.domain, ips=[address, *ips], dns_names=dns)
        rendered = render.render(opts, files)
        if o["dry_run"]:
            click.echo(render.to_yaml_stream(rendered), nl=False)
            return
        await _install(host, rendered, files, opts, o, address, created_namespace=not exists)


async def _install(host: KubeClient, rendered: list[render.Rendered], files: dict[str, bytes], opts: render.InitOptions, o: dict[str, Any], address: str, *, created_namespace: bool) -> None:
    data_dir = Path(o["karmada_data"])
    pki_dir = Path(o["karmada_pki"]) if o["karmada_pki"] else data_dir / "pki"
    installer = deploy.Installer(host, rendered, timeout=o["wait_component_ready_timeout"], say=click.echo)
    written: list[Path] = []
    labelled_node = None
    server = f"https://{address}:{opts.port}"
    try:
        written = pki.write(files, pki_dir)
        click.echo(f"wrote the certificates to {pki_dir}")
        if opts.etcd_storage_mode == "hostPath":
            labelled_node = await deploy.label_etcd_node(host, None)
            if labelled_node:
                click.echo(f"labelled node {labelled_node} {render.ETCD_NODE_LABEL} for etcd's data")
        await installer.install_host_base()
        await installer.run_workloads([pki.ETCD_SERVICE, pki.APISERVER_SERVICE])
        karmada_conn = Connection(server=server, ca_pem=files["ca.crt"], client_cert_pem=files["karmada.crt"], client_key_pem=files["karmada.key"])
        async with KubeClient(karmada_conn) as karmada:
            await _wait_reachable(karmada, server, float(o["wait_component_ready_timeout"]))
            await installer.install_karmada(karmada)
        await installer.run_workloads(None)
        config = data_dir / KUBECONFIG_NAME
        config.write_bytes(render.karmada_apiserver_config(server, files))
        config.chmod(0o600)
    except (deploy.InstallError, ApiError, OSError, aiohttp.ClientError, asyncio.TimeoutError) as e:
        left = await installer.undo(created_namespace)
        if labelled_node:
            await host.patch(f"/api/v1/nodes/{labelled_node}", {"metadata": {"labels": {render.ETCD_NODE_LABEL: None}}})
        for path in written:
            path.unlink(missing_ok=True)
        if written and pki_dir.exists() and not any(pki_dir.iterdir()):
            shutil.rmtree(pki_dir, ignore_errors=True)
        tail = f"; left in the host cluster: {', '.join(left)}" if left else "; removed what it had created"
        raise click.ClickException(f"init failed: {e}{tail}") from None
    click.echo(f"Karmada is installed in namespace {opts.namespace}.\nkubeconfig of karmada-apiserver: {data_dir / KUBECONFIG_NAME} (server {server})")


async def _wait_reachable(karmada: KubeClient, server: str, timeout: float) -> None:
    """karmada-apiserver from outside the host (its node port), as the written kubeconfig reaches it."""
    click.echo(f"waiting for karmada-apiserver at {server}")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await karmada.get("/readyz")
            return
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ApiError) as e:
            if asyncio.get_running_loop().time() > deadline:
                raise deploy.InstallError(f"karmada-apiserver is not reachable at {server} within {timeout:g}s ({e}); check --karmada-apiserver-advertise-address and -p") from None
            await asyncio.sleep(2)


@click.command("deinit")
@_host_options
@click.option("--dry-run", is_flag=True, help="Run the command in dry-run mode, without making any server requests.")
@click.option("-f", "--force", is_flag=True, help="Reset cluster without prompting for confirmation.")
@click.option("--purge-namespace", is_flag=True, help="Run the command with purge-namespace, the namespace where Karmada components were installed will be deleted.")
def deinit(kubeconfig: str, context: str, namespace: str, dry_run: bool, force: bool, purge_namespace: bool) -> None:
    """Remove the Karmada control plane that init installed in the host cluster."""
    host_conn = load(kubeconfig, context, "host cluster")
    if not force and not dry_run and not click.confirm(f"Remove Karmada from namespace {namespace} of {host_conn.server}?", default=False):
        raise click.ClickException("deinit cancelled")

    async def run() -> None:
        async with KubeClient(host_conn) as host:
            await deploy.deinit(host, namespace, purge_namespace=purge_namespace, dry_run=dry_run, say=click.echo)

    try:
        asyncio.run(run())
    except ApiError as e:
        raise click.ClickException(str(e)) from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
        raise click.ClickException(f"cannot reach the host cluster at {host_conn.server}: {e}") from None
    click.echo(f"removed Karmada from namespace {namespace}" + (" (dry run)" if dry_run else ""))
