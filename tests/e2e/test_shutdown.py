"""Clean shutdown (issue 8, section 7): each of our processes, sent SIGTERM with watches open,
ends its watches with a clean end of stream and exits 0 within 2 s; local-up run again starts
what stopped, and the environment is whole again."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from pykarmada.kube.config import Connection, connection_from_kubeconfig
from pykarmada.localup.state import Layout, load_state
from tests.e2e.framework.components import start_component, stop_component
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

AGGREGATOR = "karmada/karmada-aggregated-apiserver"
WEBHOOK = "karmada/karmada-webhook"
CONTROLLERS = "karmada/karmada-controller-manager"
EXIT_WITHIN = 2.0


def _local_up(env: LocalEnv) -> str:
    """`karmadactl local-up` again on the shared environment; returns what it printed."""
    common = [f"--state-dir={env.state_dir}", f"--kubeconfig-dir={env.kubeconfig_dir}"]
    size = [f"--members={len(env.state.members)}", f"--nodes-per-member={env.state.nodes_per_member}"]
    output = karmadactl("local-up", *size, *common).stderr
    env.state = load_state(Layout(env.state_dir))  # type: ignore[assignment]
    return output


@pytest.fixture
def restores(local_env: LocalEnv) -> Iterator[None]:
    """Whatever happens in the test, leave the shared environment whole (local-up starts what stopped)."""
    yield
    _local_up(local_env)


def _restart_as_child(env: LocalEnv, name: str) -> subprocess.Popen[bytes]:
    """The component stopped and started again by this test process, so its exit status is ours to read."""
    return start_component(env, stop_component(env, name))


def _terminate(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then the exit status; fails when the process is not gone within EXIT_WITHIN."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"pid {proc.pid} still running {EXIT_WITHIN}s after SIGTERM") from None


def _assert_restarted_by_local_up(env: LocalEnv, name: str) -> None:
    output = _local_up(env)
    assert f"starting {name}" in output, output
    assert env.state.not_running() == []
    for cluster in env.kubectl_json("get", "clusters")["items"]:
        ready = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True", cluster["metadata"]["name"]


@dataclass
class DirectWatch:
    """A watch on the aggregated API server itself (not through the control plane), read to its end
    in a thread: ``error`` is set when the stream does not end cleanly."""

    conn: Connection
    path: str
    started: threading.Event = field(default_factory=threading.Event)
    lines: list[bytes] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()

    async def _run(self) -> None:
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.conn.ssl_context())) as session:
                async with session.get(self.conn.server + self.path, params={"watch": "true"}) as resp:
                    assert resp.status == 200, await resp.text()
                    async for line in resp.content:  # a stream cut without its last chunk raises here
                        self.lines.append(line)
                        self.started.set()
        except BaseException as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.started.set()

    def finished(self, timeout: float) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"watch of {self.path} still open"
        assert self.error is None, f"watch of {self.path} did not end cleanly: {self.error!r}"


def _aggregator_connection(env: LocalEnv) -> Connection:
    admin = connection_from_kubeconfig(env.karmada_kubeconfig)
    port = env.state.ports[AGGREGATOR]
    return Connection(server=f"https://127.0.0.1:{port}", ca_pem=admin.ca_pem, client_cert_pem=admin.client_cert_pem, client_key_pem=admin.client_key_pem)


def test_aggregated_apiserver_ends_its_watches_and_exits_0(local_env: LocalEnv, restores: None, tmp_path: Path) -> None:
    proc = _restart_as_child(local_env, AGGREGATOR)
    wait_for(lambda: local_env.kubectl("get", "clusters", check=False).returncode == 0, timeout=60, what="clusters served again")
    # Through the control plane, as a user watches ...
    out = tmp_path / "watch.out"
    with open(out, "w") as stdout:
        kubectl_watch = subprocess.Popen(
            [str(local_env.kubectl_path), "--kubeconfig", local_env.karmada_kubeconfig, "get", "clusters", "--watch", "--no-headers"],
            stdout=stdout, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    try:
        wait_for(lambda: len(out.read_text().splitlines()) >= len(local_env.state.members), timeout=30, what="kubectl watch listing the clusters")
        # ... and directly: the clusters, and a member's namespaces through the proxy (streamed from member1).
        conn = _aggregator_connection(local_env)
        watches = [DirectWatch(conn, "/apis/cluster.karmada.io/v1alpha1/clusters"), DirectWatch(conn, "/apis/cluster.karmada.io/v1alpha1/clusters/member1/proxy/api/v1/namespaces")]
        for w in watches:
            assert w.started.wait(30) and w.lines, f"watch of {w.path} got no event (error: {w.error!r})"
        assert _terminate(proc) == 0
        for w in watches:
            w.finished(timeout=5)
        _, stderr = kubectl_watch.communicate(timeout=10)
        assert kubectl_watch.returncode == 0 and stderr == "", stderr
    finally:
        if kubectl_watch.poll() is None:
            kubectl_watch.kill()
    _assert_restarted_by_local_up(local_env, AGGREGATOR)


def test_webhook_server_exits_0(local_env: LocalEnv, restores: None) -> None:
    proc = _restart_as_child(local_env, WEBHOOK)
    policy = (
        "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: probe, namespace: default}\n"
        "spec: {resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: x}], placement: {}}\n"
    )
    wait_for(
        lambda: local_env.kubectl("create", "--dry-run=server", "-f", "-", input=policy, check=False).returncode == 0,
        timeout=60, what="the webhook admitting again",
    )  # fmt: skip
    assert _terminate(proc) == 0
    _assert_restarted_by_local_up(local_env, WEBHOOK)


def test_controller_process_releases_its_lease_and_exits_0(local_env: LocalEnv, restores: None) -> None:
    proc = _restart_as_child(local_env, CONTROLLERS)

    wait_for(lambda: f"_{proc.pid}_" in _lease_holder(local_env), timeout=60, what="the restarted controller process to lead")
    # Its informers hold watches on the control plane and the members; shutdown cancels them.
    assert _terminate(proc) == 0
    assert _lease_holder(local_env) == "", "the Lease was not given back"
    _assert_restarted_by_local_up(local_env, CONTROLLERS)


def _lease_holder(env: LocalEnv) -> str:
    lease = env.kubectl_json("get", "lease", "karmada-controller-manager", "-n", "karmada-system")
    return lease["spec"].get("holderIdentity") or ""
