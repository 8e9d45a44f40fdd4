"""Benchmark of cluster failover: a member's API goes away and its Deployments move.

    python bench/failover.py [--deployments 50] [--replicas 2] [--resource-eviction-rate R] [--state-dir DIR]

Places ``--deployments`` Deployments on member1 (``clusterAffinities``: member1 first, then
member2/member3), with a ClusterTaintPolicy that puts ``cluster.karmada.io/not-ready:NoExecute``
on member1 while its Ready condition is not True. Then stops member1's kube-apiserver and prints
the time from the outage to

* the NoExecute taint on member1 (the detection: ``--cluster-failure-threshold`` and the status
  probe period),
* each binding leaving member1 (the eviction; p50/p99 over the Deployments),
* each Deployment with all its replicas ready in member2 or member3 (p50/p99),

and the control-plane writes per evicted binding (the control-plane kube-apiserver's
``apiserver_request_total``, from the outage until writes settle). Target (issue 11): outage to
replicas ready elsewhere within the detection threshold + 10 s. The taint manager paces evictions
(``--resource-eviction-rate``, upstream's 0.5 per second per worker, 3 workers): with
``--resource-eviction-rate`` the controller process is started again with that rate first (and
keeps it). member1 is started again at the end. Without --state-dir it starts its own environment (3 Push members of 12 kwok nodes, failover
on as local-up sets it). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from propagation import KARMADACTL, print_writes, settled_write_counts, write_counts

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.localup.restart import start_process, stop_process
from pykarmada.localup.state import Layout, load_state

OLD, OTHERS = "member1", ("member2", "member3")
TAINT_KEY = "cluster.karmada.io/not-ready"
POLICY = "bench-failover"


def _deployment(name: str, namespace: str, replicas: int) -> tuple[dict, dict]:  # type: ignore[type-arg]
    labels = {"app": name}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": labels},
              "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                       "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name, "namespace": namespace},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                       "placement": {"clusterAffinities": [{"affinityName": "primary", "clusterNames": [OLD]},
                                                           {"affinityName": "backup", "clusterNames": list(OTHERS)}],
                                     "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}}}
    return deploy, policy  # fmt: skip


def _taint_policy() -> dict:  # type: ignore[type-arg]
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": POLICY},
            "spec": {"targetClusters": {"clusterNames": [OLD]},
                     "addOnConditions": [{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["True"]}],
                     "removeOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
                     "taints": [{"key": TAINT_KEY, "effect": "NoExecute"}]}}  # fmt: skip


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _ready_in(member: KubeClient, namespace: str, replicas: int) -> set[str]:
    items = (await member.list(f"/apis/apps/v1/namespaces/{namespace}/deployments"))["items"]
    return {d["metadata"]["name"] for d in items if (d.get("status") or {}).get("readyReplicas") == replicas}


CONTROLLER = "karmada/karmada-controller-manager"


def _with_eviction_rate(state_dir: Path, rate: float) -> None:
    """Start the controller process again with ``--resource-eviction-rate=rate`` (its last value wins)."""
    spec = stop_process(state_dir, CONTROLLER)
    argv = [a for a in spec.argv if not a.startswith("--resource-eviction-rate=")] + [f"--resource-eviction-rate={rate:g}"]
    start_process(state_dir, replace(spec, argv=argv))


async def run(state_dir: Path, deployments: int, replicas: int, eviction_rate: float | None) -> None:
    if eviction_rate is not None:
        _with_eviction_rate(state_dir, eviction_rate)
        print(f"controller process started again with --resource-eviction-rate={eviction_rate:g}")
    state = load_state(Layout(state_dir))
    assert state is not None
    cp_config, members_config = state.karmada_kubeconfig, state.members_kubeconfig
    ns = f"bench-failover-{uuid.uuid4().hex[:6]}"
    names = [f"d{i:03d}" for i in range(deployments)]
    async with KubeClient(connection_from_kubeconfig(cp_config)) as cp, \
            KubeClient(connection_from_kubeconfig(members_config, OLD)) as old:
        others = [KubeClient(connection_from_kubeconfig(members_config, m)) for m in OTHERS]
        ctp = "/apis/policy.karmada.io/v1alpha1/clustertaintpolicies"
        await cp.create(ctp, _taint_policy())
        await cp.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        spec = None
        try:
            for name in names:
                deploy, policy = _deployment(name, ns, replicas)
                await cp.create(f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies", policy)
                await cp.create(f"/apis/apps/v1/namespaces/{ns}/deployments", deploy)
            while len(await _ready_in(old, ns, replicas)) < deployments:
                await asyncio.sleep(0.5)
            print(f"{deployments} Deployments of {replicas} replicas ready in {OLD}")
            before = await write_counts(cp)
            outage = time.perf_counter()
            spec = stop_process(state_dir, f"{OLD}/kube-apiserver")
            taint_at: float | None = None
            evicted: dict[str, float] = {}
            ready: dict[str, float] = {}
            while len(ready) < deployments and time.perf_counter() - outage < 600:
                now = time.perf_counter() - outage
                if taint_at is None:
                    cluster = await cp.get(f"/apis/cluster.karmada.io/v1alpha1/clusters/{OLD}")
                    if any(t["key"] == TAINT_KEY and t["effect"] == "NoExecute" for t in cluster["spec"].get("taints") or []):
                        taint_at = now
                for b in (await cp.list(f"/apis/work.karmada.io/v1alpha2/namespaces/{ns}/resourcebindings"))["items"]:
                    name = b["spec"]["resource"]["name"]
                    if name not in evicted and OLD not in {t["name"] for t in b["spec"].get("clusters") or []}:
                        evicted[name] = now
                for member in others:
                    for name in await _ready_in(member, ns, replicas):
                        ready.setdefault(name, now)
                await asyncio.sleep(0.2)
            after = await settled_write_counts(cp)
            print(f"outage to the NoExecute taint on {OLD}: {taint_at if taint_at is not None else float('nan'):.1f} s")
            if evicted:
                print(f"outage to the binding leaving {OLD}: p50 {_p(list(evicted.values()), 0.5):.1f} s, p99 {_p(list(evicted.values()), 0.99):.1f} s ({len(evicted)} of {deployments})")
            if ready:
                print(f"outage to all replicas ready elsewhere: p50 {_p(list(ready.values()), 0.5):.1f} s, p99 {_p(list(ready.values()), 0.99):.1f} s ({len(ready)} of {deployments})")
                if taint_at is not None:
                    print(f"  after the taint: p50 {_p(list(ready.values()), 0.5) - taint_at:.1f} s (target: within 10 s of the detection);"
                          f" the first binding left {min(evicted.values()) - taint_at:.1f} s after it")
                moved = [ready[n] - evicted[n] for n in ready if n in evicted]
                print(f"  a binding leaving {OLD} to its replicas ready elsewhere: p50 {_p(moved, 0.5):.2f} s, p99 {_p(moved, 0.99):.2f} s")
                rate = eviction_rate if eviction_rate is not None else 0.5
                print(f"  (the taint manager's 3 workers each evict {rate:g} bindings/s, --resource-eviction-rate; upstream's default is 0.5)")
            print_writes(before, after, max(len(evicted), 1))
            print("  (per evicted binding; includes the taint policy, cluster status and lease writes of the period)")
        finally:
            if spec is not None:
                start_process(state_dir, spec)
            await cp.delete(f"/api/v1/namespaces/{ns}")
            await cp.delete(f"{ctp}/{POLICY}")
            for member in others:
                await member.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--state-dir", type=Path, help="a running environment (member1 is stopped and started again)")
    parser.add_argument("--resource-eviction-rate", type=float, help="restart the controller process with this rate first (upstream's default: 0.5)")
    args = parser.parse_args()
    if args.state_dir is not None:
        asyncio.run(run(args.state_dir, args.deployments, args.replicas, args.resource_eviction_rate))
        return
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-failover-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        subprocess.run([*KARMADACTL, "local-up", "--members=3", "--pull-members=0", "--nodes-per-member=12", f"--state-dir={state}",
                        f"--kubeconfig-dir={kube}"], check=True, capture_output=True)  # fmt: skip
        try:
            asyncio.run(run(Path(state), args.deployments, args.replicas, args.resource_eviction_rate))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
