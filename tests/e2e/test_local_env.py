"""The local environment of issue 'Foundation': real etcd, kube-apiservers, controller managers,
schedulers and kwok, started by `karmadactl local-up` and driven with the real kubectl."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import uuid
from pathlib import Path

import aiohttp
import pytest
import yaml

from pykarmada.certs import CertificateAuthority, KeyAndCert, issue_client_cert
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection, connection_from_kubeconfig, load_client_cert
from pykarmada.kube.watch import list_and_watch
from pykarmada.localup import karmada, processes
from pykarmada.localup.environment import is_port_free
from pykarmada.localup.state import Layout, load_state
from tests.e2e.framework import env as envlib
from tests.e2e.framework.env import LocalEnv, karmadactl


def test_control_plane_answers_kubectl_over_tls(local_env: LocalEnv) -> None:
    config = yaml.safe_load(Path(local_env.karmada_kubeconfig).read_text())
    assert Path(local_env.karmada_kubeconfig).name == "karmada.config"
    assert [c["name"] for c in config["contexts"]] == ["karmada-apiserver"]
    assert config["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    names = local_env.kubectl("get", "ns", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system", "namespace/kube-public"} <= set(names)


def test_members_report_ready_kwok_nodes(local_env: LocalEnv) -> None:
    config = yaml.safe_load(Path(local_env.members_kubeconfig).read_text())
    assert Path(local_env.members_kubeconfig).name == "members.config"
    assert [c["name"] for c in config["contexts"]] == local_env.state.members
    zones = set()
    for member in local_env.state.members:
        node_list = local_env.kubectl_json("get", "nodes", context=member)["items"]
        assert len(node_list) == local_env.state.nodes_per_member
        for node in node_list:
            ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
            assert ready == "True", f"{member}/{node['metadata']['name']} not Ready"
            assert node["status"]["allocatable"]["cpu"] == "8"
            assert node["status"]["allocatable"]["pods"] == "110"
            zones.add(node["metadata"]["labels"]["topology.kubernetes.io/zone"])
    assert len(zones) == len(local_env.state.members), "every member has a zone of its own"


async def _wait_ready_replicas(conn: Connection, namespace: str, name: str, want: int, timeout: float) -> dict:
    """Watch (not poll) the Deployment with our own async client until it has ``want`` ready replicas."""
    async with KubeClient(conn) as client:
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments"

        async def watch() -> dict:
            async for event in list_and_watch(client, path, fieldSelector=f"metadata.name={name}"):
                if (event.object.get("status") or {}).get("readyReplicas") == want:
                    return event.object
            raise AssertionError("watch ended")

        return await asyncio.wait_for(watch(), timeout)


def test_deployment_in_member_reaches_ready_replicas(local_env: LocalEnv) -> None:
    ns = f"e2e-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", ns, context="member1")
    try:
        local_env.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", ns, context="member1")
        conn = connection_from_kubeconfig(local_env.members_kubeconfig, "member1")
        deployment = asyncio.run(_wait_ready_replicas(conn, ns, "web", 3, timeout=90))
        assert deployment["status"]["readyReplicas"] == 3
        pods = local_env.kubectl_json("get", "pods", "-n", ns, context="member1")["items"]
        assert sorted(p["status"]["phase"] for p in pods) == ["Running"] * 3
        assert all(p["spec"]["nodeName"].startswith("member1-node-") for p in pods)
    finally:
        local_env.kubectl("delete", "namespace", ns, "--wait=false", context="member1", check=False)


# ---- TLS: the real servers accept the right certificates and refuse the others ------------------


async def _status_with_cert(server: str, ca_pem: bytes, client: KeyAndCert | None) -> int:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=ca_pem.decode())
    if client is not None:
        load_client_cert(ctx, client.cert_pem, client.key_pem)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        async with session.get(server + "/api/v1/namespaces") as resp:
            return resp.status


def _cluster_ca(env: LocalEnv, cluster: str) -> CertificateAuthority:
    pair = KeyAndCert.read(Layout(env.state_dir).pki / cluster, "ca")
    return CertificateAuthority(pair.key, pair.cert)


def test_apiserver_accepts_only_valid_client_certificates(local_env: LocalEnv) -> None:
    conn = connection_from_kubeconfig(local_env.karmada_kubeconfig)
    ca = _cluster_ca(local_env, "karmada")
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    cases = {
        "valid": (issue_client_cert(ca, "system:admin", ["system:masters"]), 200),
        "foreign CA": (issue_client_cert(CertificateAuthority.create("rogue"), "system:admin", ["system:masters"]), 401),
        "expired": (issue_client_cert(ca, "system:admin", ["system:masters"], not_before=past, validity=datetime.timedelta(days=1)), 401),
        # Anonymous requests stay enabled (Pull-mode `register` reads kube-public/cluster-info
        # anonymously), and RBAC gives system:anonymous nothing else.
        "no certificate": (None, 403),
    }
    for what, (cert, want) in cases.items():
        got = asyncio.run(_status_with_cert(conn.server, conn.ca_pem or b"", cert))
        assert got == want, f"{what}: got {got}, want {want}"


def test_clients_refuse_a_server_from_another_ca(local_env: LocalEnv) -> None:
    conn = connection_from_kubeconfig(local_env.karmada_kubeconfig)
    rogue = CertificateAuthority.create("rogue")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        asyncio.run(_status_with_cert(conn.server, rogue.cert_pem, None))


def test_etcd_requires_a_client_certificate(local_env: LocalEnv) -> None:
    pki = Layout(local_env.state_dir).pki / "etcd"
    server = f"https://127.0.0.1:{local_env.state.ports['etcd/client']}"
    ca_pem = (pki / "ca.crt").read_bytes()
    good = KeyAndCert.read(pki, "client")

    async def health(client: KeyAndCert | None) -> str:
        conn = Connection(server=server, ca_pem=ca_pem, client_cert_pem=client and client.cert_pem, client_key_pem=client and client.key_pem)
        async with KubeClient(conn, timeout=5) as c:
            return await c.get("/health")

    assert '"health":"true"' in asyncio.run(health(good))
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        asyncio.run(health(None))
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        asyncio.run(health(issue_client_cert(CertificateAuthority.create("rogue"), "kube-apiserver-etcd-client")))


# ---- local-up / local-down life cycle ---------------------------------------------------------


def test_local_up_while_running_reuses_or_refuses(local_env: LocalEnv) -> None:
    common = [f"--state-dir={local_env.state_dir}", f"--kubeconfig-dir={local_env.kubeconfig_dir}"]
    size = [f"--members={len(local_env.state.members)}", f"--nodes-per-member={local_env.state.nodes_per_member}"]
    again = karmadactl("local-up", *size, *common)
    assert "already running; reusing it" in again.stderr
    other = karmadactl("local-up", f"--members={len(local_env.state.members) + 1}", *common, check=False)
    assert other.returncode == 1
    assert "already running" in other.stderr and "local-down" in other.stderr
    assert load_state(Layout(local_env.state_dir)).not_running() == []


def test_local_down_leaves_no_process_and_frees_ports(tmp_path: Path) -> None:
    env = envlib.start(tmp_path, members=1, nodes_per_member=1)
    try:
        records, ports = env.state.processes, env.state.ports
        # etcd; control plane: apiserver, kcm, our servers (aggregated apiserver, webhook), controllers,
        # descheduler; one member, its scheduler-estimator and (the one member is Pull by default) its agent
        assert env.state.pull_members == ["member1"]
        assert len(records) == 1 + 2 + len(karmada.COMPONENTS) + 2 + 4 + 1 + 1
        karmadactl("local-down", f"--state-dir={env.state_dir}", f"--kubeconfig-dir={env.kubeconfig_dir}")
        assert [r.name for r in records if processes.is_running(r)] == []
        assert [name for name, port in ports.items() if not is_port_free(port)] == []
        assert load_state(Layout(env.state_dir)) is None
        # The state survives local-down: the same clusters come back with their data.
        envlib.start(tmp_path, members=1, nodes_per_member=1)
    finally:
        envlib.stop(env)  # also when an assertion failed: a leaked environment slows every later test
    assert not env.state_dir.exists()
    assert not Path(env.karmada_kubeconfig).exists()


def test_failed_start_names_the_component_and_leaves_nothing_running(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    # Make member1's kube-apiserver unable to start: its serving certificate is garbage.
    from pykarmada.localup.pki import ensure_cluster_pki

    pki = ensure_cluster_pki(Layout(state_dir).pki, "member1", control_plane=False)
    pki.apiserver.cert.write_text("not a certificate\n")
    proc = karmadactl(
        "local-up", "--members=1", "--nodes-per-member=1", f"--state-dir={state_dir}", f"--kubeconfig-dir={tmp_path / 'kube'}", check=False
    )
    assert proc.returncode == 1
    assert "member1/kube-apiserver failed: exited during start-up" in proc.stderr
    assert "last lines of" in proc.stderr and "member1-kube-apiserver.log" in proc.stderr
    assert load_state(Layout(state_dir)) is None
    leftover = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(state_dir) in _read(p)]
    assert leftover == []


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""
