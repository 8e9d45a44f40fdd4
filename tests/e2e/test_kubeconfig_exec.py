"""Kubeconfigs as users have them (issue 8, sections 4 and 5): a member joined through a kubeconfig
whose user is an exec credential plugin, the credential refreshed after it expires and after a
401, a proxy-url honoured, and karmadactl's control-plane flags placed before the verb, also as
``kubectl karmada``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig, load_kubeconfig
from pykarmada.localup.nodes import member_region_zone
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

NAMESPACE = "e2e-exec-auth"
ACCOUNT = "exec-admin"

# Prints an ExecCredential with the token in ./token, expiring ./lifetime seconds from now; counts
# its runs in ./count; hands out a refused token once when ./bad-once exists.
PLUGIN = """#!{python}
import datetime, json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
path = lambda name: os.path.join(here, name)
runs = int(open(path("count")).read()) + 1 if os.path.exists(path("count")) else 1
open(path("count"), "w").write(str(runs))
token = open(path("token")).read().strip()
if os.path.exists(path("bad-once")):
    os.unlink(path("bad-once"))
    token = "refused-token"
lifetime = int(open(path("lifetime")).read())
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lifetime)
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
status = {{"token": token, "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}
print(json.dumps({{"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status}}))
"""


def _ready(cluster: dict[str, Any]) -> str:
    return next((c["status"] for c in cluster.get("status", {}).get("conditions", []) if c["type"] == "Ready"), "Unknown")


class Plugin:
    """The plugin's folder, and the kubeconfig that runs it for one member."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def runs(self) -> int:
        count = self.folder / "count"
        return int(count.read_text()) if count.exists() else 0

    def set(self, name: str, value: str) -> None:
        (self.folder / name).write_text(value)


@pytest.fixture(scope="module")
def member(local_env: LocalEnv) -> str:
    return local_env.push_members[-1]


@pytest.fixture(scope="module")
def plugin(local_env: LocalEnv, member: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    """A cluster-admin ServiceAccount in the member, its token (TokenRequest) behind an exec plugin."""
    folder = tmp_path_factory.mktemp("exec-plugin")
    for obj in (
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT, "namespace": NAMESPACE}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{NAMESPACE}-{ACCOUNT}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": NAMESPACE}],
        },
    ):
        local_env.kubectl("apply", "-f", "-", input=yaml.safe_dump(obj), context=member)
    token = local_env.kubectl("create", "token", ACCOUNT, "-n", NAMESPACE, "--duration=1h", context=member).stdout.strip()
    script = folder / "plugin"
    script.write_text(PLUGIN.format(python=sys.executable))
    script.chmod(0o755)
    result = Plugin(folder)
    result.set("token", token)
    result.set("lifetime", "3600")
    # The member's server and CA as the admin kubeconfig has them; the user is the plugin.
    members = yaml.safe_load(Path(local_env.members_kubeconfig).read_text())
    context = next(c["context"] for c in members["contexts"] if c["name"] == member)
    cluster = next(c for c in members["clusters"] if c["name"] == context["cluster"])
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": "exec-user", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./plugin", "interactiveMode": "Never"}}}],
        "contexts": [{"name": member, "context": {"cluster": cluster["name"], "user": "exec-user"}}],
        "current-context": member,
    }
    (folder / "config").write_text(yaml.safe_dump(config))
    yield result
    local_env.kubectl("delete", "namespace", NAMESPACE, "--wait=false", "--ignore-not-found", context=member, check=False)
    local_env.kubectl("delete", "clusterrolebinding", f"{NAMESPACE}-{ACCOUNT}", "--ignore-not-found", context=member, check=False)


def _whoami(config: Path) -> str:
    """Two requests with one client built from ``config``; the username the member saw."""

    async def run() -> str:
        async with KubeClient(connection_from_kubeconfig(config)) as client:
            await client.get("/api/v1/namespaces/kube-system")
            review = await client.create("/apis/authentication.k8s.io/v1/selfsubjectreviews", {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
            return review["status"]["userInfo"]["username"]

    return asyncio.run(run())


def test_join_with_an_exec_plugin_kubeconfig(local_env: LocalEnv, member: str, plugin: Plugin) -> None:
    cp = ["--kubeconfig", local_env.karmada_kubeconfig]
    config = str(plugin.folder / "config")
    karmadactl("unjoin", member, *cp)
    wait_for(lambda: local_env.kubectl("get", "namespace", f"karmada-es-{member}", "--ignore-not-found", "-o", "name").stdout.strip() == "", timeout=60, what="execution namespace removal")
    region, zone = member_region_zone(int(member.removeprefix("member")))
    placement = ["--cluster-provider=kwok", f"--cluster-region={region}", f"--cluster-zones={zone}"]
    before = plugin.runs()
    joined = karmadactl("join", member, f"--cluster-kubeconfig={config}", *placement, *cp, check=False)
    if joined.returncode != 0:  # leave the environment as it was for the tests that follow
        karmadactl("join", member, "--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", member, *placement, *cp, check=False)
    assert joined.returncode == 0, joined.stderr
    assert f"cluster({member}) is joined successfully" in joined.stdout
    assert plugin.runs() > before  # the member side of join was done with the plugin's token
    wait_for(lambda: _ready(local_env.kubectl_json("get", "cluster", member)) == "True", timeout=60, what=f"{member} Ready after joining with the exec kubeconfig")
    cluster = local_env.kubectl_json("get", "cluster", member)
    assert cluster["spec"]["apiEndpoint"] == load_kubeconfig(config).connection().server


def test_credential_is_cached_then_refreshed_after_expiry(plugin: Plugin) -> None:
    config = plugin.folder / "config"
    plugin.set("lifetime", "3600")
    before = plugin.runs()
    assert _whoami(config) == f"system:serviceaccount:{NAMESPACE}:{ACCOUNT}"
    assert plugin.runs() == before + 1  # two requests, one run: the credential is cached

    # A credential that expires 11 s ahead is within 10 s of expiry after a second: the client
    # runs the plugin again on a later request.
    plugin.set("lifetime", "11")

    async def refreshes() -> bool:
        """Requests with one client until one of them ran the plugin again (at most 60 s)."""
        async with KubeClient(connection_from_kubeconfig(config)) as client:
            await client.get("/api/v1/namespaces/default")
            first = plugin.runs()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while plugin.runs() == first and loop.time() < deadline:
                await asyncio.sleep(0.5)
                await client.get("/api/v1/namespaces/default")
            return plugin.runs() > first

    assert asyncio.run(refreshes()), "the plugin did not run again after its credential expired"
    plugin.set("lifetime", "3600")


def test_a_401_refreshes_the_credential_once(plugin: Plugin) -> None:
    plugin.set("bad-once", "")
    before = plugin.runs()
    assert _whoami(plugin.folder / "config") == f"system:serviceaccount:{NAMESPACE}:{ACCOUNT}"
    assert plugin.runs() == before + 2  # the refused token, then a fresh one


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def _connect_proxy(targets: list[str]) -> asyncio.Server:
    """An HTTP CONNECT proxy on loopback that records where it was asked to go."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readuntil(b"\r\n\r\n")).decode()
        method, target, _ = request.split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            writer.close()
            return
        targets.append(target)
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_proxy_url_is_used(local_env: LocalEnv, member: str, tmp_path: Path) -> None:
    """A member kubeconfig with ``proxy-url``: the client tunnels through the proxy (CONNECT)."""
    members = yaml.safe_load(Path(local_env.members_kubeconfig).read_text())
    targets: list[str] = []

    async def run() -> str:
        proxy = await _connect_proxy(targets)
        port = proxy.sockets[0].getsockname()[1]
        for cluster in members["clusters"]:
            cluster["cluster"]["proxy-url"] = f"http://127.0.0.1:{port}"
        config = tmp_path / "config"
        config.write_text(yaml.safe_dump(members))
        try:
            async with KubeClient(connection_from_kubeconfig(config, member)) as client:
                return (await client.get("/api/v1/namespaces/kube-system"))["metadata"]["name"]
        finally:
            proxy.close()

    assert asyncio.run(run()) == "kube-system"
    server = connection_from_kubeconfig(local_env.members_kubeconfig, member).server
    assert targets == [server.removeprefix("https://")]


def _venv_path() -> dict[str, str]:
    return {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


def test_global_flags_before_the_verb(local_env: LocalEnv) -> None:
    proc = karmadactl("--kubeconfig", local_env.karmada_kubeconfig, "--karmada-context", "karmada-apiserver", "get", "clusters")
    names = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert names == sorted(local_env.state.members)


def test_kubectl_karmada_plugin_takes_the_same_flags(local_env: LocalEnv) -> None:
    assert Path(sys.executable).with_name("kubectl-karmada").exists()
    proc = subprocess.run(
        [str(local_env.kubectl_path), "karmada", "--kubeconfig", local_env.karmada_kubeconfig, "--karmada-context", "karmada-apiserver", "get", "clusters", "-n", "default"],
        capture_output=True, text=True, timeout=120, env=_venv_path(),
    )
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:]] == sorted(local_env.state.members)
