"""Benchmark of karmada-search: a Deployment of kwok pods per member, a ResourceRegistry over them,
then through ``/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy``:

- cache RSS per cached pod (aggregated server RSS after the cache filled, minus before, / pods),
- LIST of up to 10,000 pods, p50/p99, whole and with limit=500 (all pages), by the Python client
  and by curl (``time_total``: the server and the wire without a Python client's TLS reads),
- GET of one pod, p50/p99,
- watch event latency p50/p99 (a label patched in a member until the proxy's watch shows it),
- peak RSS during 10 concurrent full LISTs, against idle.

The requests run twice: with the members' simulators (kwok, kube-controller-manager, kube-scheduler)
running, and again with them paused by SIGSTOP, their API servers and etcd still serving. On a
2-core machine the simulators of 30,000 pods take most of both cores; paused, the figures show what
the server does when the members run on their own machines, as they do in production.

    python bench/search.py [--pods 30000] [--members 3] [--namespace bench-search] [--state-dir DIR [--keep-pods]] [--no-pause]

Without --state-dir it starts its own environment in a temporary directory, with enough kwok nodes
per member for every pod to run (the measurements wait for them: a cache still ingesting status
updates measures the ingestion). With --state-dir, the per-pod figure holds only for an aggregated
server that has cached nothing since it started: memory an earlier cache freed is reused without
showing in RSS. Targets (issue 10):
<= 4 KB per cached pod; LIST 10k < 0.3 s; GET < 5 ms p50; peak RSS in the 10 LISTs < 1.3x idle.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp

from figures import pct_ms, rss_kib

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.kube.watch import watch_events
from pykarmada.localup.state import EnvState, Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
PROXY = "/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy"
NAMESPACE = "bench-search"
LIST_SIZE = 10_000
POD_SLOTS_PER_NODE = 110  # local-up's kwok nodes


class Peak(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self._done.wait(0.05)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def _deployment(replicas: int) -> dict:
    labels = {"app": "bench-search"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench", "namespace": NAMESPACE},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
            "containers": [{"name": "c", "image": "nginx"}],
            "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}]}}},
    }  # fmt: skip


async def _fill(members: list[KubeClient], per_member: int) -> None:
    for m in members:
        # A previous run's namespace may still be terminating: wait until it is gone.
        while True:
            try:
                ns = await m.get(f"/api/v1/namespaces/{NAMESPACE}")
            except ApiError as e:
                if e.not_found:
                    break
                raise
            if not (ns.get("metadata") or {}).get("deletionTimestamp"):
                break
            await asyncio.sleep(2)
        try:
            await m.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        except Exception:  # noqa: BLE001 - already there
            pass
        try:
            await m.create(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", _deployment(per_member))
        except Exception:  # noqa: BLE001
            await m.patch(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/bench", {"spec": {"replicas": per_member}})
    # Until the pods are running: while kwok still writes their status, the cache ingests a stream
    # of updates in the same event loop as the requests being measured. (kube-controller-manager may
    # mark a few pods not ready for a late node heartbeat, and kwok leaves them so: 95% will do.)
    for m in members:
        while True:
            status = (await m.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/bench")).get("status") or {}
            if status.get("replicas", 0) >= per_member and status.get("availableReplicas", 0) >= 0.95 * per_member:
                break
            await asyncio.sleep(2)


async def _timed(cp: KubeClient, path: str, n: int, **params: object) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await cp.request("GET", path, params=params or None)
        out.append(time.perf_counter() - t0)
    return out


async def _to_last_byte(cp: KubeClient, path: str, n: int, **params: object) -> tuple[list[float], list[float]]:
    """Request to the body's last byte (what the server and the wire cost), and the JSON decode of
    that body apart (what a Python client adds; kubectl's Go decoder is several times faster)."""
    received, decoded = [], []
    timeout = aiohttp.ClientTimeout(total=120)
    for _ in range(n):
        t0 = time.perf_counter()
        async with cp.open("GET", path, params=params or None, timeout=timeout) as resp:
            body = await resp.read()
        t1 = time.perf_counter()
        json.loads(body)
        received.append(t1 - t0)
        decoded.append(time.perf_counter() - t1)
    return received, decoded


class Curl:
    """LISTs timed by curl (``time_total``: request to last byte, in C): what the server and the wire
    cost, without a Python client's TLS reads, which take longer than the server at this size."""

    def __init__(self, state_dir: Path, port: int) -> None:
        pki = Layout(state_dir).pki / "karmada"
        self.base = f"https://127.0.0.1:{port}"
        self.args = ["curl", "-sS", "--fail", "--cacert", str(pki / "ca.crt"), "--cert", str(pki / "admin.crt"), "--key", str(pki / "admin.key")]

    def get(self, path: str, out: Path) -> float:
        done = subprocess.run([*self.args, "-o", str(out), "-w", "%{time_total}", self.base + path], capture_output=True, text=True, check=True)
        return float(done.stdout)

    def paged(self, path: str, limit: int, out: Path) -> float:
        """All pages; the continue token is read from the list's head, which comes first."""
        total, token = 0.0, ""
        while True:
            query = f"?limit={limit}" + (f"&continue={quote(token)}" if token else "")
            total += self.get(path + query, out)
            with out.open("rb") as f:
                head = f.read(4096)
            found = re.search(rb'"continue":"([^"]+)"', head)
            if not found:
                return total
            token = found[1].decode()


async def _paged(cp: KubeClient, path: str, n: int, limit: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        token, seen = "", 0
        while seen < LIST_SIZE:
            page = await cp.request("GET", path, params={"limit": limit, **({"continue": token} if token else {})})
            seen += len(page["items"])
            token = page["metadata"].get("continue", "")
            if not token:
                break
        out.append(time.perf_counter() - t0)
    return out


async def _watch_latency(cp: KubeClient, member: KubeClient, pod: str, n: int) -> list[float]:
    path = f"{PROXY}/api/v1/namespaces/{NAMESPACE}/pods"
    listing = await cp.request("GET", path, params={"limit": 1})
    latencies: list[float] = []
    sent: dict[str, float] = {}
    got = asyncio.Event()

    async def follow() -> None:
        async for ev in watch_events(cp, path, resource_version=listing["metadata"]["resourceVersion"], fieldSelector=f"metadata.name={pod}"):
            mark = (ev.object.get("metadata", {}).get("labels") or {}).get("bench-mark")
            if mark in sent:
                latencies.append(time.perf_counter() - sent.pop(mark))
                got.set()

    task = asyncio.create_task(follow())
    await asyncio.sleep(1)
    for _ in range(n):
        mark = uuid.uuid4().hex[:8]
        got.clear()
        sent[mark] = time.perf_counter()
        await member.patch(f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}", {"metadata": {"labels": {"bench-mark": mark}}})
        await asyncio.wait_for(got.wait(), 30)
    task.cancel()
    return latencies


SIMULATORS = ("kwok", "kube-controller-manager", "kube-scheduler")


def _simulators(state: EnvState) -> list[tuple[str, int]]:
    """PIDs of the members' simulators: on 2 cores, kwok's heartbeats and status writes for 92 nodes
    per member take most of the machine, so the server under test gets a fraction of a core."""
    return [(p.name, p.pid) for p in state.processes if "/" in p.name and p.name.split("/", 1)[0] in state.members and p.name.split("/", 1)[1] in SIMULATORS]


@contextlib.contextmanager
def _paused(pids: list[tuple[str, int]]) -> Iterator[None]:
    """SIGSTOP, then SIGCONT with kwok first: its node leases are renewed before
    kube-controller-manager looks at them again, so no node is marked NotReady for the pause (which
    would turn pods unready and leave them so)."""
    for _, pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        kwok = [pid for name, pid in pids if name.endswith("/kwok")]
        for pid in kwok:
            os.kill(pid, signal.SIGCONT)
        time.sleep(5)
        for pid in (pid for _, pid in pids if pid not in kwok):
            os.kill(pid, signal.SIGCONT)


async def _requests(cp: KubeClient, members: list[KubeClient], state: EnvState, state_dir: Path, path: str, pods: int, aggregator_pid: int) -> None:
    """The timed requests: LISTs, GETs, watch latency, RSS under concurrent LISTs."""
    size = min(LIST_SIZE, pods)
    received, decoded = await _to_last_byte(cp, path, 10, limit=size)
    print(f"LIST {size} pods by the Python client, to the last byte: p50 {pct_ms(received, .5):.0f} ms  p99 {pct_ms(received, .99):.0f} ms;"
          f" a Python client's json.loads adds p50 {pct_ms(decoded, .5):.0f} ms")
    paged = await _paged(cp, path, 5, 500)
    print(f"LIST {size} pods, limit=500 pages, by the Python client: p50 {pct_ms(paged, .5):.0f} ms  p99 {pct_ms(paged, .99):.0f} ms")
    if shutil.which("curl"):
        curl, body = Curl(state_dir, state.ports["karmada/kube-apiserver"]), Path(tempfile.mkstemp(suffix=".json")[1])
        try:
            whole = [curl.get(f"{path}?limit={size}", body) for _ in range(10)]
            pages = [curl.paged(path, 500, body) for _ in range(5)]
        finally:
            body.unlink()
        print(f"LIST {size} pods by curl: p50 {pct_ms(whole, .5):.0f} ms  p99 {pct_ms(whole, .99):.0f} ms (target < 300);"
              f" in limit=500 pages: p50 {pct_ms(pages, .5):.0f} ms  p99 {pct_ms(pages, .99):.0f} ms")
    one = (await cp.request("GET", path, params={"limit": 1}))["items"][0]["metadata"]
    owner = state.members.index(one["annotations"]["resource.karmada.io/cached-from-cluster"])
    gets = await _timed(cp, f"{path}/{one['name']}", 200)
    print(f"GET one pod: p50 {pct_ms(gets, .5):.2f} ms  p99 {pct_ms(gets, .99):.2f} ms (target p50 < 5)")
    events = await _watch_latency(cp, members[owner], one["name"], 30)
    print(f"watch event latency: p50 {pct_ms(events, .5):.1f} ms  p99 {pct_ms(events, .99):.1f} ms")
    idle = rss_kib(aggregator_pid)
    peak = Peak(aggregator_pid)
    peak.start()
    t0 = time.perf_counter()
    sizes = await asyncio.gather(*(_drain(cp, path) for _ in range(10)))
    took = time.perf_counter() - t0
    top = peak.stop()
    print(f"RSS during 10 concurrent full LISTs ({min(sizes) / 2**20:.0f} MiB each, all done in {took:.1f} s):"
          f" idle {idle / 1024:.0f} MiB, peak {top / 1024:.0f} MiB = {top / idle:.2f}x (target < 1.3x)")


async def _drain(cp: KubeClient, path: str) -> int:
    """One full LIST read to its last byte and thrown away: ten decoded at once in this one event
    loop (seconds each at 30,000 pods) would starve the other nine's reads into their timeouts."""
    size = 0
    async with cp.open("GET", path, timeout=aiohttp.ClientTimeout(total=600)) as resp:
        async for chunk in resp.content.iter_chunked(1 << 20):
            size += len(chunk)
    return size


async def measure(state_dir: Path, pods: int, keep: bool = False, quiet: bool = True) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None, f"no environment in {state_dir}"
    aggregator = next(p for p in state.processes if p.name.endswith("karmada-aggregated-apiserver"))
    members = [KubeClient(connection_from_kubeconfig(state.members_kubeconfig, m)) for m in state.members]
    cp = KubeClient(connection_from_kubeconfig(state.karmada_kubeconfig))
    registry = {
        "apiVersion": "search.karmada.io/v1alpha1", "kind": "ResourceRegistry", "metadata": {"name": "bench-search"},
        "spec": {"targetCluster": {"clusterNames": list(state.members)}, "resourceSelectors": [{"apiVersion": "v1", "kind": "Pod", "namespace": NAMESPACE}]},
    }  # fmt: skip
    try:
        await _fill(members, pods // len(members))
        before = rss_kib(aggregator.pid)
        await cp.create("/apis/search.karmada.io/v1alpha1/resourceregistries", registry)
        path = f"{PROXY}/api/v1/namespaces/{NAMESPACE}/pods"
        while len((await cp.request("GET", path))["items"]) < pods - pods % len(members):
            await asyncio.sleep(2)
        await asyncio.sleep(6)  # let the allocator settle
        idle = rss_kib(aggregator.pid)
        print(f"pods cached: {pods}; aggregated server RSS {before / 1024:.0f} -> {idle / 1024:.0f} MiB: {(idle - before) * 1024 / pods / 1024:.2f} KB per cached pod (target <= 4)")
        print("-- with the members' simulators running (kwok, kube-controller-manager, kube-scheduler):")
        await _requests(cp, members, state, state_dir, path, pods, aggregator.pid)
        if quiet:
            print("-- with them paused (SIGSTOP; the members' API servers and etcd still serve), as if the members ran elsewhere:")
            with _paused(_simulators(state)):
                await _requests(cp, members, state, state_dir, path, pods, aggregator.pid)
    finally:
        try:
            await cp.delete("/apis/search.karmada.io/v1alpha1/resourceregistries/bench-search")
        except Exception:  # noqa: BLE001
            pass
        for m in members:
            try:
                if not keep:
                    await m.delete(f"/api/v1/namespaces/{NAMESPACE}")
            except Exception:  # noqa: BLE001
                pass
            await m.close()
        await cp.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=30_000, help="pods in all, spread over the members")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--namespace", default=NAMESPACE, help="member namespace of the pods (deleted at the end)")
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--no-pause", action="store_true", help="measure only with the members' simulators running")
    parser.add_argument("--keep-pods", action="store_true", help="with --state-dir: leave the pods in the members for the next run")
    args = parser.parse_args()
    globals()["NAMESPACE"] = args.namespace
    if args.state_dir:
        asyncio.run(measure(args.state_dir, args.pods, args.keep_pods, not args.no_pause))
        return
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-search-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        nodes = -(-args.pods // args.members // POD_SLOTS_PER_NODE) + 1  # room for every pod to run
        subprocess.run([*KARMADACTL, "local-up", f"--members={args.members}", f"--nodes-per-member={nodes}", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)
        try:
            asyncio.run(measure(Path(state), args.pods, quiet=not args.no_pause))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
