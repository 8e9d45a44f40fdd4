"""Benchmark of karmada-scheduler-estimator, at the size issue 12 names, and of the scheduler using it.

    python bench/estimator.py [--nodes 1000] [--pods 10000] [--requests 2000] [--bindings 300] [--rounds 3]
                              [--part all|scheduler|estimator] [--state-dir DIR]

1. Scheduler throughput, estimators off then on: the controller process is started without its
   scheduler, ``--bindings`` one-replica Deployments under a Divided/dynamic-weight policy over the
   3 members get their ResourceBindings, then the process starts again with only the scheduler and
   ``--enable-scheduler-estimator=false|true``; bindings/s from the first to the last scheduled
   (every binding's ``schedulerObservedGeneration`` seen by a watch). The process ends with its
   original command line. This runs first: the large member of step 2 keeps this machine's two
   cores busy with node heartbeats, which would measure the machine and not the scheduler.
2. member1 grows to ``--nodes`` kwok nodes and ``--pods`` running pods (one Deployment of small
   pods); the estimator's RSS is printed before and after.
3. ``--requests`` MaxAvailableReplicas calls over HTTPS with the client certificate local-up
   issued, half with a node selector and a toleration, one at a time and then 16 in flight:
   answers/s and latency p50/p99.

Without ``--state-dir`` starts a local-up environment (3 members) in a temporary directory and
stops it afterwards. Targets (issue 12): p99 < 20 ms; RSS < 200 MiB; throughput with estimators
>= 70% of without. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import aiohttp

from figures import pct_ms, rss_mib

from pykarmada.karmada.constants import CONTROLLER_SCHEDULER
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.kube.watch import watch_events
from pykarmada.localup.nodes import build_node, is_node_ready
from pykarmada.localup.pki import ESTIMATOR, ESTIMATOR_CLIENT
from pykarmada.localup.restart import start_process, stop_process
from pykarmada.localup.state import EnvState, Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
CONTROLLER = "karmada/karmada-controller-manager"
MEMBERS = ("member1", "member2", "member3")
FILL_NAMESPACE = "bench-estimator"
BODIES = [
    {"cluster": "member1", "replicaRequirements": {"namespace": "default", "resourceRequest": {"cpu": "250m", "memory": "512Mi"}}},
    {
        "cluster": "member1",
        "replicaRequirements": {
            "namespace": "default",
            "resourceRequest": {"cpu": "1"},
            "nodeClaim": {"nodeSelector": {"type": "kwok"}, "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists"}]},
        },
    },
]


def _pid(state: EnvState, name: str) -> int:
    return next(p.pid for p in state.processes if p.name == name)


def _deployment(name: str, namespace: str, replicas: int, cpu: str) -> dict:  # type: ignore[type-arg]
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
                "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "16Mi"}}}]}}}}  # fmt: skip


async def _gather_limited(coros: list, limit: int = 32) -> None:  # type: ignore[type-arg]
    gate = asyncio.Semaphore(limit)

    async def one(coro) -> None:  # type: ignore[no-untyped-def]
        async with gate:
            await coro

    await asyncio.gather(*(one(c) for c in coros))


async def _create(client: KubeClient, path: str, body: dict) -> None:  # type: ignore[type-arg]
    try:
        await client.create(path, body)
    except ApiError as e:
        if not e.already_exists:
            raise


async def _until(what: str, check, timeout: float = 900.0) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(what)
        await asyncio.sleep(2)


async def grow_member(member: KubeClient, nodes: int, pods: int) -> float:
    """member1 with ``nodes`` Ready kwok nodes and ``pods`` Running pods; returns seconds taken."""
    started = time.perf_counter()
    await _gather_limited([_create(member, "/api/v1/nodes", build_node("member1", i, 1)) for i in range(nodes)])

    async def nodes_ready() -> bool:
        items = (await member.list("/api/v1/nodes", labelSelector="type=kwok"))["items"]
        return sum(is_node_ready(n) for n in items) >= nodes

    await _until(f"{nodes} Ready nodes", nodes_ready)
    await _create(member, "/api/v1/namespaces", {"metadata": {"name": FILL_NAMESPACE}})
    await _create(member, f"/apis/apps/v1/namespaces/{FILL_NAMESPACE}/deployments", _deployment("fill", FILL_NAMESPACE, pods, "10m"))

    async def pods_available() -> bool:
        # Under this load kube-controller-manager may mark a few pods not ready for a heartbeat
        # that came late, and kwok does not turn them back: 95% available is the size asked for.
        status = (await member.get(f"/apis/apps/v1/namespaces/{FILL_NAMESPACE}/deployments/fill")).get("status") or {}
        return status.get("replicas", 0) >= pods and status.get("availableReplicas", 0) >= 0.95 * pods

    await _until(f"{pods} available pods", pods_available)
    return time.perf_counter() - started


async def answer_latency(state_dir: Path, state: EnvState, requests: int, concurrency: int) -> None:
    pki = Layout(state_dir).pki / "karmada"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / f"{ESTIMATOR_CLIENT}.crt", pki / f"{ESTIMATOR_CLIENT}.key")
    url = f"https://localhost:{state.ports[f'member1/{ESTIMATOR}']}/v1/MaxAvailableReplicas"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=concurrency)) as session:
        for body in BODIES:  # warm up, and show what is answered
            async with session.post(url, json=body) as resp:
                print(f"  answer {await resp.json()} for {body['replicaRequirements']['resourceRequest']}")
        for in_flight in (1, concurrency):
            latencies: list[float] = []
            pending = iter(range(requests))

            async def worker() -> None:
                for i in pending:
                    t0 = time.perf_counter()
                    async with session.post(url, json=BODIES[i % 2]) as resp:
                        await resp.read()
                        assert resp.status == 200, resp.status
                    latencies.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            elapsed = time.perf_counter() - t0
            print(f"  {in_flight:>2} in flight: {requests / elapsed:.0f} answers/s, latency p50 {statistics.median(latencies) * 1000:.2f} ms, p99 {pct_ms(latencies, 0.99):.2f} ms")


def _restart_controller(state_dir: Path, original: list[str], *, scheduler: bool, estimator: bool) -> None:
    spec = stop_process(state_dir, CONTROLLER)
    argv = [a for a in original if not a.startswith(("--controllers=", "--enable-scheduler-estimator="))]
    # Scheduling alone: the other controllers would compete for the same two cores and API server
    # with their own start-up work (the detector's initial list, Works for every scheduled binding).
    controllers = CONTROLLER_SCHEDULER if scheduler else f"*,-{CONTROLLER_SCHEDULER}"
    argv += [f"--controllers={controllers}", f"--enable-scheduler-estimator={str(estimator).lower()}"]
    proc, _ = start_process(state_dir, replace(spec, argv=argv))
    time.sleep(2)
    if proc.poll() is not None:
        raise RuntimeError(f"the controller process exited ({proc.returncode}); see {spec.log}")


def _policy(namespace: str) -> dict:  # type: ignore[type-arg]
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": "bench", "namespace": namespace},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                     "placement": {"clusterAffinity": {"clusterNames": list(MEMBERS)},
                                   "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                                         "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}}}  # fmt: skip


def _scheduled(binding: dict) -> bool:  # type: ignore[type-arg]
    meta, status = binding.get("metadata") or {}, binding.get("status") or {}
    return bool((binding.get("spec") or {}).get("clusters")) and status.get("schedulerObservedGeneration") == meta.get("generation")


async def scheduler_throughput(state_dir: Path, cp: KubeClient, original: list[str], bindings: int, *, estimator: bool) -> float:
    """Bindings/s of the scheduler from the first binding it schedules to the last."""
    _restart_controller(state_dir, original, scheduler=False, estimator=estimator)
    ns = f"bench-est-{uuid.uuid4().hex[:6]}"
    rb = f"/apis/work.karmada.io/v1alpha2/namespaces/{ns}/resourcebindings"
    await cp.create("/api/v1/namespaces", {"metadata": {"name": ns}})
    await cp.create(f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies", _policy(ns))
    await _gather_limited([cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", _deployment(f"d{i}", ns, 1, "100m")) for i in range(bindings)])

    async def all_bound() -> bool:
        return len((await cp.list(rb))["items"]) >= bindings

    await _until(f"{bindings} ResourceBindings", all_bound)
    listing = await cp.list(rb)
    done: dict[str, float] = {}
    _restart_controller(state_dir, original, scheduler=True, estimator=estimator)
    async for event in watch_events(cp, rb, resource_version=listing["metadata"]["resourceVersion"], allowWatchBookmarks="true"):
        if event.type in ("ADDED", "MODIFIED") and _scheduled(event.object):
            done.setdefault(event.object["metadata"]["name"], time.perf_counter())
            if len(done) >= bindings:
                break
    times = sorted(done.values())
    await cp.delete(f"/api/v1/namespaces/{ns}")
    return (len(times) - 1) / (times[-1] - times[0])


async def run(state_dir: Path, nodes: int, pods: int, requests: int, concurrency: int, bindings: int, rounds: int, part: str) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None, f"no environment in {state_dir}"
    if part in ("all", "scheduler"):
        await compare_throughput(state_dir, state, bindings, rounds)
    if part in ("all", "estimator"):
        await estimator_at_size(state_dir, state, nodes, pods, requests, concurrency)


async def compare_throughput(state_dir: Path, state: EnvState, bindings: int, rounds: int) -> None:
    """Alternating rounds, off then on: this machine's speed drifts by tens of percent."""
    original = [a.decode() for a in Path(f"/proc/{_pid(state, CONTROLLER)}/cmdline").read_bytes().split(b"\0") if a]
    async with KubeClient(connection_from_kubeconfig(state.karmada_kubeconfig), max_connections=32) as cp:
        try:
            rates: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(rounds):
                for on in (False, True):
                    rates[on].append(await scheduler_throughput(state_dir, cp, original, bindings, estimator=on))
                    print(f"  estimators {'on ' if on else 'off'}: {rates[on][-1]:.1f} bindings/s")
            off, on = statistics.median(rates[False]), statistics.median(rates[True])
            print(f"scheduler ({bindings} bindings, 3 members, median of {rounds}): {off:.1f} bindings/s without estimators, {on:.1f} with")
            print(f"with estimators / without: {on / off:.0%} (target >= 70%)")
        finally:
            spec = stop_process(state_dir, CONTROLLER)
            start_process(state_dir, replace(spec, argv=original))


async def estimator_at_size(state_dir: Path, state: EnvState, nodes: int, pods: int, requests: int, concurrency: int) -> None:
    estimator_pid = _pid(state, f"member1/{ESTIMATOR}")
    print(f"estimator RSS before: {rss_mib(estimator_pid):.0f} MiB")
    async with KubeClient(connection_from_kubeconfig(state.members_kubeconfig, "member1"), max_connections=32) as member:
        took = await grow_member(member, nodes, pods)
    await asyncio.sleep(5)  # let the estimator's informers catch up with the last status updates
    print(f"member1 at {nodes} nodes and {pods} running pods after {took:.0f} s; estimator RSS {rss_mib(estimator_pid):.0f} MiB (target < 200)")
    print("MaxAvailableReplicas against member1:")
    await answer_latency(state_dir, state, requests, concurrency)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=1000)
    p.add_argument("--pods", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--bindings", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3, help="Rounds of the throughput comparison (default 3).")
    p.add_argument("--part", choices=("all", "scheduler", "estimator"), default="all", help="Run the scheduler throughput, the estimator at size, or both.")
    p.add_argument("--state-dir", type=Path)
    a = p.parse_args()
    args = (a.nodes, a.pods, a.requests, a.concurrency, a.bindings, a.rounds, a.part)
    if a.state_dir is not None:
        asyncio.run(run(a.state_dir, *args))
        return
    with tempfile.TemporaryDirectory(prefix="bench-estimator-") as tmp:
        state_dir, kube_dir = Path(tmp) / "state", Path(tmp) / "kube"
        up = ["local-up", f"--members={len(MEMBERS)}", f"--state-dir={state_dir}", f"--kubeconfig-dir={kube_dir}"]
        subprocess.run([*KARMADACTL, *up], check=True, capture_output=True)
        try:
            asyncio.run(run(state_dir, *args))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state_dir}", f"--kubeconfig-dir={kube_dir}"], check=False)


if __name__ == "__main__":
    main()
