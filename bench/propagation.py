"""Benchmark of propagation against its floor (issue 'Performance at the physical floor').

Prints, for N one-replica Deployments and one PropagationPolicy Duplicated to every member:

* the floor: the same N created directly in every member at once, until all are ready there;
* propagation: N created in the control plane, until all are ready in every member, and the ratio
  of the two (target <= 1.3 at N = 1,000);
* the template status lag: for each template, from the moment its Deployments were ready in every
  member to the moment the template showed them ready (targets: p50 < 2 s, p99 < 5 s);
* p50/p99 of one Deployment from apply to ready in every member (sequential samples, first), and
  how long after that its template showed it ready (the status pipeline's latency without load);
* control-plane writes per Deployment by verb and resource (the control-plane kube-apiserver's own
  ``apiserver_request_total``, after minus before; target <= 10) and Events per Deployment;
* CPU-seconds and peak RSS of each process it was given (ours plus the control-plane
  kube-apiserver: target <= 0.1 CPU-s per Deployment; the controller process <= 300 MiB).

Ready times come from watches (first event showing ``readyReplicas``), not from polling.

    python bench/propagation.py [--deployments 1000] [--samples 20]            # its own environment
    python bench/propagation.py --state-dir DIR                               # a local-up environment
    python bench/propagation.py --karmada-kubeconfig F [--karmada-context C] \
        --member-kubeconfig F [--member-contexts a,b,c] [--pid NAME=PID ...]  # any Karmada

Pointed at another control plane it talks only to the Kubernetes APIs: the members are the
control plane's Clusters, reached through the contexts of ``--member-kubeconfig`` named as the
clusters (or ``--member-contexts`` in the clusters' order); ``--pid kube-apiserver=PID`` names the
control plane's kube-apiserver. Each member needs room for 2 x (N + samples) pods (the floor's
Deployments stay until the end). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from figures import PeakRss, cpu_seconds
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection, connection_from_kubeconfig
from pykarmada.kube.watch import list_and_watch
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
LABELS = "bench=propagation"
IN_FLIGHT = 32
GIVE_UP = 900.0
APISERVER = "kube-apiserver"


def deployment(name: str, namespace: str) -> dict:
    labels = {"app": name, "bench": "propagation"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }


def namespace_object(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


@dataclass
class Target:
    """Where the benchmark points: the control plane, its members, and the processes to watch."""

    control_plane: Connection
    members: dict[str, Connection]
    pids: dict[str, int] = field(default_factory=dict)  # name -> pid
    controller_log: Path | None = None


def target_from_state(state_dir: Path) -> Target:
    state = load_state(Layout(state_dir))
    if state is None:
        raise SystemExit(f"--state-dir {state_dir}: no local-up environment there")
    members = {m: connection_from_kubeconfig(state.members_kubeconfig, m) for m in state.members}
    pids = {p.name: p.pid for p in state.processes}
    controller = next((p for p in state.processes if p.name.endswith("karmada-controller-manager")), None)
    return Target(connection_from_kubeconfig(state.karmada_kubeconfig), members, pids, Path(controller.log) if controller else None)


async def target_from_flags(args: argparse.Namespace) -> Target:
    cp = connection_from_kubeconfig(args.karmada_kubeconfig, args.karmada_context)
    async with KubeClient(cp) as client:
        clusters = [c["metadata"]["name"] for c in (await client.list("/apis/cluster.karmada.io/v1alpha1/clusters"))["items"]]
    if not clusters:
        raise SystemExit("the control plane has no Clusters")
    contexts = args.member_contexts.split(",") if args.member_contexts else clusters
    if len(contexts) != len(clusters):
        raise SystemExit(f"--member-contexts: {len(contexts)} contexts for {len(clusters)} clusters ({', '.join(clusters)})")
    members = {name: connection_from_kubeconfig(args.member_kubeconfig, ctx) for name, ctx in zip(clusters, contexts)}
    pids = {}
    for item in args.pid:
        name, _, pid = item.partition("=")
        if not pid.isdigit():
            raise SystemExit(f"--pid {item!r}: expected NAME=PID")
        pids[name] = int(pid)
    return Target(cp, members, pids)


class ReadyTimes:
    """When each Deployment of a namespace first showed ``ready`` ready replicas in one cluster
    (``time.perf_counter()`` at the watch event), from one list-and-watch."""

    def __init__(self, client: KubeClient, namespace: str, ready: int) -> None:
        self.client, self.namespace, self.ready = client, namespace, ready
        self.at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        path = f"/apis/apps/v1/namespaces/{self.namespace}/deployments"
        async for event in list_and_watch(self.client, path, labelSelector=LABELS, allowWatchBookmarks="true"):
            name = event.object["metadata"]["name"]
            if name not in self.at and (event.object.get("status") or {}).get("readyReplicas") == self.ready:
                self.at[name] = time.perf_counter()

    def all_ready(self, names: Iterable[str]) -> bool:
        return all(n in self.at for n in names)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def wait_until(check, limit: float = GIVE_UP) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def wait_gone(client: KubeClient, path: str, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and await client.exists(path):
        await asyncio.sleep(1)


async def create_all(client: KubeClient, namespace: str, names: list[str]) -> None:
    sem = asyncio.Semaphore(IN_FLIGHT)

    async def create(name: str) -> None:
        async with sem:
            await client.create(f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment(name, namespace))

    await asyncio.gather(*(create(n) for n in names))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def distribution(values: list[float]) -> str:
    return f"p50 {pct(values, .5):.2f} s, p90 {pct(values, .9):.2f} s, p99 {pct(values, .99):.2f} s, max {max(values):.2f} s"


async def floor(members: dict[str, KubeClient], namespace: str, names: list[str], create: Callable[[KubeClient, str, list[str]], Awaitable[None]] = create_all) -> float | None:
    """Seconds until ``names`` created directly in every member at once (by ``create``) are ready in all."""
    clocks = [ReadyTimes(m, namespace, 1) for m in members.values()]
    for m, clock in zip(members.values(), clocks):
        await m.create("/api/v1/namespaces", namespace_object(namespace))
        clock.start()
    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(create(m, namespace, names) for m in members.values()))
        if not await wait_until(lambda: all(c.all_ready(names) for c in clocks)):
            return None
        return max(c.at[n] for c in clocks for n in names) - t0
    finally:
        for clock in clocks:
            await clock.stop()


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


async def run(target: Target, n: int, samples: int, with_floor: bool) -> None:
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    floor_ns = f"floor-{ns[6:]}"
    apiserver_pid = next((pid for name, pid in target.pids.items() if name.split("/")[-1] == APISERVER and not name.startswith("member")), None)
    rss = PeakRss(target.pids.values())
    rss.start()
    async with KubeClient(target.control_plane, max_connections=64) as cp:
        members = {name: KubeClient(conn, max_connections=64) for name, conn in target.members.items()}
        floor_created = False
        try:
            bulk = [f"bulk-{i:04d}" for i in range(n)]
            floor_seconds = None
            if with_floor:
                floor_created = True
                floor_cpu = {pid: cpu_seconds(pid) for pid in target.pids.values()}
                floor_writes = await member_write_counts(members)
                floor_seconds = await floor(members, floor_ns, bulk)
                print(f"floor: {n} Deployments created directly in each of {len(members)} members at once, all ready after "
                      + (f"{floor_seconds:.1f} s" if floor_seconds is not None else f"more than {GIVE_UP:.0f} s (gave up)"))
                member_cpu = sum(cpu_seconds(pid) - floor_cpu[pid] for name, pid in target.pids.items() if name.startswith("member") and not _ours(name))
                if member_cpu:
                    print(f"  members' processes: {member_cpu:.1f} CPU-s")
                print_member_writes(floor_writes, await member_write_counts(members), n, "  members' writes (all members)")

            await cp.create("/api/v1/namespaces", namespace_object(ns))
            policy = {
                "apiVersion": "policy.karmada.io/v1alpha1",
                "kind": "PropagationPolicy",
                "metadata": {"name": "bench", "namespace": ns},
                "spec": {
                    "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"bench": "propagation"}}}],
                    "placement": {"clusterAffinity": {"clusterNames": list(members)}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}},
                },
            }
            await cp.create(f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies", policy)
            in_members = [ReadyTimes(m, ns, 1) for m in members.values()]
            templates = ReadyTimes(cp, ns, len(members))
            for clock in (*in_members, templates):
                clock.start()
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            writes_before = await write_counts(cp)
            member_writes_before = await member_write_counts(members)
            cpu_before = {pid: cpu_seconds(pid) for pid in target.pids.values()}

            # Single Deployments, one at a time: apply -> ready in every member.
            latencies: list[float] = []
            single_lags: list[float] = []
            for i in range(samples):
                name = f"single-{i}"
                t0 = time.perf_counter()
                await cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name, ns))
                await wait_until(lambda: all(c.all_ready([name]) for c in in_members), 60)
                latencies.append(max(c.at.get(name, time.perf_counter()) for c in in_members) - t0)
                if await wait_until(lambda: templates.all_ready([name]), 60):
                    single_lags.append(max(0.0, templates.at[name] - t0 - latencies[-1]))
            if latencies:
                print(f"single Deployment, apply to ready in {len(members)} members ({samples} samples): p50 {pct(latencies, .5):.2f} s, p99 {pct(latencies, .99):.2f} s")
            if single_lags:
                print(f"  its template showed ready after them: p50 {pct(single_lags, .5):.2f} s, p99 {pct(single_lags, .99):.2f} s")

            # N at once.
            t0 = time.perf_counter()
            await create_all(cp, ns, bulk)
            print(f"{n} Deployments created in the control plane in {time.perf_counter() - t0:.1f} s")
            if await wait_until(lambda: all(c.all_ready(bulk) for c in in_members)):
                in_all = {name: max(c.at[name] for c in in_members) for name in bulk}
                seconds = max(in_all.values()) - t0
                ratio = f", {seconds / floor_seconds:.2f}x the floor (target <= 1.3)" if floor_seconds else ""
                print(f"  all ready in {len(members)} members after {seconds:.1f} s{ratio}")
                if await wait_until(lambda: templates.all_ready(bulk), 300):
                    print(f"  all templates show ready after {max(templates.at[b] for b in bulk) - t0:.1f} s")
                    lags = [max(0.0, templates.at[name] - in_all[name]) for name in bulk]
                    print(f"  template status lag behind the members: {distribution(lags)} (target p50 < 2 s, p99 < 5 s)")
                else:
                    print(f"  {sum(b in templates.at for b in bulk)} of {n} templates show ready after 300 s more")
            else:
                print(f"gave up after {GIVE_UP:.0f} s: {min(sum(b in c.at for b in bulk) for c in in_members)} of {n} ready in every member")
            for clock in (*in_members, templates):
                await clock.stop()
            print_writes(writes_before, await settled_write_counts(cp), n + samples)
            print_member_writes(member_writes_before, await member_write_counts(members), n + samples, "members' writes (all members)")
            total = n + samples
            used = {name: cpu_seconds(pid) - cpu_before[pid] for name, pid in target.pids.items() if pid in cpu_before}
            print_processes(used, rss.peak, target.pids, total, apiserver_pid)
            print_events(await count_events(cp, ns, since), total)
        finally:
            rss.stop()
            # Deleted, and gone, before the next run: a cascade still under way would load it.
            gone = [(cp, ns)] + [(m, floor_ns) for m in members.values() if floor_created] + [(m, ns) for m in members.values()]
            for client, name in gone[: 1 + len(members) * floor_created]:
                await client.delete(f"/api/v1/namespaces/{name}")
            for client, name in gone:
                await wait_gone(client, f"/api/v1/namespaces/{name}")
            for m in members.values():
                await m.close()
    if target.controller_log is not None:
        warnings = sum("dropping events" in line for line in target.controller_log.read_text(errors="replace").splitlines())
        if warnings:
            print(f"the controller process dropped Events from a full queue: {warnings} warning(s), one per 1000 dropped")


def _ours(name: str) -> bool:
    return name.split("/")[-1].startswith("karmada-")


async def member_write_counts(members: dict[str, KubeClient]) -> Counter[tuple[str, str]]:
    total: Counter[tuple[str, str]] = Counter()
    for m in members.values():
        total.update(await write_counts(m))
    return total


def print_member_writes(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]], deployments: int, label: str) -> None:
    """The members' writes, summed, per Deployment: the floor's own cost and what we add to it."""
    diff = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
    top = sorted(diff.items(), key=lambda kv: -kv[1])[:8]
    print(f"{label}: {sum(diff.values()) / deployments:.2f} per Deployment; "
          + ", ".join(f"{verb} {resource} {count / deployments:.2f}" for (verb, resource), count in top))


def print_processes(used: dict[str, float], peak_kib: dict[int, int], pids: dict[str, int], deployments: int, apiserver_pid: int | None) -> None:
    """CPU-seconds and peak RSS per process; ours (karmada-*) plus the control-plane kube-apiserver
    against the target, members' processes summed."""
    if not used:
        return
    ours = [name for name in used if _ours(name)]
    members = [name for name in used if name.startswith("member") and name not in ours]
    print("processes: CPU-s (per Deployment), peak RSS")
    for name in sorted(set(used) - set(members)):
        print(f"  {name:45} {used[name]:7.1f} ({used[name] / deployments:.3f})  {peak_kib.get(pids[name], 0) / 1024:6.0f} MiB")
    if members:
        print(f"  {'members (kube-apiserver, controllers, kwok)':45} {sum(used[m] for m in members):7.1f} ({sum(used[m] for m in members) / deployments:.3f})")
    budget = sum(used[name] for name in ours) + sum(used[name] for name, pid in pids.items() if pid == apiserver_pid and name in used)
    print(f"ours plus the control-plane kube-apiserver: {budget / deployments:.3f} CPU-s per Deployment (target <= 0.1)")
    controller = next((pids[name] for name in ours if name.endswith("karmada-controller-manager")), None)
    if controller is not None:
        print(f"controller process peak RSS: {peak_kib.get(controller, 0) / 1024:.0f} MiB (target <= 300 MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--no-floor", dest="floor", action="store_false", help="skip the direct creation in the members")
    parser.add_argument("--state-dir", type=Path, help="a local-up environment (its kubeconfigs and processes)")
    parser.add_argument("--karmada-kubeconfig", help="any Karmada-compatible control plane")
    parser.add_argument("--karmada-context")
    parser.add_argument("--member-kubeconfig", help="contexts named as the control plane's Clusters")
    parser.add_argument("--member-contexts", help="comma-separated contexts, in the order the control plane lists its Clusters")
    parser.add_argument("--pid", action="append", default=[], metavar="NAME=PID", help="a process to measure (kube-apiserver=PID for the control plane's)")
    args = parser.parse_args()
    if args.karmada_kubeconfig:
        if not args.member_kubeconfig:
            parser.error("--karmada-kubeconfig needs --member-kubeconfig")
        target = asyncio.run(target_from_flags(args))
        asyncio.run(run(target, args.deployments, args.samples, args.floor))
        return
    if args.state_dir:
        asyncio.run(run(target_from_state(args.state_dir), args.deployments, args.samples, args.floor))
        return
    pods = 2 * (args.deployments + args.samples) if args.floor else args.deployments + args.samples
    nodes = math.ceil(pods / 100) + 2
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-prop-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        subprocess.run([*KARMADACTL, "local-up", "--members=3", "--pull-members=0", f"--nodes-per-member={nodes}", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)
        try:
            asyncio.run(run(target_from_state(Path(state)), args.deployments, args.samples, args.floor))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
