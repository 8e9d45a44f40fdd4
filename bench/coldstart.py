"""Benchmark of a cold start (issue 'Performance at the physical floor'): a backlog created while the
controller process is down, then the process started.

N Deployments, each with its own PropagationPolicy (Duplicated to every member, ``propagateDeps``)
and a ConfigMap it mounts, are created in the control plane with the controller process stopped.
Then the process is started. Prints:

* the floor: the same ConfigMaps and Deployments created directly in every member at once, until
  all Deployments are ready there;
* from the start of the process until every Deployment is ready in every member, and the ratio to
  the floor (target <= 1.5 at N = 5,000); then until every ConfigMap is in every member;
* a user's edit 5 s after the start, while the backlog drains: a new Deployment (with its policy
  and ConfigMap) until ready in every member, and a scale of a backlog Deployment until every
  member has the new replica count (target: each within 5 s);
* the controller process's peak RSS (target < 600 MiB at N = 5,000), and the control plane's
  writes per Deployment from the start, by verb and resource.

    python bench/coldstart.py --state-dir DIR [--deployments 5000] [--no-floor]

DIR is a local-up environment (its controller process is stopped and started again); each member
needs room for 2 x N + 2 pods. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
import uuid
from pathlib import Path

from figures import PeakRss
from propagation import IN_FLIGHT, ReadyTimes, deployment, distribution, floor, namespace_object, print_writes, settled_write_counts, target_from_state, wait_gone, wait_until, write_counts

from pykarmada.kube.client import KubeClient
from pykarmada.localup.restart import start_process, stop_process

CONTROLLER = "karmada/karmada-controller-manager"
EDIT_AFTER = 5.0
CONFIG_MAP_LIMIT = 600.0
POLICIES = "/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies"


def config_map(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, "labels": {"bench": "coldstart"}}, "data": {"app.conf": f"name={name}\n"}}


def mounting_deployment(name: str, namespace: str) -> dict:
    obj = deployment(name, namespace)
    pod = obj["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "conf", "configMap": {"name": name}}]
    pod["containers"][0]["volumeMounts"] = [{"name": "conf", "mountPath": "/etc/app"}]
    return obj


def policy(name: str, namespace: str, clusters: list[str]) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "propagateDeps": True,
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
            "placement": {"clusterAffinity": {"clusterNames": clusters}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}},
        },
    }


async def create_app(client: KubeClient, namespace: str, name: str, clusters: list[str] | None) -> None:
    """The ConfigMap, the Deployment and (in the control plane) its policy."""
    await client.create(f"/api/v1/namespaces/{namespace}/configmaps", config_map(name, namespace))
    await client.create(f"/apis/apps/v1/namespaces/{namespace}/deployments", mounting_deployment(name, namespace))
    if clusters is not None:
        await client.create(POLICIES.format(ns=namespace), policy(name, namespace, clusters))


async def create_apps(client: KubeClient, namespace: str, names: list[str], clusters: list[str] | None) -> None:
    sem = asyncio.Semaphore(IN_FLIGHT)

    async def one(name: str) -> None:
        async with sem:
            await create_app(client, namespace, name, clusters)

    await asyncio.gather(*(one(n) for n in names))


async def wait_for_config_maps(members: dict[str, KubeClient], namespace: str, want: int) -> dict[str, int]:
    """How many of the benchmark's ConfigMaps each member has, once all have ``want`` or after CONFIG_MAP_LIMIT."""
    deadline = time.monotonic() + CONFIG_MAP_LIMIT
    while True:
        counts = {}
        for name, m in members.items():
            counts[name] = len((await m.list(f"/api/v1/namespaces/{namespace}/configmaps", labelSelector="bench=coldstart"))["items"])
        if all(have >= want for have in counts.values()) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(1)


async def scaled_everywhere(members: dict[str, KubeClient], namespace: str, name: str, replicas: int) -> bool:
    for m in members.values():
        try:
            obj = await m.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        except Exception:  # noqa: BLE001 - not there yet
            return False
        if obj["spec"].get("replicas") != replicas:
            return False
    return True


async def user_edit(cp: KubeClient, members: dict[str, KubeClient], clocks: list[ReadyTimes], namespace: str, scaled: str) -> None:
    """A new application and a scale, EDIT_AFTER seconds after the start; each timed to the members."""
    await asyncio.sleep(EDIT_AFTER)
    t0 = time.perf_counter()
    await create_app(cp, namespace, "late", list(members))
    await cp.patch(f"/apis/apps/v1/namespaces/{namespace}/deployments/{scaled}", {"spec": {"replicas": 2}})

    async def scale_reached() -> float:
        while not await scaled_everywhere(members, namespace, scaled, 2):
            await asyncio.sleep(0.1)
        return time.perf_counter() - t0

    async def new_ready() -> float:
        await wait_until(lambda: all(c.all_ready(["late"]) for c in clocks), 300)
        return max(c.at.get("late", time.perf_counter()) for c in clocks) - t0

    new, scale = await asyncio.gather(new_ready(), asyncio.wait_for(scale_reached(), 300))
    print(f"  user edit {EDIT_AFTER:.0f} s after the start: new Deployment ready in every member after {new:.2f} s, "
          f"scale of {scaled} in every member after {scale:.2f} s (target: each within 5 s)")


async def run(state_dir: Path, n: int, with_floor: bool) -> None:
    target = target_from_state(state_dir)
    ns = f"cold-{uuid.uuid4().hex[:6]}"
    floor_ns = f"floor-{ns[5:]}"
    names = [f"app-{i:05d}" for i in range(n)]
    async with KubeClient(target.control_plane, max_connections=64) as cp:
        members = {name: KubeClient(conn, max_connections=64) for name, conn in target.members.items()}
        try:
            direct = functools.partial(create_apps, clusters=None)
            floor_seconds = await floor(members, floor_ns, names, direct) if with_floor else None
            if with_floor:
                print(f"floor: {n} ConfigMaps and Deployments created directly in each of {len(members)} members at once, all ready after "
                      + (f"{floor_seconds:.1f} s" if floor_seconds is not None else "more than the limit (gave up)"))

            spec = stop_process(state_dir, CONTROLLER)
            await cp.create("/api/v1/namespaces", namespace_object(ns))
            t0 = time.perf_counter()
            await create_apps(cp, ns, names, list(members))
            print(f"backlog: {n} ConfigMaps, Deployments and PropagationPolicies created in {time.perf_counter() - t0:.1f} s with the controller process down")

            clocks = [ReadyTimes(m, ns, 1) for m in members.values()]
            for clock in clocks:
                clock.start()
            writes_before = await write_counts(cp)
            process, _ = start_process(state_dir, spec)
            started = time.perf_counter()
            rss = PeakRss([process.pid])
            rss.start()
            try:
                # The scaled Deployment is timed by its own check: it may be ready at 2 before 1 is seen.
                scaled, backlog = names[-1], names[:-1]
                edit = asyncio.create_task(user_edit(cp, members, clocks, ns, scaled))
                done = await wait_until(lambda: all(c.all_ready(backlog) for c in clocks), 3600)
                await edit
                if done:
                    seconds = max(c.at[name] for c in clocks for name in backlog) - started
                    ratio = f", {seconds / floor_seconds:.2f}x the floor (target <= 1.5)" if floor_seconds else ""
                    print(f"  all {n - 1} others ready in {len(members)} members {seconds:.1f} s after the start{ratio}")
                    print(f"  ready after the start, per Deployment: {distribution([max(c.at[x] for c in clocks) - started for x in backlog])}")
                else:
                    print(f"  gave up: {min(sum(x in c.at for x in backlog) for c in clocks)} of {n - 1} ready in every member")
                counts = await wait_for_config_maps(members, ns, n + 1)
                if all(have == n + 1 for have in counts.values()):
                    print(f"  all {n + 1} ConfigMaps in every member {time.perf_counter() - started:.1f} s after the start")
                else:
                    print(f"  ConfigMaps in the members after {CONFIG_MAP_LIMIT:.0f} s more: " + ", ".join(f"{k} {v} of {n + 1}" for k, v in counts.items()))
            finally:
                rss.stop()
                for clock in clocks:
                    await clock.stop()
            print(f"  controller process peak RSS: {rss.peak[process.pid] / 1024:.0f} MiB (target < 600 MiB at N = 5,000)")
            print_writes(writes_before, await settled_write_counts(cp), n + 1)
        finally:
            gone = [(cp, ns)] + [(m, floor_ns) for m in members.values() if with_floor] + [(m, ns) for m in members.values()]
            for client, name in gone:
                try:
                    await client.delete(f"/api/v1/namespaces/{name}")
                except Exception:  # noqa: BLE001 - already gone, or the cascade deletes it
                    pass
            for client, name in gone:
                await wait_gone(client, f"/api/v1/namespaces/{name}")
            for m in members.values():
                await m.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", type=Path, required=True, help="a local-up environment")
    parser.add_argument("--deployments", type=int, default=5000)
    parser.add_argument("--no-floor", dest="floor", action="store_false")
    args = parser.parse_args()
    asyncio.run(run(args.state_dir, args.deployments, args.floor))


if __name__ == "__main__":
    main()
