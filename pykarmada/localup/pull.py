"""local-up's Pull-mode members, registered as a user registers one: ``karmadactl token create
--print-register-command`` against the control plane, then that ``register`` command against the
member (discovery with CA pinning, the agent's certificate through CSRs, its RBAC, the member-side
objects), and the bootstrap token deleted again. Under kwok the agent Deployment that register
creates runs no process, so local-up runs karmada-agent itself, as a supervised local process with
the kubeconfig register stored in the member (Secret ``karmada-system/karmada-kubeconfig``).

Each start brings that kubeconfig up to date with the control plane's current address (a restart
may move it) and picks up a certificate the agent's certRotation wrote into the Secret."""

from __future__ import annotations

import asyncio
import base64
import shlex
import sys
from pathlib import Path

import yaml

from pykarmada.certs.ca import write_private
from pykarmada.karmada import constants as c
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.nodes import member_region_zone
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.starter import ComponentFailed

AGENT = "karmada-agent"
AGENT_NAMESPACE = "karmada-system"
AGENT_SECRET = "karmada-kubeconfig"
ENDPOINT_PORTS = (f"{AGENT}/metrics", f"{AGENT}/health")
KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]


def agent_kubeconfig(ctx: InstallContext, member: ClusterPlan) -> Path:
    return member.kubeconfig(ctx.layout, f"{AGENT}-karmada")


def register_args(printed: str) -> list[str]:
    """The arguments after ``register`` in the line ``token create --print-register-command`` prints."""
    words = shlex.split(printed.strip().splitlines()[-1])
    if "register" not in words:
        raise ValueError(f"token create printed no register command: {printed.strip()!r}")
    return words[words.index("register") + 1:]


async def _karmadactl(ctx: InstallContext, member: ClusterPlan, step: str, *args: str) -> str:
    """Run one karmadactl command; its output goes to ``<member>/<step>``'s log file."""
    name = f"{member.name}/{step}"
    log = ctx.layout.log_file(name)
    proc = await asyncio.create_subprocess_exec(*KARMADACTL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), ctx.timeout * 3)
    log.write_bytes(out + err)
    if proc.returncode != 0:
        last = (err or out).decode(errors="replace").strip().splitlines()
        raise ComponentFailed(name, last[-1] if last else f"exit status {proc.returncode}", log_path=str(log))
    return out.decode()


async def registered(member: ClusterPlan) -> bool:
    """Whether register completed for ``member`` (its agent creates the Cluster later)."""
    async with KubeClient(member.connection("admin")) as client:
        return await client.exists(f"/api/v1/namespaces/{AGENT_NAMESPACE}/secrets/{AGENT_SECRET}")


async def register(ctx: InstallContext, member: ClusterPlan) -> None:
    """``token create`` + ``register`` for ``member``, then the token goes."""
    cp_config = str(ctx.control_plane.kubeconfig(ctx.layout, "admin"))
    printed = await _karmadactl(ctx, member, "token-create", "token", "create", "--print-register-command", "--ttl=1h",
                                "--description=local-up registration of " + member.name, f"--kubeconfig={cp_config}")
    args = register_args(printed)
    token = args[args.index("--token") + 1]
    region, zone = member_region_zone(member.index)
    try:
        await _karmadactl(ctx, member, "register", "register", *args, f"--kubeconfig={member.kubeconfig(ctx.layout, 'admin')}",
                          f"--cluster-name={member.name}", "--cluster-provider=kwok", f"--cluster-region={region}", f"--cluster-zones={zone}")
    finally:
        await _karmadactl(ctx, member, "token-delete", "token", "delete", token.split(".")[0], f"--kubeconfig={cp_config}")


async def write_agent_kubeconfig(ctx: InstallContext, member: ClusterPlan) -> None:
    """The agent's control-plane kubeconfig from the member's Secret, pointed at the control
    plane as it runs now (the Secret is corrected too, so the two never disagree)."""
    async with KubeClient(member.connection("admin")) as client:
        path = f"/api/v1/namespaces/{AGENT_NAMESPACE}/secrets/{AGENT_SECRET}"
        try:
            secret = await client.get(path)
        except ApiError as e:
            raise ComponentFailed(f"{member.name}/{AGENT}", f"secret {AGENT_NAMESPACE}/{AGENT_SECRET} in {member.name}: {e.message or e.reason}") from None
        config = yaml.safe_load(base64.b64decode(secret["data"][AGENT_SECRET]))
        server = ctx.control_plane.apiserver_url
        if any(entry["cluster"].get("server") != server for entry in config.get("clusters") or []):
            for entry in config.get("clusters") or []:
                entry["cluster"]["server"] = server
            secret["data"][AGENT_SECRET] = base64.b64encode(yaml.safe_dump(config, sort_keys=False).encode()).decode()
            await client.replace(path, secret)
    write_private(agent_kubeconfig(ctx, member), yaml.safe_dump(config, sort_keys=False).encode())


def agent_spec(ctx: InstallContext, member: ClusterPlan) -> ProcessSpec:
    region, zone = member_region_zone(member.index)
    argv = [
        sys.executable, "-m", "pykarmada.agent",
        f"--karmada-kubeconfig={agent_kubeconfig(ctx, member)}",
        f"--kubeconfig={member.kubeconfig(ctx.layout, 'admin')}",
        f"--cluster-name={member.name}",
        f"--cluster-api-endpoint={member.apiserver_url}",
        "--cluster-provider=kwok", f"--cluster-region={region}", f"--cluster-zones={zone}",
        f"--cluster-namespace={c.KARMADA_CLUSTER_NAMESPACE}",
        f"--leader-elect-resource-namespace={AGENT_NAMESPACE}",
        f"--metrics-bind-address=127.0.0.1:{member.ports[f'{AGENT}/metrics']}",
        f"--health-probe-bind-address=127.0.0.1:{member.ports[f'{AGENT}/health']}",
    ]
    name = f"{member.name}/{AGENT}"
    return ProcessSpec(name, argv, ctx.layout.log_file(name))
