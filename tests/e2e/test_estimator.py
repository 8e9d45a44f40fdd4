"""The scheduler-estimators end to end: one per member, started by local-up, answering over TLS
with client certificates, and the scheduler using their answers (issue 12)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pykarmada.localup.nodes import build_node
from tests.e2e.framework.components import start_component, stop_component, wait_member_recovered
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.estimators import ESTIMATOR, aggregated_policy, answers, apply, deployment, post, scheduled_condition, truth
from tests.e2e.framework.propagation import namespace
from tests.e2e.framework.wait import wait_for

TAINT = "e2e.pykarmada.io/estimator"


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with namespace(local_env, "est") as name:
        yield name


def test_answers_over_tls_with_a_client_certificate_and_refuses_without(local_env: LocalEnv) -> None:
    request = {"resourceRequest": {"cpu": "1", "memory": "1Gi"}}
    status, body = post(local_env, "member1", "/v1/MaxAvailableReplicas", {"cluster": "member1", "replicaRequirements": request})
    assert status == 200, body
    assert body["maxReplicas"] == truth(local_env, "member1", request)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        post(local_env, "member1", "/v1/MaxAvailableReplicas", {"cluster": "member1"}, client_cert=False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cluster": "member1", "replicaRequirements": {"resourceRequest": {"cpu": "-500m"}}}, "replicaRequirements.resourceRequest.cpu"),
        ({"cluster": "member1", "replicaRequirements": {"resourceRequest": {"gpus": "1"}}}, "replicaRequirements.resourceRequest.gpus"),
        ({"cluster": "member2"}, "cluster"),
    ],
)
def test_impossible_requests_get_400_naming_the_field(local_env: LocalEnv, body: dict[str, Any], field: str) -> None:
    status, answer = post(local_env, "member1", "/v1/MaxAvailableReplicas", body)
    assert status == 400
    assert answer["message"].startswith(f"{field}:"), answer


@pytest.fixture
def small_nodes(local_env: LocalEnv) -> Iterator[list[str]]:
    """member3 with its big nodes tainted and four 1.5-CPU nodes added: 6 CPU free, spread."""
    member = "member3"
    big = [n["metadata"]["name"] for n in local_env.kubectl_json("get", "nodes", context=member)["items"]]
    names = []
    for i in range(4):
        node = build_node(member, 100 + i, 3)
        small = {"cpu": "1500m", "memory": "4Gi", "pods": "110", "ephemeral-storage": "10Gi"}
        node["status"]["allocatable"], node["status"]["capacity"] = dict(small), dict(small)
        names.append(node["metadata"]["name"])
        apply(local_env, node, context=member)
    try:
        for name in big:
            local_env.kubectl("taint", "node", name, f"{TAINT}=big:NoSchedule", "--overwrite", context=member)
        yield names
    finally:
        for name in big:
            local_env.kubectl("taint", "node", name, f"{TAINT}:NoSchedule-", context=member, check=False)
        local_env.kubectl("delete", "node", *names, "--ignore-not-found", context=member, check=False)


def test_spread_free_cpu_gives_fewer_replicas_and_the_scheduler_falls_back_when_the_estimator_stops(
    local_env: LocalEnv, ns: str, small_nodes: list[str]
) -> None:
    request = {"resourceRequest": {"cpu": "1", "memory": "64Mi"}}
    status, body = wait_for(
        lambda: (r := post(local_env, "member3", "/v1/MaxAvailableReplicas", {"cluster": "member3", "replicaRequirements": request}))[1].get("maxReplicas") == 4 and r,
        what="the estimator counting one replica per small node",
    )
    assert status == 200
    # The small nodes hold 6 CPU in all; a cluster-wide division would say 6.
    assert truth(local_env, "member3", request) == 4

    apply(local_env, deployment("spread", ns, 6, "1"), aggregated_policy("spread", ns, ["member3"], {"name": "spread"}))
    cond = wait_for(lambda: (c := scheduled_condition(local_env, ns, "spread")) and c["status"] == "False" and c, what="Unschedulable")
    assert cond["reason"] == "Unschedulable"
    assert "Clusters available replicas 4 are not enough" in cond["message"], cond

    # With member3's estimator stopped the scheduler uses the general estimate again.
    controller_log = Path(next(p.log for p in local_env.state.processes if p.name == "karmada/karmada-controller-manager"))
    before = controller_log.read_text().count("scheduler-estimator of cluster member3 unavailable")
    spec = stop_component(local_env, f"member3/{ESTIMATOR}")
    try:
        apply(local_env, deployment("spread", ns, 5, "1"), deployment("other", ns, 5, "1"), aggregated_policy("other", ns, ["member3"], {"name": "other"}))
        for name in ("spread", "other"):
            cond = wait_for(lambda n=name: (c := scheduled_condition(local_env, ns, n)) and c["status"] == "True" and c, what=f"{name} scheduled")
            assert cond["clusters"] == {"member3": 5}
        assert controller_log.read_text().count("scheduler-estimator of cluster member3 unavailable") == before + 1
    finally:
        start_component(local_env, spec)
    wait_for(lambda: answers(local_env, "member3"), what="the estimator back")


def test_concurrent_bindings_do_not_overcommit(local_env: LocalEnv, ns: str) -> None:
    request = {"resourceRequest": {"cpu": "3", "memory": "64Mi"}}
    fit = truth(local_env, "member1", request)
    assert 0 < fit < 20
    burst = [deployment(f"burst-{i}", ns, 1, "3", labels={"burst": "yes"}) for i in range(20)]
    apply(local_env, aggregated_policy("burst", ns, ["member1"], {"labelSelector": {"matchLabels": {"burst": "yes"}}}), *burst)

    def settled() -> list[dict[str, Any]] | None:
        conds = [scheduled_condition(local_env, ns, f"burst-{i}") for i in range(20)]
        return conds if all(conds) else None

    conds = wait_for(settled, timeout=120, what="all 20 bindings scheduled or unschedulable")
    placed = sum(c["clusters"].get("member1", 0) for c in conds if c["status"] == "True")
    assert 0 < placed <= fit, (placed, fit)
    assert sum(c["reason"] == "Unschedulable" for c in conds) == 20 - placed


def test_a_member_whose_api_is_down_makes_its_estimator_answer_unknown(local_env: LocalEnv) -> None:
    member = "member2"
    body = {"cluster": member, "replicaRequirements": {"resourceRequest": {"cpu": "1"}}}
    spec = stop_component(local_env, f"{member}/kube-apiserver")
    try:
        status, answer = wait_for(lambda: (r := post(local_env, member, "/v1/MaxAvailableReplicas", body))[0] != 200 and r, what="503")
        assert status == 503 and "member API unreachable" in answer["message"], answer
    finally:
        start_component(local_env, spec)
    wait_for(lambda: post(local_env, member, "/v1/MaxAvailableReplicas", body)[0] == 200, timeout=60, what="answers again")
    wait_member_recovered(local_env, member)


def test_describe_shows_the_capacity_the_scheduler_estimated(local_env: LocalEnv, ns: str) -> None:
    apply(local_env, deployment("sized", ns, 2, "1"), aggregated_policy("sized", ns, ["member1"], {"name": "sized"}))
    wait_for(lambda: (c := scheduled_condition(local_env, ns, "sized")) and c["status"] == "True", what="sized scheduled")
    described = karmadactl("describe", "deployment", "sized", "-n", ns, "--kubeconfig", local_env.karmada_kubeconfig).stdout
    line = next((ln.strip() for ln in described.splitlines() if ln.strip().startswith("Capacity:")), "")
    assert line.endswith("(replicas each cluster could hold, estimated when scheduled)"), described
    value = int(line.split("member1=")[1].split()[0].rstrip(","))
    assert value >= 2, line
