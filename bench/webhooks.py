"""Benchmark of karmada-webhook: admission latency added to PropagationPolicy creates, and memory.

    python bench/webhooks.py [--creates 1000] [--concurrency 16]

Starts a local-up environment (1 member, 1 node) in a temporary directory, then creates
PropagationPolicies with our async client, timing each create, in alternating rounds with the
webhook configurations removed and registered (a mutating and a validating review per create),
one create at a time and with ``--concurrency`` in flight. Prints p50/p99 of each, the difference,
the webhook server's CPU per create and its memory. Asserts nothing.
Target (issue 'Policy and work APIs with admission webhooks'): under 10 ms added at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pykarmada.kube.apply import apply_objects, load_manifests
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.discovery import RESTMapper
from pykarmada.kube.errors import ApiError
from pykarmada.localup.state import Layout, load_state
from pykarmada.localup.webhooks import CONFIGURATION_FILE, PROCESS_NAME, local_configurations

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
MANIFESTS = Path(__file__).resolve().parents[1] / "manifests"
CONFIG_PATHS = (
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/mutating-config",
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/validating-config",
)
LABEL = "propagationpolicy.karmada.io/permanent-id"


def policy(name: str) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
            "placement": {
                "clusterAffinity": {"clusterNames": ["member1"]},
                "replicaScheduling": {"replicaSchedulingType": "Divided"},
                "spreadConstraints": [{"maxGroups": 1}],
            },
        },
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def timed_creates(client: KubeClient, namespace: str, prefix: str, count: int, concurrency: int) -> list[float]:
    path = f"/apis/policy.karmada.io/v1alpha1/namespaces/{namespace}/propagationpolicies"
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            t0 = time.perf_counter()
            await client.create(path, policy(f"{prefix}-{i}"))
            latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def labelled(client: KubeClient, namespace: str, name: str) -> bool:
    path = f"/apis/policy.karmada.io/v1alpha1/namespaces/{namespace}/propagationpolicies"
    created = await client.create(path, policy(name))
    return LABEL in (created["metadata"].get("labels") or {})


async def wait_until(client: KubeClient, namespace: str, registered: bool) -> None:
    """kube-apiserver picks up configuration changes asynchronously; probe until it has."""
    for _ in range(200):
        try:
            if await labelled(client, namespace, f"probe-{uuid.uuid4().hex[:12]}") == registered:
                return
        except ApiError as e:
            if e.status != 403:  # the validating configuration seen before the mutating one
                raise
        await asyncio.sleep(0.1)
    raise TimeoutError("kube-apiserver did not pick up the webhook configuration change")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


async def set_registered(client: KubeClient, mapper: RESTMapper, configurations: list[dict], registered: bool, probe_ns: str) -> None:  # type: ignore[type-arg]
    if registered:
        await apply_objects(client, mapper, configurations, field_manager="bench")
    else:
        for p in reversed(CONFIG_PATHS):  # validating first: it refuses objects the mutating one did not default
            try:
                await client.delete(p)
            except ApiError as e:
                if not e.not_found:
                    raise
    await wait_until(client, probe_ns, registered)


async def run(state_dir: Path, kube_dir: Path, creates: int, concurrency: int, rounds: int) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None
    webhook_pid = next(p.pid for p in state.processes if p.name == PROCESS_NAME)
    conn = connection_from_kubeconfig(kube_dir / "karmada.config", "karmada-apiserver")
    ca_pem = (state_dir / "pki" / "karmada" / "ca.crt").read_bytes()
    port = state.ports["karmada/karmada-webhook"]
    configurations = local_configurations(load_manifests(MANIFESTS / CONFIGURATION_FILE), port=port, ca_pem=ca_pem)
    labels = {False: "without webhooks", True: "with webhooks"}
    results: dict[str, dict[int, list[float]]] = {label: {} for label in labels.values()}
    cpu_used, admitted = 0.0, 0
    async with KubeClient(conn) as client:
        mapper = RESTMapper(client)
        await client.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        print(f"webhook server memory after start: {rss_kib(webhook_pid)['VmRSS'] / 1024:.1f} MiB RSS", flush=True)
        await timed_creates(client, "bench", "warmup", 50, 1)
        # Alternate short runs with and without the webhooks so that load from other processes on
        # the machine falls on both alike.
        for r in range(rounds):
            for registered in (False, True) if r % 2 == 0 else (True, False):
                await set_registered(client, mapper, configurations, registered, "bench")
                cpu_before = cpu_seconds(webhook_pid)
                for c in sorted({1, concurrency}):
                    values = await timed_creates(client, "bench", f"r{r}-{str(registered).lower()}-c{c}", creates // rounds, c)
                    results[labels[registered]].setdefault(c, []).extend(values)
                    admitted += len(values) if registered else 0
                if registered:
                    cpu_used += cpu_seconds(webhook_pid) - cpu_before
    memory = rss_kib(webhook_pid)

    print(f"\nPropagationPolicy creates through kube-apiserver (our async client), {rounds} alternating rounds, latency in ms:")
    print(f"  {'':<18} {'in flight':>9} {'n':>6} {'p50':>8} {'p99':>8}")
    for label, runs in results.items():
        for c, values in runs.items():
            print(f"  {label:<18} {c:>9} {len(values):>6} {percentile(values, 50):8.2f} {percentile(values, 99):8.2f}")
    for c in results["with webhooks"]:
        with_, without = results["with webhooks"][c], results["without webhooks"][c]
        print(
            f"  added by the webhooks ({c} in flight): p50 {percentile(with_, 50) - percentile(without, 50):+.2f} ms, "
            f"p99 {percentile(with_, 99) - percentile(without, 99):+.2f} ms (target < 10 ms at p99)"
        )
    print(f"webhook server CPU: {cpu_used * 1000 / max(admitted, 1):.2f} ms per create (mutating + validating review), {os.cpu_count()} CPUs on this machine")
    print(f"webhook server memory after the runs: {memory['VmRSS'] / 1024:.1f} MiB RSS (peak {memory['VmHWM'] / 1024:.1f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="also time creates with this many in flight (1: skip)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating runs with and without the webhooks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-webhooks-") as tmp:
        state, kube = Path(tmp) / "state", Path(tmp) / "kube"
        up = [*KARMADACTL, "local-up", "--members=1", "--pull-members=0", "--nodes-per-member=1", f"--state-dir={state}", f"--kubeconfig-dir={kube}"]
        subprocess.run(up, check=True, capture_output=True)
        try:
            asyncio.run(run(state, kube, args.creates, args.concurrency, args.rounds))
        except ApiError as e:
            print(f"error: {e}", file=sys.stderr)
            raise SystemExit(1) from None
        finally:
            down = [*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"]
            subprocess.run(down, check=True, capture_output=True)


if __name__ == "__main__":
    main()
