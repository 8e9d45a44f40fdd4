"""``addons enable|disable|list``: the optional components of a control plane init installed.

An addon is shipped once ``manifests/<addon name>*.yaml`` exists (render.py leaves those files to
this command); until then enabling it says that pykarmada does not ship it yet. Enabling renders
its files as init renders the rest (namespace, images, caBundle, label) with the CA from the host's
Secret karmada-cert; host objects go to the host cluster, the others to karmada-apiserver
(``--karmada-kubeconfig``). Status is read from the host: the addon's Deployment and its readiness.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp
import click

from pykarmada.karmadactl.cmdinit import deploy, render
from pykarmada.karmadactl.commands.kubeconfig import load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import RESTMapper
from pykarmada.kube.errors import ApiError

ADDONS = ("karmada-descheduler", "karmada-metrics-adapter", "karmada-scheduler-estimator", "karmada-search")


def addon_files(name: str, manifests: Path = render.MANIFESTS) -> list[Path]:
    return sorted(p for p in manifests.glob(f"{name}*.yaml") if p.is_file())


def _names(names: tuple[str, ...]) -> list[str]:
    if "all" in names:
        return list(ADDONS)
    unknown = [n for n in names if n not in ADDONS]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or 'none given'}; choose from {', '.join(ADDONS)} or all", param_hint="addon names")
    return list(dict.fromkeys(names))


def _options(f: Any) -> Any:
    for decorate in reversed(
        (
            click.option("--kubeconfig", default="", help="Path to the host cluster's kubeconfig."),
            click.option("--context", default="", help="The name of the host cluster's kubeconfig context to use"),
            click.option("-n", "--namespace", default="karmada-system", show_default=True, help="namespace where Karmada components are installed."),
            click.option("--karmada-kubeconfig", default="/etc/karmada/karmada-apiserver.config", show_default=True, help="Path to the karmada control plane kubeconfig file."),
            click.option("--karmada-context", default="", help="The name of the karmada control plane kubeconfig context to use."),
        )
    ):
        f = decorate(f)
    return f


@click.group("addons")
def addons() -> None:
    """Enable or disable a Karmada addon."""


async def _status(host: KubeClient, namespace: str, name: str) -> str:
    if not addon_files(name):
        return "unavailable (not shipped by pykarmada yet)"
    try:
        deployment = await host.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    except ApiError as e:
        if e.not_found:
            return "disabled"
        raise
    ready, _ = deploy.workload_ready(deployment)
    return "enabled" if ready else "unhealthy"


def _run(coro: Any, server: str) -> Any:
    try:
        return asyncio.run(coro)
    except (ApiError, deploy.InstallError) as e:
        raise click.ClickException(str(e)) from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
        raise click.ClickException(f"cannot reach {server}: {e}") from None


@addons.command("list")
@_options
def list_addons(kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str) -> None:
    """List the addons and their status."""
    host_conn = load(kubeconfig, context, "host cluster")

    async def run() -> list[tuple[str, str]]:
        async with KubeClient(host_conn) as host:
            return [(name, await _status(host, namespace, name)) for name in ADDONS]

    rows = _run(run(), host_conn.server)
    width = max(len(n) for n in ADDONS + ("Addon Name",))
    click.echo(f"{'Addon Name':<{width}} | Status")
    for name, status in rows:
        click.echo(f"{name:<{width}} | {status}")


def _not_shipped(names: list[str]) -> None:
    missing = [n for n in names if not addon_files(n)]
    if missing:
        raise click.ClickException(f"pykarmada does not ship {', '.join(missing)} yet")


@addons.command("enable")
@click.argument("names", nargs=-1)
@_options
@click.option("--image", default=render.PYKARMADA_IMAGE, show_default=True, help="The pykarmada image of the addons.")
@click.option("--pod-timeout", type=click.IntRange(min=1), default=120, show_default=True, help="Seconds to wait for the addon's pods.")
def enable(names: tuple[str, ...], kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str, image: str, pod_timeout: int) -> None:
    """Enable addons (karmada-descheduler, karmada-scheduler-estimator, ... or all)."""
    chosen = _names(names)
    _not_shipped(chosen)
    host_conn = load(kubeconfig, context, "host cluster")
    karmada_conn = load(karmada_kubeconfig, karmada_context, "karmada control plane")
    opts = render.InitOptions(namespace=namespace, image=image)

    async def run() -> None:
        async with KubeClient(host_conn) as host, KubeClient(karmada_conn) as karmada:
            secret = await host.get(f"/api/v1/namespaces/{namespace}/secrets/karmada-cert")
            ca_b64 = secret["data"]["ca.crt"]
            host_mapper, karmada_mapper = RESTMapper(host), RESTMapper(karmada)
            for name in chosen:
                for item in render.render_files(opts, addon_files(name), base64.b64decode(ca_b64)):
                    client, mapper = (host, host_mapper) if item.target == render.HOST else (karmada, karmada_mapper)
                    await deploy.apply(client, mapper, item.obj)
                    if item.obj["kind"] in deploy.WORKLOADS:
                        await deploy.wait_workload(host, await deploy.path_of(host_mapper, item.obj), item.ref, pod_timeout, click.echo)
                click.echo(f"enabled {name}")

    _run(run(), host_conn.server)


@addons.command("disable")
@click.argument("names", nargs=-1)
@_options
@click.option("-f", "--force", is_flag=True, help="Disable addons without prompting for confirmation.")
def disable(names: tuple[str, ...], kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str, force: bool) -> None:
    """Disable addons: delete the objects their manifests define."""
    chosen = [n for n in _names(names) if addon_files(n)]
    if not chosen:
        click.echo("nothing to disable: pykarmada ships none of these addons yet")
        return
    if not force and not click.confirm(f"Disable {', '.join(chosen)}?", default=False):
        raise click.ClickException("disable cancelled")
    host_conn = load(kubeconfig, context, "host cluster")
    karmada_conn = load(karmada_kubeconfig, karmada_context, "karmada control plane")
    opts = render.InitOptions(namespace=namespace)

    async def run() -> None:
        async with KubeClient(host_conn) as host, KubeClient(karmada_conn) as karmada:
            mappers = {render.HOST: (host, RESTMapper(host)), render.KARMADA: (karmada, RESTMapper(karmada))}
            for name in chosen:
                for item in reversed(render.render_files(opts, addon_files(name), b"")):
                    client, mapper = mappers[item.target]
                    try:
                        await client.delete(await deploy.path_of(mapper, item.obj))
                    except ApiError as e:
                        if not e.not_found:
                            raise
                click.echo(f"disabled {name}")

    _run(run(), host_conn.server)
