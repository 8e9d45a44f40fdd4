"""The scheduler-estimators end to end: one per member, started by local-up, answering over TLS
with client certificates, and the scheduler using their answers (issue 12)."""

from __future__ import annotations

import http.client
import json
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.karmada.estimation.fit import max_available_replicas, node_infos
from pykarmada.karmada.estimation.protocol import parse_replica_requirements
from pykarmada.localup.nodes import build_node
from pykarmada.localup.state import Layout
from tests.e2e.framework.components import member_nodes_schedulable, start_component, stop_component
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.wait import wait_for

ESTIMATOR = "karmada-scheduler-estimator"
TAINT = "e2e.pykarmada.io/estimator"


def pki(env: LocalEnv) -> Path:
    return Layout(env.state_dir).pki / "karmada"


def post(env: LocalEnv, member: str, path: str, body: Any, *, client_cert: bool = True) -> tuple[int, dict[str, Any]]:
    ctx = ssl.create_default_context(cafile=str(pki(env) / "ca.crt"))
    if client_cert:
        ctx.load_cert_chain(pki(env) / f"{ESTIMATOR}-client.crt", pki(env) / f"{ESTIMATOR}-client.key")
    conn = http.client.HTTPSConnection("localhost", env.state.ports[f"{member}/{ESTIMATOR}"], context=ctx, timeout=10)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def answers(env: LocalEnv, member: str) -> bool:
    """The member's estimator answers (it may still be starting)."""
    try:
        return post(env, member, "/v1/MaxAvailableReplicas", {"cluster": member})[0] == 200
    except OSError:
        return False


def truth(env: LocalEnv, member: str, request: dict[str, Any]) -> int:
    """What the member's nodes and pods allow, computed here from what kubectl reads."""
    nodes = env.kubectl_json("get", "nodes", context=member)["items"]
    pods = env.kubectl_json("get", "pods", "-A", "--field-selector=status.phase!=Succeeded,status.phase!=Failed", context=member)["items"]
    return max_available_replicas(node_infos(nodes, pods), parse_replica_requirements(request, "r"))


def apply(env: LocalEnv, *objects: dict[str, Any], context: str = "karmada-apiserver") -> None:
    env.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objects), context=context)


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    name = f"est-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", name)
    yield name
    local_env.kubectl("delete", "namespace", name, "--wait=false", check=False)


def deployment(name: str, namespace: str, replicas: int, cpu: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = {"app": name, **(labels or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]},
            },
        },
    }


def aggregated_policy(name: str, namespace: str, clusters: list[str], selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", **selector}],
            "placement": {
                "clusterAffinity": {"clusterNames": clusters},
                "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
            },
        },
    }


def scheduled_condition(env: LocalEnv, namespace: str, name: str) -> dict[str, Any] | None:
    proc = env.kubectl("get", "rb", f"{name}-deployment", "-n", namespace, "-o", "json", "--ignore-not-found")
    if not proc.stdout.strip():
        return None
    rb = json.loads(proc.stdout)
    cond = next((c for c in (rb.get("status") or {}).get("conditions") or [] if c["type"] == "Scheduled"), None)
    if cond is None:
        return None
    return {**cond, "clusters": {c["name"]: c.get("replicas", 0) for c in rb["spec"].get("clusters") or []}}


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
    wait_for(lambda: member_nodes_schedulable(local_env, member), timeout=120, interval=1, what=f"{member}'s nodes Ready and untainted")
