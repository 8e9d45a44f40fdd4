"""Application failover end to end (issue 11): a Deployment whose copy in one member stays unhealthy
past ``tolerationSeconds`` moves to another member, and the old copy goes once the new one is
healthy.

How the copy is made unhealthy for real: kwok runs every pod it is given, so the member's own
admission does it. A ResourceQuota ``pods: 0`` in that member's namespace, then the member's pods
deleted: the member's ReplicaSet controller cannot create new ones (quota exceeded), the member
Deployment's ``availableReplicas`` drops to 0 and its health interpreter reports Unhealthy. The
quota goes with the test (and the member namespace with the test's namespace)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.framework import failover as fo
from tests.e2e.framework.components import wait_members_settled
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.propagation import apply, deployment, events, namespace, scheduled
from tests.e2e.framework.wait import wait_for

PRODUCER = "resource-binding-application-failover-controller"


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    wait_members_settled(local_env)  # health is judged here: no member may still be recovering
    with namespace(local_env, "af") as name:
        yield name



def _policy(name: str, ns: str, clusters: list[str], application: dict) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name, "namespace": ns},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}], "propagateDeps": True,
                 "placement": {"clusterAffinity": {"clusterNames": clusters},
                               "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}},
                 "failover": {"application": application}},
    }  # fmt: skip


def _placed_and_healthy(env: LocalEnv, ns: str, name: str) -> dict[str, int] | None:
    b = fo.binding(env, ns, name)
    placed = scheduled(b)
    return placed if placed and all(fo.healthy(b, c) for c in placed) else None


def _break(env: LocalEnv, ns: str, name: str, cluster: str) -> None:
    """No pod can be created in ``cluster``'s namespace any more, and the running ones go."""
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "no-pods", "namespace": ns}, "spec": {"hard": {"pods": "0"}}}
    env.kubectl("apply", "-f", "-", input=json.dumps(quota), context=cluster)
    env.kubectl("delete", "pods", "-n", ns, "-l", f"app={name}", "--wait=false", context=cluster)


def test_policy_failover_field_reaches_the_binding_with_webhook_defaults(local_env: LocalEnv, ns: str) -> None:
    name = "defaults"
    apply(local_env, ns, deployment(name, ns, 1), _policy(name, ns, ["member1"], {"decisionConditions": {}}))
    b = wait_for(lambda: (b := fo.binding(local_env, ns, name)) and b["spec"].get("failover") and b, timeout=60, what="failover on the binding")
    assert b["spec"]["failover"]["application"] == {"decisionConditions": {"tolerationSeconds": 300}, "purgeMode": "Gracefully", "gracePeriodSeconds": 600}
    bad = _policy("bad", ns, ["member1"], {"decisionConditions": {}, "purgeMode": "Never", "gracePeriodSeconds": 10})
    proc = local_env.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert proc.returncode != 0 and "spec.failover.application.gracePeriodSeconds" in proc.stderr, proc.stderr


def test_an_unhealthy_application_moves_to_another_member(local_env: LocalEnv, ns: str) -> None:
    name = "fragile"
    application = {"decisionConditions": {"tolerationSeconds": 5}, "purgeMode": "Gracefully", "gracePeriodSeconds": 120}
    apply(local_env, ns, deployment(name, ns, 2), _policy(name, ns, ["member1", "member2"], application))
    (old,) = wait_for(lambda: _placed_and_healthy(local_env, ns, name), timeout=90, what="placed and healthy")
    new = "member2" if old == "member1" else "member1"
    try:
        with fo.binding_history(local_env, ns, name) as history:
            _break(local_env, ns, name, old)
            wait_for(lambda: any(i["clusterName"] == old and i.get("health") == "Unhealthy"
                                 for i in fo.binding(local_env, ns, name)["status"].get("aggregatedStatus") or []),
                     timeout=60, what=f"the copy in {old} unhealthy")  # fmt: skip
            # the task may end within a second (the new copy is healthy fast): read it from the watch
            moved = wait_for(lambda: history.first(lambda b: fo.tasks(b).get(old)), timeout=60, what=f"an eviction task for {old}")
        task = fo.tasks(moved)[old]
        assert (task["producer"], task["reason"], task["purgeMode"], task.get("gracePeriodSeconds")) == (PRODUCER, "ApplicationFailure", "Gracefully", 120)
        assert old not in fo.targets(moved)
        wait_for(lambda: _placed_and_healthy(local_env, ns, name) == {new: 2}, timeout=90, what=f"healthy in {new}")
        wait_for(lambda: not fo.tasks(fo.binding(local_env, ns, name)), timeout=90, what="the task removed once healthy elsewhere")
        wait_for(lambda: fo.work_clusters(local_env, ns, name) == {new}, timeout=60, what="only the new Work left")
        wait_for(lambda: not local_env.kubectl("get", "deployment", name, "-n", ns, "--ignore-not-found", "-o", "name", context=old).stdout.strip(),
                 timeout=60, what=f"the old copy gone from {old}")  # fmt: skip
        succeeded = [e for e in events(local_env, ns, "ResourceBinding", f"{name}-deployment") if e["reason"] == "EvictWorkloadFromClusterSucceed"]
        assert succeeded and succeeded[-1]["message"] == f"Evict from cluster {old} succeed."
    finally:
        local_env.kubectl("delete", "resourcequota", "no-pods", "-n", ns, "--ignore-not-found", context=old, check=False)


def test_a_direct_failover_carries_the_preserved_state_to_the_new_member(local_env: LocalEnv, ns: str) -> None:
    """statePreservation (gate StatefulFailoverInjection, on in local-up): the failed copy's status,
    read with the rule's jsonPath, becomes a label on the workload in the member it moves to."""
    name, label = "stateful", "failover.e2e.pykarmada.io/generation"
    application = {"decisionConditions": {"tolerationSeconds": 3}, "purgeMode": "Directly",
                   "statePreservation": {"rules": [{"aliasLabelName": label, "jsonPath": "{.observedGeneration}"}]}}  # fmt: skip
    apply(local_env, ns, deployment(name, ns, 1), _policy(name, ns, ["member1", "member2"], application))
    (old,) = wait_for(lambda: _placed_and_healthy(local_env, ns, name), timeout=90, what="placed and healthy")
    new = "member2" if old == "member1" else "member1"
    try:
        # The labels go with the task: once the new copy is healthy the task ends, and the next
        # sync leaves them out again (as upstream). The watch in the new member sees them.
        with fo.binding_history(local_env, ns, name) as bindings, fo.history(local_env, "deployments", namespace=ns, context=new) as copies:
            _break(local_env, ns, name, old)
            moved = wait_for(lambda: bindings.first(lambda b: fo.tasks(b).get(old)), timeout=90, what=f"an eviction task for {old}")
            task = fo.tasks(moved)[old]
            assert task["purgeMode"] == "Directly" and task["clustersBeforeFailover"] == [old], task
            preserved = task["preservedLabelState"]
            assert list(preserved) == [label] and preserved[label].isdigit(), preserved
            labelled = wait_for(lambda: copies.first(lambda d: d["metadata"]["name"] == name and label in (d["metadata"].get("labels") or {})),
                                timeout=90, what=f"the {label} label on the Deployment in {new}")  # fmt: skip
        assert labelled["metadata"]["labels"][label] == preserved[label]
    finally:
        local_env.kubectl("delete", "resourcequota", "no-pods", "-n", ns, "--ignore-not-found", context=old, check=False)
