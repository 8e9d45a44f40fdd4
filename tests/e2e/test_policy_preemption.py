"""Policy preemption end to end (gate PropagationPolicyPreemption, on in local-up as in upstream's):
a PropagationPolicy with a higher priority and ``preemption: Always`` takes a Deployment from a
lower-priority PropagationPolicy, and one takes a Deployment from a ClusterPropagationPolicy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.metrics import endpoint, scrape
from tests.e2e.framework.propagation import apply, deployment, events, get, namespace, scheduled
from tests.e2e.framework.wait import wait_for


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with namespace(local_env, "pre") as name:
        yield name



def _spec(name: str, ns: str, cluster: str, **extra: object) -> dict:
    return {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": ns}],
            "placement": {"clusterAffinity": {"clusterNames": [cluster]}}, **extra}  # fmt: skip


def _pp(policy: str, ns: str, spec: dict) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": policy, "namespace": ns}, "spec": spec}


def _placed(env: LocalEnv, ns: str, name: str) -> dict[str, int] | None:
    return scheduled(get(env, "resourcebinding", f"{name}-deployment", ns))


def _claimed_by(env: LocalEnv, ns: str, name: str) -> dict[str, str]:
    annotations = (get(env, "deployment", name, ns) or {}).get("metadata", {}).get("annotations") or {}
    return {k.rsplit("/", 1)[1]: v for k, v in annotations.items() if k.startswith("propagationpolicy.karmada.io/") or k.startswith("clusterpropagationpolicy.karmada.io/")}


def _preempt_events(env: LocalEnv, ns: str, name: str) -> list[dict]:
    return [e for e in events(env, ns, "Deployment", name) if e["reason"].startswith("PreemptPolicy")]


def test_higher_priority_policy_preempts_a_lower_one(local_env: LocalEnv, ns: str) -> None:
    name = "contested"
    apply(local_env, ns, deployment(name, ns), _pp("low", ns, _spec(name, ns, "member1", priority=1)))
    wait_for(lambda: _placed(local_env, ns, name) == {"member1": 1}, timeout=60, what="placed by the low-priority policy")
    before = scrape(endpoint(local_env, "karmada-controller-manager/metrics")).value("policy_preemption_total", result="success") or 0
    # Equal priority does not preempt.
    apply(local_env, ns, _pp("peer", ns, _spec(name, ns, "member2", priority=1, preemption="Always")))
    apply(local_env, ns, _pp("high", ns, _spec(name, ns, "member2", priority=5, preemption="Always")))
    wait_for(lambda: _placed(local_env, ns, name) == {"member2": 1}, timeout=60, what="placed by the high-priority policy")
    assert _claimed_by(local_env, ns, name) == {"namespace": ns, "name": "high"}
    event = wait_for(lambda: _preempt_events(local_env, ns, name), timeout=30, what="a PreemptPolicySucceed event")[0]
    assert (event["reason"], event["type"]) == ("PreemptPolicySucceed", "Normal")
    assert event["message"] == f"Propagation policy({ns}/high) preempted propagation policy({ns}/low) successfully"
    assert event["source"]["component"] == "resource-detector"
    after = scrape(endpoint(local_env, "karmada-controller-manager/metrics")).value("policy_preemption_total", result="success")
    assert after >= before + 1


def test_propagation_policy_preempts_a_cluster_propagation_policy(local_env: LocalEnv, ns: str) -> None:
    name, cpp = "shared", f"e2e-pre-{uuid.uuid4().hex[:6]}"
    body = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy", "metadata": {"name": cpp},
            "spec": _spec(name, ns, "member1", priority=100)}  # fmt: skip
    local_env.kubectl("apply", "-f", "-", input=json.dumps(body))
    try:
        apply(local_env, ns, deployment(name, ns))
        wait_for(lambda: _placed(local_env, ns, name) == {"member1": 1}, timeout=60, what="placed by the ClusterPropagationPolicy")
        assert _claimed_by(local_env, ns, name) == {"name": cpp}
        apply(local_env, ns, _pp("mine", ns, _spec(name, ns, "member2", preemption="Always")))
        wait_for(lambda: _placed(local_env, ns, name) == {"member2": 1}, timeout=60, what="placed by the PropagationPolicy")
        assert _claimed_by(local_env, ns, name) == {"namespace": ns, "name": "mine"}
        event = wait_for(lambda: _preempt_events(local_env, ns, name), timeout=30, what="a PreemptPolicySucceed event")[0]
        assert event["message"] == f"Propagation policy({ns}/mine) preempted cluster propagation policy({cpp}) successfully"
    finally:
        local_env.kubectl("delete", "clusterpropagationpolicy", cpp, "--ignore-not-found", check=False)
