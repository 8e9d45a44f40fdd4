"""``addons enable|disable|list``: the optional components of a control plane init installed.

An addon is shipped once ``manifests/<addon name>*.yaml`` exists (render.py leaves those files to
this command); until then enabling it says that pykarmada does not ship it yet. Enabling renders
its files as init renders the rest (namespace, images, caBundle, label) with the CA from the host's
Secret karmada-cert; host objects go to the host cluster, the others to karmada-apiserver
(``--karmada-kubeconfig``). The Secrets an addon mounts are made first (``addon_secrets``).
karmada-scheduler-estimator is per member, as upstream: ``-C member --member-kubeconfig F
[--member-context C]``, checked by listing the member's nodes and pods. Status is read from the
host: the addon's Deployments and their readiness.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp
import click
import yaml

from pykarmada.karmadactl.cmdinit import addon_secrets, deploy, render
from pykarmada.karmadactl.commands.kubeconfig import load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import build_kubeconfig
from pykarmada.kube.discovery import RESTMapper
from pykarmada.kube.errors import ApiError

ADDONS = ("karmada-descheduler", "karmada-metrics-adapter", "karmada-scheduler-estimator", "karmada-search")
ESTIMATOR, DESCHEDULER = "karmada-scheduler-estimator", "karmada-descheduler"
MEMBER_NAME = "member_cluster_name"  # the estimator manifest's placeholder


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


async def _status(host: KubeClient, namespace: str, name: str, cluster: str = "") -> str:
    """The estimator's status is its copy for ``cluster``, or without one, every member's copy."""
    if not addon_files(name):
        return "unavailable (not shipped by pykarmada yet)"
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    if name == ESTIMATOR and not cluster:
        deployments = [d for d in (await host.list(path, labelSelector="cluster"))["items"] if d["metadata"]["name"].startswith(f"{ESTIMATOR}-")]
    else:
        try:
            deployments = [await host.get(f"{path}/{name}-{cluster}" if name == ESTIMATOR else f"{path}/{name}")]
        except ApiError as e:
            if not e.not_found:
                raise
            deployments = []
    if not deployments:
        return "disabled"
    return "enabled" if all(deploy.workload_ready(d)[0] for d in deployments) else "unhealthy"


def _estimator_values(name: str, cluster: str) -> dict[str, str] | None:
    return {MEMBER_NAME: cluster} if name == ESTIMATOR else None


def _check_cluster_flags(chosen: list[str], cluster: str, member_kubeconfig: str, *, enabling: bool) -> None:
    """Upstream's rules: the estimator needs ``-C`` (and, to enable, the member's kubeconfig);
    ``-C`` means nothing to the other addons."""
    if ESTIMATOR in chosen and not cluster:
        raise click.UsageError(f"{ESTIMATOR} is installed per member cluster: give -C/--cluster MEMBER" + (" --member-kubeconfig FILE [--member-context CONTEXT]" if enabling else ""))
    if cluster and ESTIMATOR not in chosen:
        raise click.UsageError(f"-C/--cluster is only for {ESTIMATOR} (or all)")
    if enabling and cluster and not member_kubeconfig:
        raise click.UsageError(f"--member-kubeconfig: the kubeconfig of member cluster {cluster} is needed to enable {ESTIMATOR}")


async def _member_kubeconfig(cluster: str, path: str, context: str) -> bytes:
    """The member's kubeconfig as one context, after checking it may list nodes and pods there
    (what the estimator watches)."""
    conn = load(path, context, f"member cluster {cluster}")
    async with KubeClient(conn) as member:
        for what, resource in (("nodes", "/api/v1/nodes"), ("pods", "/api/v1/pods")):
            try:
                await member.request("GET", resource, params={"limit": 1})
            except ApiError as e:
                raise click.ClickException(f"--member-kubeconfig: cannot list {what} of member cluster {cluster} ({e}); the estimator watches them") from None
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                raise click.ClickException(f"--member-kubeconfig: cannot reach member cluster {cluster} at {conn.server}: {e}") from None
    return yaml.safe_dump(build_kubeconfig([(context or cluster, conn)]), sort_keys=False).encode()


async def _missing(host: KubeClient, namespace: str, name: str) -> bool:
    try:
        await host.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        return False
    except ApiError as e:
        if e.not_found:
            return True
        raise


async def _addon_secrets(host: KubeClient, opts: render.InitOptions, name: str, cert: dict[str, str], cluster: str, member_kubeconfig: bytes) -> list[dict[str, Any]]:
    """The Secrets ``name`` mounts: certificates only when missing (enabling again keeps them), the
    member's kubeconfig always (it may have changed)."""
    ca = addon_secrets.ca_from_secret(cert)
    if name == ESTIMATOR:
        out = [addon_secrets.member_kubeconfig_secret(cluster, opts.namespace, member_kubeconfig)]
        if await _missing(host, opts.namespace, addon_secrets.ESTIMATOR_CERT_SECRET):
            out.append(addon_secrets.estimator_cert_secret(ca, opts.namespace, opts.domain))
        return out
    if name == DESCHEDULER and await _missing(host, opts.namespace, addon_secrets.DESCHEDULER_KUBECONFIG_SECRET):
        return addon_secrets.descheduler_secrets(ca, opts.namespace, opts.domain)
    return []


def _run(coro: Any, server: str) -> Any:
    try:
        return asyncio.run(coro)
    except (ApiError, deploy.InstallError) as e:
        raise click.ClickException(str(e)) from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
        raise click.ClickException(f"cannot reach {server}: {e}") from None


CLUSTER_OPTION = click.option("-C", "--cluster", default="", help=f"The member cluster of {ESTIMATOR}.")


@addons.command("list")
@_options
@CLUSTER_OPTION
def list_addons(kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str, cluster: str) -> None:
    """List the addons and their status."""
    host_conn = load(kubeconfig, context, "host cluster")

    async def run() -> list[tuple[str, str]]:
        async with KubeClient(host_conn) as host:
            return [(name, await _status(host, namespace, name, cluster)) for name in ADDONS]

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
@CLUSTER_OPTION
@click.option("--member-kubeconfig", default="", help=f"Member cluster's kubeconfig, for {ESTIMATOR}.")
@click.option("--member-context", default="", help=f"Member cluster's context in --member-kubeconfig, for {ESTIMATOR}.")
@click.option("--host-cluster-domain", default="cluster.local", show_default=True, help="The cluster domain of the host cluster.")
def enable(
    names: tuple[str, ...], kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str, image: str, pod_timeout: int,
    cluster: str, member_kubeconfig: str, member_context: str, host_cluster_domain: str,
) -> None:  # fmt: skip
    """Enable addons (karmada-descheduler, karmada-scheduler-estimator -C member, ... or all)."""
    chosen = _names(names)
    _not_shipped(chosen)
    _check_cluster_flags(chosen, cluster, member_kubeconfig, enabling=True)
    host_conn = load(kubeconfig, context, "host cluster")
    karmada_conn = load(karmada_kubeconfig, karmada_context, "karmada control plane")
    opts = render.InitOptions(namespace=namespace, image=image, domain=host_cluster_domain)

    async def run() -> None:
        member_config = await _member_kubeconfig(cluster, member_kubeconfig, member_context) if cluster else b""
        async with KubeClient(host_conn) as host, KubeClient(karmada_conn) as karmada:
            cert = (await host.get(f"/api/v1/namespaces/{namespace}/secrets/karmada-cert"))["data"]
            host_mapper, karmada_mapper = RESTMapper(host), RESTMapper(karmada)
            for name in chosen:
                try:
                    needed = await _addon_secrets(host, opts, name, cert, cluster, member_config)
                except ValueError as e:
                    raise click.ClickException(str(e)) from None
                for secret in needed:
                    await deploy.apply(host, host_mapper, secret)
                for item in render.render_files(opts, addon_files(name), base64.b64decode(cert["ca.crt"]), _estimator_values(name, cluster)):
                    client, mapper = (host, host_mapper) if item.target == render.HOST else (karmada, karmada_mapper)
                    await deploy.apply(client, mapper, item.obj)
                    if item.obj["kind"] in deploy.WORKLOADS:
                        await deploy.wait_workload(host, await deploy.path_of(host_mapper, item.obj), item.ref, pod_timeout, click.echo)
                click.echo(f"enabled {name}" + (f" for member cluster {cluster}" if name == ESTIMATOR else ""))

    _run(run(), host_conn.server)


@addons.command("disable")
@click.argument("names", nargs=-1)
@_options
@click.option("-f", "--force", is_flag=True, help="Disable addons without prompting for confirmation.")
@CLUSTER_OPTION
def disable(names: tuple[str, ...], kubeconfig: str, context: str, namespace: str, karmada_kubeconfig: str, karmada_context: str, force: bool, cluster: str) -> None:
    """Disable addons: delete the objects their manifests define (and an estimator's member kubeconfig)."""
    chosen = [n for n in _names(names) if addon_files(n)]
    _check_cluster_flags(chosen, cluster, "", enabling=False)
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
                objects = [(item.target, item.obj) for item in render.render_files(opts, addon_files(name), b"", _estimator_values(name, cluster))]
                if name == ESTIMATOR:  # the shared certificate stays for the other members' estimators
                    objects.insert(0, (render.HOST, addon_secrets.member_kubeconfig_secret(cluster, namespace, b"")))
                for target, obj in reversed(objects):
                    client, mapper = mappers[target]
                    try:
                        await client.delete(await deploy.path_of(mapper, obj))
                    except ApiError as e:
                        if not e.not_found:
                            raise
                click.echo(f"disabled {name}" + (f" for member cluster {cluster}" if name == ESTIMATOR else ""))

    _run(run(), host_conn.server)
