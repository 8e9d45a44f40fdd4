"""Benchmark of Pull mode: registration and propagation through karmada-agent against Push.

    python bench/pull.py [--deployments 100]

Starts a local environment of two Push members, unjoins member2 and registers it again in Pull
mode as a user would (``token create --print-register-command``, then ``register``), running its
karmada-agent as local-up does. Prints the time from ``register`` to the Cluster Ready, then for
``--deployments`` single-replica Deployments created one at a time, alternately placed on member1
(Push) and member2 (Pull), the latency from create to the Deployment in the member (p50/p99 of
each), and the agent's peak RSS and CPU-seconds. Targets (issue 9): register to Ready under 5 s;
Pull p99 within 1.5x of Push; agent under 150 MiB. ``bench/agent.py`` measures the agent with
1,000 Works. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import build_kubeconfig, connection_from_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
PULL, PUSH = "member2", "member1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


def _karmadactl(*args: str) -> str:
    return subprocess.run([*KARMADACTL, *args], check=True, capture_output=True, text=True).stdout


def _deployment(name: str, namespace: str, cluster: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    labels = {"app": name}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": labels},
              "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                       "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name, "namespace": namespace},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                       "placement": {"clusterAffinity": {"clusterNames": [cluster]}}}}
    return deploy, policy


async def _ready(cp: KubeClient, name: str) -> bool:
    try:
        cluster = await cp.get(f"/apis/cluster.karmada.io/v1alpha1/clusters/{name}")
    except ApiError:
        return False
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (cluster.get("status") or {}).get("conditions") or [])


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    return f"p50 {values[len(values) // 2] * 1000:.0f} ms, p99 {values[min(len(values) - 1, int(0.99 * len(values)))] * 1000:.0f} ms"


async def run(state_dir: Path, workdir: Path, deployments: int) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None
    cp_config, members_config = state.karmada_kubeconfig, state.members_kubeconfig
    _karmadactl("unjoin", PULL, f"--kubeconfig={cp_config}", f"--cluster-kubeconfig={members_config}", f"--cluster-context={PULL}")
    member_config = workdir / "member.config"
    member_config.write_text(yaml.safe_dump(build_kubeconfig([(PULL, connection_from_kubeconfig(members_config, PULL))], current=PULL)))
    async with KubeClient(connection_from_kubeconfig(cp_config)) as cp, KubeClient(connection_from_kubeconfig(members_config, PULL)) as pull, \
            KubeClient(connection_from_kubeconfig(members_config, PUSH)) as push:
        while (await cp.list("/api/v1/namespaces", fieldSelector=f"metadata.name=karmada-es-{PULL}"))["items"]:
            await asyncio.sleep(0.5)  # until the unjoin's execution namespace is gone
        printed = _karmadactl("token", "create", "--print-register-command", f"--kubeconfig={cp_config}")
        args = shlex.split(printed.strip().splitlines()[-1])
        args = args[args.index("register") + 1:]
        t0 = time.perf_counter()
        _karmadactl("register", *args, f"--kubeconfig={member_config}", f"--cluster-name={PULL}")
        registered = time.perf_counter() - t0
        secret = await pull.get("/api/v1/namespaces/karmada-system/secrets/karmada-kubeconfig")
        agent_config = workdir / "agent.config"
        agent_config.write_bytes(base64.b64decode(secret["data"]["karmada-kubeconfig"]))
        log = (workdir / "agent.log").open("wb")
        agent = subprocess.Popen([sys.executable, "-m", "pykarmada.agent", f"--karmada-kubeconfig={agent_config}", f"--kubeconfig={member_config}",
                                  f"--cluster-name={PULL}", f"--cluster-api-endpoint={pull.connection.server}",
                                  f"--metrics-bind-address=127.0.0.1:{_port()}", f"--health-probe-bind-address=127.0.0.1:{_port()}"],
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            while not await _ready(cp, PULL):
                await asyncio.sleep(0.05)
            ready = time.perf_counter() - t0
            print(f"register: {registered:.2f} s (discovery, two CSRs, RBAC, member objects, rollout)")
            print(f"register to Cluster Ready (agent started right after): {ready:.2f} s (target < 5 s)")
            cpu0 = _cpu_seconds(agent.pid)
            ns = f"bench-pull-{uuid.uuid4().hex[:6]}"
            await cp.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            while True:  # namespace sync takes it to both members
                try:
                    await pull.get(f"/api/v1/namespaces/{ns}")
                    await push.get(f"/api/v1/namespaces/{ns}")
                    break
                except ApiError:
                    await asyncio.sleep(0.1)
            latencies: dict[str, list[float]] = {PUSH: [], PULL: []}
            for i in range(deployments):
                cluster, member = (PUSH, push) if i % 2 == 0 else (PULL, pull)
                deploy, policy = _deployment(f"d{i:04d}", ns, cluster)
                await cp.create(f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies", policy)
                start = time.perf_counter()
                await cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", deploy)
                while True:
                    try:
                        await member.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{deploy['metadata']['name']}")
                        break
                    except ApiError:
                        await asyncio.sleep(0.005)
                latencies[cluster].append(time.perf_counter() - start)
            print(f"create to Deployment in the member, Push ({PUSH}): {_percentiles(latencies[PUSH])}")
            print(f"create to Deployment in the member, Pull ({PULL}): {_percentiles(latencies[PULL])}")
            print(f"agent: peak RSS {_status_kib(agent.pid, 'VmHWM') / 1024:.0f} MiB (target < 150 MiB), "
                  f"{_cpu_seconds(agent.pid) - cpu0:.1f} CPU-s for {len(latencies[PULL])} Deployments")
            await cp.delete(f"/api/v1/namespaces/{ns}")
        finally:
            agent.terminate()
            agent.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-pull-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        subprocess.run([*KARMADACTL, "local-up", "--members=2", "--pull-members=0", "--nodes-per-member=12", f"--state-dir={state}", f"--kubeconfig-dir={kube}"],
                       check=True, capture_output=True)
        try:
            asyncio.run(run(Path(state), Path(tmp), args.deployments))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
