"""karmada-descheduler end to end: replicas unschedulable in a member longer than the threshold
are taken from it and the scheduler places them in another member (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pykarmada.localup.processes import ProcessSpec
from tests.e2e.framework.components import start_component, stop_component
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.propagation import events, namespace
from tests.e2e.framework.estimators import aggregated_policy, apply, deployment, scheduled_condition
from tests.e2e.framework.wait import wait_for

DESCHEDULER = "karmada/karmada-descheduler"


@pytest.fixture
def quick_descheduler(local_env: LocalEnv) -> Iterator[None]:
    """local-up's descheduler replaced by one with a 2 s interval and a 1 s threshold."""
    spec = stop_component(local_env, DESCHEDULER)
    argv = [a for a in spec.argv if not a.startswith(("--descheduling-interval", "--unschedulable-threshold", "--leader-elect"))]
    argv += ["--descheduling-interval=2s", "--unschedulable-threshold=1s", "--leader-elect=false"]
    quick = start_component(local_env, ProcessSpec(DESCHEDULER, argv, spec.log))
    try:
        yield
    finally:
        stop_component(local_env, DESCHEDULER)
        quick.wait(timeout=15)
        start_component(local_env, spec)


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with namespace(local_env, "desched") as name:
        yield name


def member_ready(env: LocalEnv, member: str, namespace: str, name: str) -> int:
    proc = env.kubectl("get", "deployment", name, "-n", namespace, "-o", "json", "--ignore-not-found", context=member)
    return json.loads(proc.stdout).get("status", {}).get("readyReplicas", 0) if proc.stdout.strip() else 0


def test_unschedulable_replicas_move_to_another_member(local_env: LocalEnv, ns: str, quick_descheduler: None) -> None:
    apply(local_env, deployment("mv", ns, 4, "2"), aggregated_policy("mv", ns, ["member2", "member3"], {"name": "mv"}))
    cond = wait_for(lambda: (c := scheduled_condition(local_env, ns, "mv")) and c["status"] == "True" and c, what="mv scheduled")
    (home,) = cond["clusters"]
    other = "member3" if home == "member2" else "member2"
    wait_for(lambda: member_ready(local_env, home, ns, "mv") == 4, what=f"4 ready replicas in {home}")

    # Fill the home member's nodes, then lose two replicas there: they come back Pending.
    nodes = [n["metadata"]["name"] for n in local_env.kubectl_json("get", "nodes", context=home)["items"]]
    hogs = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"hog-{node}", "namespace": ns},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "pause", "resources": {"requests": {"cpu": "8"}}}]},
        }
        for node in nodes
    ]
    apply(local_env, *hogs, context=home)
    pods = [p["metadata"]["name"] for p in local_env.kubectl_json("get", "pods", "-n", ns, "-l", "app=mv", context=home)["items"]]
    local_env.kubectl("delete", "pod", "-n", ns, *pods[:2], "--wait=false", context=home)

    final = wait_for(
        lambda: (c := scheduled_condition(local_env, ns, "mv")) and c["clusters"] == {home: 2, other: 2} and c,
        timeout=90,
        what="two replicas moved to the other member",
    )
    assert final["status"] == "True"
    messages = [e["message"] for e in events(local_env, ns, "ResourceBinding", "mv-deployment") if e["reason"] == "DescheduleBindingSucceed"]
    assert f"Binding has been descheduled, 2 replica(s) in cluster({home}), 2 total descheduled replica(s)" in messages
    wait_for(lambda: member_ready(local_env, other, ns, "mv") == 2, what=f"2 ready replicas in {other}")
