"""Cluster failover end to end (issue 11): ClusterTaintPolicy, the NoExecute taint manager, graceful
eviction and ``karmadactl taint``, on the shared environment (local-up turns Failover,
GracefulEviction and NoExecute eviction on). Every test leaves the clusters untainted and running."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.e2e.framework import failover as fo
from tests.e2e.framework.components import start_component, stop_component, wait_member_recovered, wait_members_settled
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework import metrics as metricslib
from tests.e2e.framework.metrics import endpoint, scrape
from tests.e2e.framework.propagation import apply, deployment, events, get, namespace, scheduled
from tests.e2e.framework.wait import wait_for
from pykarmada.karmada.names import execution_namespace, work_name

KEY = "e2e.pykarmada.io/failover"


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    wait_members_settled(local_env)  # health is judged here: no member may still be recovering
    with namespace(local_env, "fo") as name:
        yield name


def _uid() -> str:
    return uuid.uuid4().hex[:6]



def _policy(name: str, ns: str, placement: dict) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name, "namespace": ns},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}], "placement": placement},
    }  # fmt: skip


def _aggregated(clusters: list[str]) -> dict:
    """Divided/Aggregated: all replicas in one of ``clusters``, another one free to take them."""
    return {"clusterAffinity": {"clusterNames": clusters},
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}  # fmt: skip


def _placed_and_healthy(env: LocalEnv, ns: str, name: str) -> dict[str, int] | None:
    b = fo.binding(env, ns, name)
    placed = scheduled(b)
    return placed if placed and all(fo.healthy(b, c) for c in placed) else None


def _applied(env: LocalEnv, ns: str, name: str, cluster: str) -> str | None:
    work = get(env, "work", work_name("Deployment", name, ns), execution_namespace(cluster))
    cond = next((c for c in (work or {}).get("status", {}).get("conditions", []) if c["type"] == "Applied"), None)
    return cond["status"] if cond else None


def _serving(url: str) -> bool:
    try:
        return metricslib.get(url)[0] == 200
    except OSError:  # refused while it starts
        return False


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_cluster_taint_policy_adds_and_removes_taints_on_conditions(local_env: LocalEnv) -> None:
    key, name = f"{KEY}-{_uid()}", f"ready-{_uid()}"
    spec = {
        "targetClusters": {"clusterNames": ["member1"]},
        "addOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
        "taints": [{"key": key, "value": "yes", "effect": "NoSchedule"}],
    }
    with fo.cluster_taint_policy(local_env, name, spec):
        taint = wait_for(lambda: fo.has_taint(local_env, "member1", key), timeout=30, what="the policy's taint on member1")
        assert taint["value"] == "yes" and taint["effect"] == "NoSchedule" and taint.get("timeAdded")
        assert fo.has_taint(local_env, "member2", key) is None, "member2 is not targeted"

        def recorded() -> list[dict]:
            return [e for e in events(local_env, "default", "Cluster", "member1")
                    if e["reason"] == "TaintClusterSucceed" and e["source"]["component"] == "cluster-taint-policy-controller"]  # fmt: skip

        event = wait_for(recorded, timeout=30, what="TaintClusterSucceed from the policy controller")[-1]
        assert event["message"].startswith("Update Cluster(member1) with taints(cluster now has taints([") and event["message"].endswith("succeed")
        assert f"{{Key:{key},Value:yes,Effect:NoSchedule}}" in event["message"]
        # Now the Ready condition (True) is the one to remove on: the taint goes.
        spec = {**spec, "addOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}],
                "removeOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}]}  # fmt: skip
        local_env.kubectl("apply", "-f", "-", input=fo.ctp_yaml(name, spec))
        wait_for(lambda: fo.has_taint(local_env, "member1", key) is None, timeout=30, what="the taint removed on Ready=True")


def test_webhook_and_schema_refuse_bad_cluster_taint_policies(local_env: LocalEnv) -> None:
    dup = {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "value": "x", "effect": "NoSchedule"}]}
    proc = local_env.kubectl("create", "-f", "-", input=fo.ctp_yaml(f"dup-{_uid()}", dup), check=False)
    assert proc.returncode != 0
    assert "Error from server (Forbidden)" in proc.stderr and 'admission webhook "clustertaintpolicy.karmada.io" denied the request' in proc.stderr
    assert 'spec.taints[0]: Duplicate value: "Duplicate taint with the same key(a) and effect(NoSchedule) is not allowed"' in proc.stderr
    # The CRD schema (422 Invalid, which kubectl prints as "... is invalid:"), before the webhook:
    # at least one taint, required match fields.
    name = f"empty-{_uid()}"
    proc = local_env.kubectl("create", "-f", "-", input=fo.ctp_yaml(name, {"taints": []}), check=False)
    assert f'The ClusterTaintPolicy "{name}" is invalid: spec.taints: Invalid value: 0: spec.taints in body should have at least 1 items' in proc.stderr
    missing = {"addOnConditions": [{"conditionType": "Ready", "statusValues": ["False"]}], "taints": [{"key": "a", "effect": "NoSchedule"}]}
    proc = local_env.kubectl("create", "-f", "-", input=fo.ctp_yaml(f"missing-{_uid()}", missing), check=False)
    assert "is invalid" in proc.stderr and "spec.addOnConditions[0].operator: Required value" in proc.stderr
    # Admitted, with a warning kubectl prints: NoExecute taints for every cluster (server dry run: nothing is stored).
    everywhere = {"addOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}], "taints": [{"key": "a", "effect": "NoExecute"}]}
    proc = local_env.kubectl("create", "--dry-run=server", "-f", "-", input=fo.ctp_yaml(f"everywhere-{_uid()}", everywhere))
    assert "Warning: spec.targetClusters: selects every cluster" in proc.stderr, proc.stderr


def test_no_execute_taint_moves_replicas_and_the_old_work_waits_for_healthy_new_ones(local_env: LocalEnv, ns: str) -> None:
    name = "mover"
    apply(local_env, ns, deployment(name, ns, 2), _policy(name, ns, _aggregated(["member1", "member2"])))
    placed = wait_for(lambda: _placed_and_healthy(local_env, ns, name), timeout=90, what="placed and healthy")
    assert sum(placed.values()) == 2 and len(placed) == 1, placed
    (old,) = placed
    new = "member2" if old == "member1" else "member1"
    # The new cluster cannot apply the Deployment until this OverridePolicy goes: the old copy must stay.
    breaker = {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy", "metadata": {"name": "breaker", "namespace": ns},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                 "overrideRules": [{"targetCluster": {"clusterNames": [new]},
                                    "overriders": {"plaintext": [{"path": "/spec/minReadySeconds", "operator": "add", "value": -5}]}}]},
    }  # fmt: skip
    apply(local_env, ns, breaker)
    with fo.tainted(local_env, old, f"{KEY}=yes:NoExecute") as out:
        assert out.strip() == f"cluster/{old} tainted"
        moved = wait_for(lambda: (b := fo.binding(local_env, ns, name)) and fo.targets(b) == {new: 2} and fo.tasks(b).get(old) and b,
                         timeout=60, what=f"replicas moved to {new} with an eviction task for {old}")  # fmt: skip
        task = fo.tasks(moved)[old]
        assert (task["producer"], task["reason"], task["purgeMode"], task.get("replicas")) == ("TaintManager", "TaintUntolerated", "Gracefully", 2)
        metrics = scrape(endpoint(local_env, "karmada-controller-manager/metrics"))  # before the restart below resets them
        assert metrics.value("eviction_processing_total", name="binding-eviction", result="success") >= 1
        assert metrics.has("eviction_processing_latency_seconds") and metrics.has("eviction_queue_depth")
        wait_for(lambda: _applied(local_env, ns, name, new) == "False", timeout=60, what=f"the Work in {new} failing to apply")
        b = wait_for(lambda: (b := fo.binding(local_env, ns, name)) and fo.tasks(b).get(old, {}).get("creationTimestamp") and b,
                     timeout=30, what="the task stamped")  # fmt: skip
        assert old in fo.work_clusters(local_env, ns, name), "the old Work stays while the new one is not healthy"
        assert not fo.healthy(b, new)
        described = karmadactl("describe", "deployment", name, "-n", ns, "--kubeconfig", local_env.karmada_kubeconfig).stdout
        assert f"  {old}: TaintUntolerated (by TaintManager), purgeMode=Gracefully replicas=2, the old copy stays until the new placement is healthy" in described, described
        assert f"  {new}: replicas=2 health=" in described, described
        # A controller process killed mid-eviction loses no task and evicts nothing twice.
        stamped = fo.tasks(b)[old]["creationTimestamp"]
        start_component(local_env, stop_component(local_env, "karmada/karmada-controller-manager", kill=True))
        wait_for(lambda: _serving(endpoint(local_env, "karmada-controller-manager/readyz")), timeout=60, what="the controller process ready again")
        time.sleep(3)  # its informers have synced and its taint manager has judged the binding again
        b = fo.binding(local_env, ns, name)
        assert [t["fromCluster"] for t in b["spec"]["gracefulEvictionTasks"]] == [old] and fo.tasks(b)[old]["creationTimestamp"] == stamped
        assert fo.targets(b) == {new: 2} and old in fo.work_clusters(local_env, ns, name)

        local_env.kubectl("delete", "overridepolicy", "breaker", "-n", ns)
        wait_for(lambda: not fo.tasks(fo.binding(local_env, ns, name)), timeout=90, what="the task removed once the new Work is healthy")
        b = fo.binding(local_env, ns, name)
        assert fo.healthy(b, new) and b["status"]["schedulerObservedGeneration"] == b["metadata"]["generation"]
        wait_for(lambda: fo.work_clusters(local_env, ns, name) == {new}, timeout=60, what="only the new Work left")
        wait_for(lambda: not local_env.kubectl("get", "deployment", name, "-n", ns, "--ignore-not-found", "-o", "name", context=old).stdout.strip(),
                 timeout=60, what=f"the old copy gone from {old}")  # fmt: skip
        succeeded = [e for e in events(local_env, ns, "ResourceBinding", f"{name}-deployment") if e["reason"] == "EvictWorkloadFromClusterSucceed"]
        assert succeeded and succeeded[-1]["message"] == f"Evict from cluster {old} succeed."
        assert succeeded[-1]["source"]["component"] == "resource-binding-graceful-eviction-controller"
    assert fo.has_taint(local_env, old, KEY) is None
    metrics = scrape(endpoint(local_env, "karmada-controller-manager/metrics"))
    assert metrics.value("eviction_kind_total", member_cluster=old, resource_kind="ResourceBinding") == 0, "nothing left waiting"


def test_toleration_seconds_delay_the_eviction(local_env: LocalEnv, ns: str) -> None:
    name, key, seconds = "patient", f"{KEY}-{_uid()}", 20
    placement = _aggregated(["member2", "member3"])
    placement["clusterTolerations"] = [{"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}]
    apply(local_env, ns, deployment(name, ns, 1), _policy(name, ns, placement))
    (old,) = wait_for(lambda: _placed_and_healthy(local_env, ns, name), timeout=90, what="placed and healthy")
    new = "member3" if old == "member2" else "member2"
    with fo.tainted(local_env, old, f"{key}:NoExecute"):
        added = _time(fo.has_taint(local_env, old, key)["timeAdded"])
        still_there: list[float] = []  # when the binding was seen still targeting the tainted cluster

        def evicted() -> bool:
            seen = time.time()
            if old in fo.targets(fo.binding(local_env, ns, name)):
                still_there.append(seen)
                return False
            return True

        wait_for(evicted, timeout=seconds + 40, interval=0.5, what="the eviction once tolerationSeconds ran out")
        assert still_there and still_there[-1] - added >= seconds - 2, f"tolerated for {still_there[-1] - added:.0f}s of {seconds}s"
        assert fo.targets(fo.binding(local_env, ns, name)) == {new: 1}
        wait_for(lambda: fo.work_clusters(local_env, ns, name) == {new}, timeout=60, what=f"the {old} Work removed once the new one is healthy")
        succeeded = [e for e in events(local_env, ns, "ResourceBinding", f"{name}-deployment") if e["reason"] == "EvictWorkloadFromClusterSucceed"]
        assert succeeded and _time(succeeded[-1]["lastTimestamp"]) - added >= seconds - 1


def test_a_member_that_goes_down_fails_over_through_a_cluster_taint_policy(local_env: LocalEnv, ns: str) -> None:
    name, key = "survivor", f"{KEY}-down-{_uid()}"
    apply(local_env, ns, deployment(name, ns, 2), _policy(name, ns, _aggregated(["member2", "member3"])))
    (old,) = wait_for(lambda: _placed_and_healthy(local_env, ns, name), timeout=90, what="placed and healthy")
    new = "member3" if old == "member2" else "member2"
    spec = {
        "targetClusters": {"clusterNames": [old]},
        "addOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}],
        "removeOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
        "taints": [{"key": key, "effect": "NoExecute"}],
    }
    with fo.cluster_taint_policy(local_env, f"down-{_uid()}", spec):
        apiserver = stop_component(local_env, f"{old}/kube-apiserver")
        try:
            wait_for(lambda: fo.has_taint(local_env, old, key), timeout=120, interval=1, what=f"the NoExecute taint on {old} once NotReady")
            wait_for(lambda: fo.targets(fo.binding(local_env, ns, name)) == {new: 2}, timeout=60, what=f"replicas moved to {new}")
            wait_for(lambda: _placed_and_healthy(local_env, ns, name) == {new: 2}, timeout=90, what=f"healthy in {new}")
            wait_for(lambda: not fo.tasks(fo.binding(local_env, ns, name)), timeout=60, what="the task removed")
            assert fo.work_clusters(local_env, ns, name) == {new}, "the old Work is being deleted"
        finally:
            start_component(local_env, apiserver)
        wait_for(lambda: fo.has_taint(local_env, old, key) is None, timeout=120, interval=1, what=f"the taint removed once {old} is Ready")
        work = work_name("Deployment", name, ns)
        wait_for(lambda: get(local_env, "work", work, execution_namespace(old)) is None, timeout=90, what=f"the old Work gone from {old}")
        assert not local_env.kubectl("get", "deployment", name, "-n", ns, "--ignore-not-found", "-o", "name", context=old).stdout.strip()
    wait_member_recovered(local_env, old)


def test_cordon_and_uncordon(local_env: LocalEnv) -> None:
    flags = fo.cp_flags(local_env)
    try:
        assert karmadactl("cordon", "member3", *flags).stdout.strip() == "member3 cluster cordoned"
        assert fo.has_taint(local_env, "member3", "cluster.karmada.io/unschedulable")["effect"] == "NoSchedule"
        assert karmadactl("cordon", "member3", *flags).stdout.strip() == "member3 cluster already cordoned"
    finally:
        assert karmadactl("uncordon", "member3", *flags).stdout.strip() == "member3 cluster uncordoned"
    assert fo.has_taint(local_env, "member3", "cluster.karmada.io/unschedulable") is None
    assert karmadactl("uncordon", "member3", "--dry-run", *flags).stdout.strip() == "member3 cluster already uncordoned"
    proc = karmadactl("taint", "clusters", "nope", "a:NoSchedule", *flags, check=False)
    assert proc.returncode != 0 and "not found" in proc.stderr
