"""WorkloadRebalancer end to end (apps.karmada.io/v1alpha1): the named workloads' bindings get
``rescheduleTriggeredAt`` (the rebalancer's creation time) and the scheduler schedules them again;
the status records each workload's result; ``ttlSecondsAfterFinished`` deletes the rebalancer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.propagation import apply, deployment, get, namespace, scheduled
from tests.e2e.framework.wait import wait_for


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with namespace(local_env, "wr") as name:
        yield name


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()



def _policy(name: str, ns: str) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name, "namespace": ns},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                 "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                               "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}},
    }  # fmt: skip


def _binding(env: LocalEnv, ns: str, name: str) -> dict:
    found = get(env, "resourcebinding", f"{name}-deployment", ns)
    assert found is not None
    return found


@pytest.fixture
def rebalancer(local_env: LocalEnv) -> Iterator[str]:
    name = f"e2e-wr-{uuid.uuid4().hex[:6]}"
    yield name
    local_env.kubectl("delete", "workloadrebalancer", name, "--ignore-not-found", check=False)


def test_rebalancer_triggers_a_fresh_schedule_and_reports_each_workload(local_env: LocalEnv, ns: str, rebalancer: str) -> None:
    name = "rebalanced"
    apply(local_env, ns, deployment(name, ns, 2), _policy(name, ns))
    wait_for(lambda: scheduled(_binding(local_env, ns, name)), timeout=60, what="scheduled")
    last = _time(_binding(local_env, ns, name)["status"]["lastScheduledTime"])
    # Times have a resolution of one second: the rebalancer must be created after the last schedule's second.
    wait_for(lambda: time.time() >= last + 1.0, timeout=5, what="the next second")
    body = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": rebalancer},
            "spec": {"workloads": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name},
                                   {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": "absent"}]}}  # fmt: skip
    local_env.kubectl("create", "-f", "-", input=json.dumps(body))
    created = local_env.kubectl_json("get", "workloadrebalancer", rebalancer)["metadata"]["creationTimestamp"]
    done = wait_for(lambda: (r := local_env.kubectl_json("get", "workloadrebalancer", rebalancer)).get("status", {}).get("finishTime") and r,
                    timeout=30, what="the rebalancer finished")  # fmt: skip
    assert done["status"]["observedGeneration"] == 1
    assert done["status"]["observedWorkloads"] == [
        {"workload": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": "absent"}, "result": "Failed", "reason": "ReferencedBindingNotFound"},
        {"workload": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name}, "result": "Successful"},
    ]  # fmt: skip
    b = _binding(local_env, ns, name)
    assert b["spec"]["rescheduleTriggeredAt"] == created
    b = wait_for(lambda: (b := _binding(local_env, ns, name)) and _time(b["status"]["lastScheduledTime"]) >= _time(created) and b,
                 timeout=30, what="scheduled again after the trigger")  # fmt: skip
    assert sum(scheduled(b).values()) == 2
    assert "ttlSecondsAfterFinished" not in done["spec"]
    assert local_env.kubectl_json("get", "workloadrebalancer", rebalancer)["metadata"]["name"] == rebalancer, "kept without a TTL"


def test_ttl_deletes_the_finished_rebalancer_and_bad_specs_are_refused(local_env: LocalEnv, ns: str, rebalancer: str) -> None:
    name = "ttl"
    apply(local_env, ns, deployment(name, ns, 2), _policy(name, ns))
    wait_for(lambda: scheduled(_binding(local_env, ns, name)), timeout=60, what="scheduled")
    body = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": rebalancer},
            "spec": {"ttlSecondsAfterFinished": 3, "workloads": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name}]}}  # fmt: skip
    local_env.kubectl("create", "-f", "-", input=json.dumps(body))
    wait_for(lambda: not local_env.kubectl("get", "workloadrebalancer", rebalancer, "--ignore-not-found", "-o", "name").stdout.strip(),
             timeout=30, what="the rebalancer deleted after its TTL")  # fmt: skip
    assert _binding(local_env, ns, name)["spec"].get("rescheduleTriggeredAt")
    empty = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": f"{rebalancer}-empty"}, "spec": {"workloads": []}}
    proc = local_env.kubectl("create", "-f", "-", input=json.dumps(empty), check=False)
    assert proc.returncode != 0 and "spec.workloads" in proc.stderr, proc.stderr
