"""Benchmark of propagation: Deployments applied to the control plane with a PropagationPolicy to
every member; prints

* p50/p99 of one Deployment from apply to running in every member (sequential samples),
* for N Deployments at once: time until all exist in the members, and until every template in the
  control plane shows its ready status,
* the controller process's peak memory,
* control-plane writes per Deployment by verb and resource (the control-plane kube-apiserver's own
  ``apiserver_request_total``, after minus before the run), and Events per Deployment.

    python bench/propagation.py [--deployments 1000] [--samples 20] [--state-dir DIR]

Without --state-dir it starts its own environment (3 members of 12 kwok nodes) in a temporary
directory. Prints figures; asserts nothing. Targets (issue 'Propagation'): single Deployment p50 under
1 s; 1,000 fully ready under 2 minutes; controller under 500 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]


def deployment(name: str, namespace: str) -> dict:
    labels = {"app": name, "bench": "propagation"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak = max(self.peak, int(line.split()[1]))
            except OSError:
                pass
            self._done.wait(0.5)

    def stop(self) -> None:
        self._done.set()
        self.join()


async def _ready_in_members(members: list[KubeClient], namespace: str, name: str) -> bool:
    for m in members:
        try:
            d = await m.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        except ApiError:
            return False
        if (d.get("status") or {}).get("readyReplicas") != 1:
            return False
    return True


WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE", "APPLY")


async def write_counts(cp: KubeClient) -> Counter[tuple[str, str]]:
    """Writes the control-plane kube-apiserver has served so far, by (verb, resource[/subresource])."""
    text = await cp.get("/metrics")
    out: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != "apiserver_request":
            continue
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "apiserver_request_total" and labels.get("verb") in WRITE_VERBS:
                resource = labels.get("resource", "") + (f"/{labels['subresource']}" if labels.get("subresource") else "")
                out[(labels["verb"], resource)] += int(sample.value)
    return out


async def settled_write_counts(cp: KubeClient, quiet: int = 10, limit: float = 60.0) -> Counter[tuple[str, str]]:
    """Write counts once the asynchronous tail (status write-backs, Events) has died down: fewer
    than ``quiet`` writes in 2 s (leases and heartbeats go on), or after ``limit`` seconds."""
    counts = await write_counts(cp)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(2)
        latest = await write_counts(cp)
        if sum(latest.values()) - sum(counts.values()) < quiet:
            return latest
        counts = latest
    return counts


def print_writes(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]], deployments: int) -> None:
    diff = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
    total = sum(diff.values())
    print(f"control-plane writes: {total} in all, {total / deployments:.2f} per Deployment")
    for (verb, resource), count in sorted(diff.items(), key=lambda kv: -kv[1]):
        print(f"  {verb:6} {resource:40} {count:7}  {count / deployments:6.2f} per Deployment")


async def count_events(cp: KubeClient, namespace: str, since: str) -> Counter[tuple[str, str, str]]:
    """Events about the run's templates and bindings (its namespace) and their Works (execution
    namespaces, recorded since ``since``): Event objects and their counts by (kind, reason)."""
    out: Counter[tuple[str, str, str]] = Counter()
    for event in (await cp.list("/api/v1/events"))["items"]:
        ns = event["metadata"]["namespace"]
        if ns == namespace or (ns.startswith("karmada-es-") and (event.get("lastTimestamp") or "") >= since):
            kind = event["involvedObject"].get("kind", "")
            out[("objects", kind, event["reason"])] += 1
            out[("count", kind, event["reason"])] += event.get("count") or 1
    return out


def print_events(events: Counter[tuple[str, str, str]], deployments: int) -> None:
    objects = sum(v for (what, _, _), v in events.items() if what == "objects")
    total = sum(v for (what, _, _), v in events.items() if what == "count")
    print(f"Events: {objects} objects ({objects / deployments:.2f} per Deployment), count sum {total} ({total / deployments:.2f} per Deployment)")
    for (what, kind, reason), n in sorted(events.items(), key=lambda kv: (kv[0][1], -kv[1])):
        if what == "objects":
            print(f"  {kind:18} {reason:28} {n / deployments:6.2f} objects, {events[('count', kind, reason)] / deployments:6.2f} count per Deployment")


async def run(state_dir: Path, n: int, samples: int) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    cp_conn = connection_from_kubeconfig(state.karmada_kubeconfig)
    member_conns = [connection_from_kubeconfig(state.members_kubeconfig, m) for m in state.members]
    controller = next(p for p in state.processes if p.name.endswith("karmada-controller-manager"))
    cp_apiserver = next(p for p in state.processes if p.name == "karmada/kube-apiserver")
    rss = PeakRss(controller.pid)
    rss.start()
    async with KubeClient(cp_conn, max_connections=64) as cp:
        members = [KubeClient(c) for c in member_conns]
        try:
            await cp.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            policy = {
                "apiVersion": "policy.karmada.io/v1alpha1",
                "kind": "PropagationPolicy",
                "metadata": {"name": "bench", "namespace": ns},
                "spec": {
                    "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"bench": "propagation"}}}],
                    "placement": {"clusterAffinity": {"clusterNames": state.members}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}},
                },
            }
            await cp.create(f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies", policy)
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            writes_before = await write_counts(cp)
            cpu_before = {pid: cpu_seconds(pid) for pid in (controller.pid, cp_apiserver.pid)}
            # Single Deployments, one at a time: apply -> Running (ready) in every member.
            latencies = []
            for i in range(samples):
                name = f"single-{i}"
                t0 = time.perf_counter()
                await cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name, ns))
                while not await _ready_in_members(members, ns, name):
                    await asyncio.sleep(0.02)
                latencies.append(time.perf_counter() - t0)
            latencies.sort()
            print(f"single Deployment, apply to running in {len(members)} members ({samples} samples): p50 {latencies[len(latencies) // 2]:.2f} s, p99 {latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]:.2f} s")

            # N at once.
            sem = asyncio.Semaphore(32)

            async def create(i: int) -> None:
                async with sem:
                    await cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(f"bulk-{i:04d}", ns))

            t0 = time.perf_counter()
            await asyncio.gather(*(create(i) for i in range(n)))
            created = time.perf_counter() - t0
            exist_at = ready_at = None
            while ready_at is None:
                if exist_at is None:
                    counts = [len((await m.list(f"/apis/apps/v1/namespaces/{ns}/deployments", labelSelector="bench=propagation", resourceVersion="0"))["items"]) for m in members]
                    if all(c >= n + samples for c in counts):
                        exist_at = time.perf_counter() - t0
                templates = (await cp.list(f"/apis/apps/v1/namespaces/{ns}/deployments", labelSelector="bench=propagation", resourceVersion="0"))["items"]
                ready = sum(1 for d in templates if (d.get("status") or {}).get("readyReplicas") == len(members))
                if ready >= n + samples:
                    ready_at = time.perf_counter() - t0
                    exist_at = exist_at or ready_at
                elif time.perf_counter() - t0 > 900:
                    print(f"gave up after 900 s: {ready} of {n + samples} templates ready")
                    break
                await asyncio.sleep(1)
            print(f"{n} Deployments created in the control plane in {created:.1f} s")
            if exist_at is not None:
                print(f"  all exist in {len(members)} members after {exist_at:.1f} s")
            if ready_at is not None:
                print(f"  all templates show ready status after {ready_at:.1f} s (target < 120 s)")
            print_writes(writes_before, await settled_write_counts(cp), n + samples)
            for label, pid in (("controller process", controller.pid), ("control-plane kube-apiserver", cp_apiserver.pid)):
                used = cpu_seconds(pid) - cpu_before[pid]
                print(f"{label}: {used:.1f} CPU-s, {used / (n + samples):.3f} per Deployment")
            print_events(await count_events(cp, ns, since), n + samples)
        finally:
            rss.stop()
            await cp.delete(f"/api/v1/namespaces/{ns}")
            for m in members:
                await m.close()
    print(f"controller process peak RSS: {rss.peak / 1024:.0f} MiB (target < 500 MiB)")
    warnings = sum("dropping events" in line for line in Path(controller.log).read_text(errors="replace").splitlines())
    if warnings:
        print(f"the controller process dropped Events: {warnings} warning(s), one per 1000 dropped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--state-dir", type=Path)
    args = parser.parse_args()
    if args.state_dir:
        asyncio.run(run(args.state_dir, args.deployments, args.samples))
        return
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-prop-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        subprocess.run([*KARMADACTL, "local-up", "--members=3", "--pull-members=0", "--nodes-per-member=12", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)
        try:
            asyncio.run(run(Path(state), args.deployments, args.samples))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
