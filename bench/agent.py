"""Benchmark of karmada-agent: the last member of an environment is unjoined and registered in
Pull mode by a real agent process; N Works (one ConfigMap each) are created in its execution
namespace; prints

* the time until every ConfigMap exists in the member and every Work shows Applied and its
  manifest status,
* the agent's CPU-seconds for that (total and per Work) and its peak RSS (VmHWM).

    python bench/agent.py [--works 1000] [--state-dir DIR]

Without --state-dir it starts its own environment (3 members of 3 kwok nodes) in a temporary
directory. Afterwards the Works go (the agent removes the ConfigMaps), the Pull Cluster is deleted
while the agent still runs, and the member is joined in Push mode again. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmada.names import execution_namespace
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import build_kubeconfig, connection_from_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
AGENT = [sys.executable, "-m", "pykarmada.agent"]
WORKS = "/apis/work.karmada.io/v1alpha1/namespaces/{namespace}/works"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def work(namespace: str, target: str, i: int) -> dict:
    name = f"bench-{i:04d}"
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": target,
            "labels": {c.MANAGED_BY_KARMADA_LABEL: c.MANAGED_BY_KARMADA_LABEL_VALUE},
            "annotations": {c.WORK_NAMESPACE_ANNOTATION: namespace, c.WORK_NAME_ANNOTATION: name},
        },
        "data": {"index": str(i)},
    }
    return {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": {"name": name, "namespace": namespace}, "spec": {"workload": {"manifests": [manifest]}}}


def applied_with_status(w: dict) -> bool:
    status = w.get("status") or {}
    applied = any(x["type"] == "Applied" and x["status"] == "True" for x in status.get("conditions") or [])
    return applied and bool(status.get("manifestStatuses"))


async def wait_ready(cp: KubeClient, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cluster = await cp.get(f"{c.CLUSTERS_PATH}/{name}")
            if any(x["type"] == "Ready" and x["status"] == "True" for x in (cluster.get("status") or {}).get("conditions") or []):
                return
        except ApiError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit(f"cluster {name} not Ready after {timeout:.0f}s")


async def measure(cp: KubeClient, member: KubeClient, name: str, pid: int, n: int) -> None:
    es = execution_namespace(name)
    target = f"bench-agent-{uuid.uuid4().hex[:6]}"
    await member.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": target}})
    await asyncio.sleep(5)  # let the agent's start-up work settle before counting
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    sem = asyncio.Semaphore(32)

    async def create(i: int) -> None:
        async with sem:
            await cp.create(WORKS.format(namespace=es), work(es, target, i))

    await asyncio.gather(*(create(i) for i in range(n)))
    created = time.perf_counter() - t0
    applied_at = None
    while applied_at is None and time.perf_counter() - t0 < 900:
        in_member = len((await member.list(f"/api/v1/namespaces/{target}/configmaps", labelSelector=f"{c.MANAGED_BY_KARMADA_LABEL}=true", resourceVersion="0"))["items"])
        works = (await cp.list(WORKS.format(namespace=es)))["items"]
        if in_member >= n and sum(applied_with_status(w) for w in works if w["metadata"]["name"].startswith("bench-")) >= n:
            applied_at = time.perf_counter() - t0
        else:
            await asyncio.sleep(1)
    used = cpu_seconds(pid) - cpu0
    print(f"{n} Works created in {created:.1f} s")
    print(f"  all applied to {name} with their status after {applied_at:.1f} s" if applied_at else "  gave up after 900 s")
    print(f"agent: {used:.1f} CPU-s ({used / n * 1000:.1f} ms per Work), peak RSS {peak_rss_mib(pid):.0f} MiB")
    for i in range(n):
        try:
            await cp.delete(f"{WORKS.format(namespace=es)}/bench-{i:04d}")
        except ApiError:
            pass
    while any(w["metadata"]["name"].startswith("bench-") for w in (await cp.list(WORKS.format(namespace=es)))["items"]):
        await asyncio.sleep(1)
    await member.delete(f"/api/v1/namespaces/{target}")


def run(state_dir: Path, n: int, workdir: Path) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None
    name = state.members[-1]
    member_conn = connection_from_kubeconfig(state.members_kubeconfig, name)
    member_config = workdir / "member.config"
    member_config.write_text(yaml.safe_dump(build_kubeconfig([(name, member_conn)])))

    async def spec() -> dict:
        async with KubeClient(connection_from_kubeconfig(state.karmada_kubeconfig)) as cp:
            return (await cp.get(f"{c.CLUSTERS_PATH}/{name}"))["spec"]

    s = asyncio.run(spec())
    placement = [f"--cluster-provider={s.get('provider', '')}", f"--cluster-region={s.get('region', '')}", f"--cluster-zones={','.join(s.get('zones') or [])}"]
    cp_flags = ["--kubeconfig", state.karmada_kubeconfig, "--cluster-kubeconfig", state.members_kubeconfig, "--cluster-context", name]
    subprocess.run([*KARMADACTL, "unjoin", name, *cp_flags], check=True, capture_output=True)
    log = (workdir / "agent.log").open("wb")
    agent = subprocess.Popen([*AGENT, f"--karmada-kubeconfig={state.karmada_kubeconfig}", f"--kubeconfig={member_config}", f"--cluster-name={name}",
                              f"--cluster-api-endpoint={member_conn.server}", "--metrics-bind-address=0", "--health-probe-bind-address=0", *placement],
                             stdout=log, stderr=subprocess.STDOUT)

    async def body() -> None:
        async with KubeClient(connection_from_kubeconfig(state.karmada_kubeconfig), max_connections=64) as cp, KubeClient(member_conn) as member:
            await wait_ready(cp, name)
            try:
                await measure(cp, member, name, agent.pid, n)
            finally:
                await cp.delete(f"{c.CLUSTERS_PATH}/{name}")
                while True:
                    try:
                        await cp.get(f"{c.CLUSTERS_PATH}/{name}")
                    except ApiError as e:
                        if e.not_found:
                            break
                    await asyncio.sleep(1)

    try:
        asyncio.run(body())
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
        subprocess.run([*KARMADACTL, "unjoin", name, *cp_flags], capture_output=True)
        subprocess.run([*KARMADACTL, "join", name, *cp_flags, *placement], check=True, capture_output=True)
        print(f"{name} joined in Push mode again (agent log: {workdir / 'agent.log'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--works", type=int, default=1000)
    parser.add_argument("--state-dir", type=Path)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pykarmada-bench-agent-"))
    if args.state_dir:
        run(args.state_dir, args.works, workdir)
        return
    state, kube = workdir / "state", workdir / "kube"
    subprocess.run([*KARMADACTL, "local-up", "--members=3", "--pull-members=0", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)
    try:
        run(state, args.works, workdir)
    finally:
        subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
