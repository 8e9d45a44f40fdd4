"""``unregister``: remove a Pull-mode cluster (surfaces.md 4.7): its Works, its Cluster, the
agent's control-plane RBAC (with ``--karmada-config``; else listed for manual clean-up), and in
the member everything register and the agent created. Without ``--karmada-config`` the
control plane is reached with the agent's own kubeconfig, read from the Secret its Deployment
mounts."""

from __future__ import annotations

import asyncio
import base64
import os
import posixpath
import tempfile
import time
from typing import Any

import aiohttp
import click

from pykarmada.karmada import constants as c
from pykarmada.karmada.bootstrap import rbac, steps
from pykarmada.karmada.cluster import validate_name
from pykarmada.karmada.names import execution_namespace
from pykarmada.karmadactl.commands.duration import GoDuration
from pykarmada.karmadactl.commands.kubeconfig import load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import ConfigError, Connection, load_kubeconfig
from pykarmada.kube.errors import ApiError

LOCAL_FILES = ("/etc/karmada/karmada-agent.conf", "/etc/karmada/pki/ca.crt")
POLL = 0.5


def _flag_value(command: list[str], flag: str) -> str:
    prefix = f"{flag}="
    return next((arg[len(prefix):] for arg in reversed(command) if arg.startswith(prefix)), "")


def agent_kubeconfig_location(deployment: dict[str, Any]) -> tuple[str, str, str]:
    """(Secret name, key, --karmada-context) of the control-plane kubeconfig the agent mounts."""
    pod = deployment["spec"]["template"]["spec"]
    container = (pod.get("containers") or [{}])[0]
    command = [*(container.get("command") or []), *(container.get("args") or [])]
    path = _flag_value(command, "--karmada-kubeconfig")
    directory, key = posixpath.dirname(path), posixpath.basename(path)
    volume = next((m["name"] for m in container.get("volumeMounts") or [] if posixpath.normpath(m.get("mountPath", "")) == directory), "")
    secret = next(((v.get("secret") or {}).get("secretName", "") for v in pod.get("volumes") or [] if v.get("name") == volume), "")
    if not path or not secret:
        raise click.ClickException(f"failed to find the Secret of the karmada kubeconfig the agent Deployment {deployment['metadata']['name']} mounts")
    return secret, key, _flag_value(command, "--karmada-context")


def connection_from_text(text: str, context: str) -> Connection:
    """A Connection from kubeconfig text (a private temporary file: the loader reads files)."""
    fd, path = tempfile.mkstemp(prefix="karmada-agent-", suffix=".kubeconfig")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return load_kubeconfig(path).connection(context or None)
    except ConfigError as e:
        raise click.ClickException(f"the agent's karmada kubeconfig: {e}") from None
    finally:
        os.unlink(path)


async def control_plane_from_agent(member: KubeClient, namespace: str, agent_name: str) -> Connection:
    try:
        deployment = await member.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{agent_name}")
    except ApiError as e:
        raise click.ClickException(f"failed to get Deployment {namespace}/{agent_name} in the member cluster: {e.message or e.reason}") from None
    secret_name, key, context = agent_kubeconfig_location(deployment)
    try:
        secret = await member.get(f"/api/v1/namespaces/{namespace}/secrets/{secret_name}")
    except ApiError:
        raise click.ClickException(f"failed to get Secret {namespace}/{secret_name}, which holds the agent's karmada kubeconfig") from None
    data = (secret.get("data") or {}).get(key)
    if not data:
        raise click.ClickException(f"Secret {namespace}/{secret_name} has no key {key}")
    return connection_from_text(base64.b64decode(data).decode(), context)


async def _wait_gone(client: KubeClient, path: str, deadline: float, what: str, *, collection: bool = False) -> None:
    while True:
        try:
            found = await client.get(path)
            if collection and not found.get("items"):
                return
        except ApiError as e:
            if e.not_found:
                return
            raise
        if time.monotonic() > deadline:
            raise click.ClickException(f"timed out waiting for {what} to be deleted")
        await asyncio.sleep(POLL)


async def unregister_cluster(control_plane: KubeClient, member: KubeClient, name: str, *, namespace: str, agent_name: str, cluster_namespace: str, wait: float, delete_rbac: bool, dry_run: bool) -> None:
    try:
        cluster = await control_plane.get(f"{c.CLUSTERS_PATH}/{name}")
    except ApiError as e:
        if e.not_found:
            raise click.ClickException(f"no cluster object {name} found in the karmada control plane") from None
        raise
    mode = (cluster.get("spec") or {}).get("syncMode")
    if mode == "Push":
        raise click.ClickException(f"cluster {name} is a Push mode member cluster, please use command `unjoin` if you want to continue unjoining the cluster")
    agent_rbac = [rbac.ref(o) for o in rbac.agent_rbac(name, cluster_namespace)]
    member_refs = rbac.member_cleanup(name, namespace, cluster_namespace, agent_name)
    if dry_run:
        click.echo(f"cluster({name}) would be unregistered (dry run); it would delete:")
        for item in [f"Works in {execution_namespace(name)}", f"Cluster/{name}", *map(str, agent_rbac if delete_rbac else []), *(f"member {r}" for r in member_refs)]:
            click.echo(f"  {item}")
        return
    deadline = time.monotonic() + wait
    works = f"/apis/work.karmada.io/v1alpha1/namespaces/{execution_namespace(name)}/works"
    click.echo(f"[unregister] Deleting the Works in {execution_namespace(name)}")
    for work in (await control_plane.list(works))["items"]:
        await steps.delete_quietly(control_plane, f"{works}/{work['metadata']['name']}")
    await _wait_gone(control_plane, works, deadline, f"the Works in {execution_namespace(name)}", collection=True)
    click.echo(f"[unregister] Deleting Cluster {name}")
    await steps.delete_quietly(control_plane, f"{c.CLUSTERS_PATH}/{name}")
    await _wait_gone(control_plane, f"{c.CLUSTERS_PATH}/{name}", deadline, f"Cluster {name}")
    if delete_rbac:
        click.echo("[unregister] Deleting the agent's RBAC and secrets in the control plane")
        secrets = [rbac.ObjectRef("v1", "Secret", s, cluster_namespace) for s in (name, f"{name}-impersonator")]
        failures = await steps.delete_objects(control_plane, [*secrets, *agent_rbac])
        if failures:
            raise click.ClickException(f"failed to delete the agent's RBAC in the control plane: {failures[0]}")
    else:
        click.echo("warning: the agent's RBAC in the control plane needs to be removed by hand (or run again with --karmada-config):", err=True)
        for item in agent_rbac:
            click.echo(f"  {item}", err=True)
    click.echo("[unregister] Deleting what register and the agent created in the member")
    for item in member_refs:
        try:
            await steps.delete_quietly(member, item.path())
        except ApiError as e:
            raise click.ClickException(f"failed to delete {item} in the member cluster: {e.message or e.reason}") from None
    for path in LOCAL_FILES:
        try:
            os.remove(path)
            click.echo(f"[unregister] Deleted local file {path}")
        except FileNotFoundError:
            pass
        except OSError as e:
            raise click.ClickException(f"failed to delete local file {path}: {e.strerror}") from None


@click.command("unregister")
@click.argument("cluster_name")
@click.option("--cluster-kubeconfig", default="", help="kubeconfig of the member cluster (required).")
@click.option("--cluster-context", default="", help="Context of the member in --cluster-kubeconfig (default: its current context).")
@click.option("--karmada-config", default="", help="kubeconfig of the control plane (default: the one the agent Deployment mounts).")
@click.option("--karmada-context", default="", help="Context in --karmada-config.")
@click.option("-n", "--namespace", default=c.KARMADA_SYSTEM_NAMESPACE, show_default=True, help="Namespace of karmada-agent in the member.")
@click.option("--agent-name", default=rbac.AGENT_NAME, show_default=True, help="Name of the karmada-agent Deployment.")
@click.option("--cluster-namespace", default=c.KARMADA_CLUSTER_NAMESPACE, show_default=True, help="Namespace in the control plane where the member's secrets are stored.")
@click.option("--wait", type=GoDuration(positive=True), default="60s", show_default=True, help="How long to wait for the Works and the Cluster to go.")
@click.option("--dry-run", is_flag=True, help="Check and list what would be deleted; change nothing.")
def unregister(cluster_name: str, cluster_kubeconfig: str, cluster_context: str, karmada_config: str, karmada_context: str, namespace: str, agent_name: str, cluster_namespace: str, wait: Any, dry_run: bool) -> None:
    """Remove a Pull-mode member cluster from the control plane."""
    errors = validate_name(cluster_name)
    if errors:
        raise click.ClickException(f"invalid cluster name({cluster_name}): {str(errors[0]).replace('metadata.name: ', '')}")
    if not cluster_kubeconfig:
        raise click.UsageError("--cluster-kubeconfig is required to reach the member cluster being unregistered")
    member_conn = load(cluster_kubeconfig, cluster_context, "member cluster")
    cp_conn = load(karmada_config, karmada_context, "control plane") if karmada_config else None

    async def run() -> None:
        async with KubeClient(member_conn) as member:
            conn = cp_conn or await control_plane_from_agent(member, namespace, agent_name)
            async with KubeClient(conn) as control_plane:
                await unregister_cluster(control_plane, member, cluster_name, namespace=namespace, agent_name=agent_name, cluster_namespace=cluster_namespace,
                                         wait=wait.total_seconds(), delete_rbac=cp_conn is not None, dry_run=dry_run)

    try:
        asyncio.run(run())
    except ApiError as e:
        raise click.ClickException(str(e)) from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
        raise click.ClickException(f"cannot reach the API server: {e or type(e).__name__}") from None
    if not dry_run:
        click.echo(f"cluster({cluster_name}) is unregistered successfully")
