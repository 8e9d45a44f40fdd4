"""Propagation end to end (issue 'Propagation'): templates and policies applied to the control
plane run in the members, with status aggregated back; kwok pods really become Running."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import yaml

from tests.e2e.framework.components import start_component, stop_component, wait_members_settled
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    """A namespace of its own in the control plane (namespace sync takes it to the members), once
    every member is settled (health and readiness are judged here)."""
    wait_members_settled(local_env)
    name = f"prop-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", name)
    yield name
    local_env.kubectl("delete", "namespace", name, "--wait=false", check=False)


def deployment(name: str, namespace: str, replicas: int, *, image: str = "nginx", cpu: str | None = None) -> dict:
    container: dict = {"name": "main", "image": image}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
        },
    }


def policy(name: str, namespace: str, target: str, placement: dict) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": target}], "placement": placement},
    }


def static_weights(weights: dict[str, int]) -> dict:
    return {
        "clusterAffinity": {"clusterNames": sorted(weights)},
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [{"targetCluster": {"clusterNames": [c]}, "weight": w} for c, w in sorted(weights.items())]},
        },
    }


def apply(env: LocalEnv, *objects: dict) -> None:
    env.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objects))


def member_replicas(env: LocalEnv, namespace: str, name: str) -> dict[str, int]:
    """Deployment replicas per member where it exists."""
    out = {}
    for member in env.state.members:
        proc = env.kubectl("get", "deployment", name, "-n", namespace, "-o", "json", "--ignore-not-found", context=member)
        if proc.stdout.strip():
            out[member] = json.loads(proc.stdout)["spec"]["replicas"]
    return out


def ready_members(env: LocalEnv, namespace: str, name: str) -> dict[str, int]:
    out = {}
    for member in env.state.members:
        proc = env.kubectl("get", "deployment", name, "-n", namespace, "-o", "json", "--ignore-not-found", context=member)
        if proc.stdout.strip():
            out[member] = json.loads(proc.stdout).get("status", {}).get("readyReplicas", 0)
    return out


def template_status(env: LocalEnv, namespace: str, name: str) -> dict:
    return env.kubectl_json("get", "deployment", name, "-n", namespace).get("status", {})


def test_nginx_sample_runs_in_the_two_named_members(local_env: LocalEnv, ns: str) -> None:
    apply(local_env, deployment("nginx", ns, 2), policy("nginx-propagation", ns, "nginx", static_weights({"member1": 1, "member2": 1})))
    wait_for(lambda: member_replicas(local_env, ns, "nginx") == {"member1": 1, "member2": 1}, timeout=60, what="nginx in member1 and member2 only")
    wait_for(lambda: template_status(local_env, ns, "nginx").get("readyReplicas") == 2, timeout=90, what="READY 2/2 on the control plane")
    row = local_env.kubectl("get", "deployment", "nginx", "-n", ns, "--no-headers").stdout.split()
    assert row[1] == "2/2", row
    binding = local_env.kubectl_json("get", "resourcebinding", "nginx-deployment", "-n", ns)
    assert sorted(c["name"] for c in binding["spec"]["clusters"]) == ["member1", "member2"]
    fully = next(c for c in binding["status"]["conditions"] if c["type"] == "FullyApplied")
    assert fully["status"] == "True"
    # Why it is propagated, in one place: policy, binding, schedule result, Work per cluster.
    described = karmadactl("describe", "deployment", "nginx", "-n", ns, "--kubeconfig", local_env.karmada_kubeconfig).stdout
    assert f"PropagationPolicy {ns}/nginx-propagation" in described
    assert "Scheduled:    True" in described and "FullyApplied: True" in described
    assert "member1: replicas=1 health=Healthy Applied=True (AppliedSuccessful)" in described, described
    # ... and why not, for a template no policy selects.
    apply(local_env, deployment("lonely", ns, 1))
    lonely = karmadactl("describe", "deployment", "lonely", "-n", ns, "--kubeconfig", local_env.karmada_kubeconfig).stdout
    assert "not propagated: no PropagationPolicy or ClusterPropagationPolicy selects it" in lonely


def test_static_weights_one_to_two_over_nine(local_env: LocalEnv, ns: str) -> None:
    apply(local_env, deployment("weighted", ns, 9), policy("weighted", ns, "weighted", static_weights({"member1": 1, "member2": 2})))
    wait_for(lambda: member_replicas(local_env, ns, "weighted") == {"member1": 3, "member2": 6}, timeout=60, what="3 and 6 replicas")
    wait_for(lambda: template_status(local_env, ns, "weighted").get("readyReplicas") == 9, timeout=90, what="9 ready in total")


def test_dynamic_weights_follow_available_capacity(local_env: LocalEnv, ns: str) -> None:
    # Fill most of member2 directly (not through Karmada): it has far less room left.
    filler_ns = f"filler-{uuid.uuid4().hex[:4]}"
    nodes = local_env.state.nodes_per_member
    local_env.kubectl("create", "namespace", filler_ns, context="member2")
    try:
        filler = deployment("filler", filler_ns, nodes, cpu="7")
        local_env.kubectl("apply", "-f", "-", input=json.dumps(filler), context="member2")
        wait_for(lambda: ready_members(local_env, filler_ns, "filler").get("member2") == nodes, timeout=60, what="filler running in member2")

        def member2_allocated() -> bool:
            summary = local_env.kubectl_json("get", "cluster", "member2")["status"].get("resourceSummary", {})
            return summary.get("allocated", {}).get("cpu") == str(7 * nodes)

        wait_for(member2_allocated, timeout=40, what="member2's resource summary to show the filler")
        placement = {
            "clusterAffinity": {"clusterNames": ["member1", "member2", "member3"]},
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted", "weightPreference": {"dynamicWeight": "AvailableReplicas"}},
        }
        apply(local_env, deployment("dynamic", ns, 12, cpu="1"), policy("dynamic", ns, "dynamic", placement))
        got = wait_for(lambda: (r := member_replicas(local_env, ns, "dynamic")) and sum(r.values()) == 12 and r, timeout=60, what="12 replicas placed")
        assert got.get("member2", 0) < got.get("member1", 0) and got.get("member2", 0) < got.get("member3", 0), got
    finally:
        local_env.kubectl("delete", "namespace", filler_ns, "--wait=false", context="member2", check=False)


def test_spread_by_region_picks_one_cluster_per_region(local_env: LocalEnv, ns: str) -> None:
    placement = {
        "clusterAffinity": {"clusterNames": local_env.state.members},
        "spreadConstraints": [{"spreadByField": "region", "minGroups": 2, "maxGroups": 2}, {"spreadByField": "cluster", "minGroups": 2, "maxGroups": 2}],
        "replicaScheduling": {"replicaSchedulingType": "Duplicated"},
    }
    apply(local_env, deployment("spread", ns, 1), policy("spread", ns, "spread", placement))
    placed = wait_for(lambda: (r := member_replicas(local_env, ns, "spread")) and len(r) == 2 and r, timeout=60, what="two clusters")
    regions = {local_env.kubectl_json("get", "cluster", m)["spec"]["region"] for m in placed}
    assert regions == {"us-east-1", "us-west-2"}, placed


def test_taint_without_toleration_excludes_a_cluster(local_env: LocalEnv, ns: str) -> None:
    key = f"e2e.pykarmada.io/{uuid.uuid4().hex[:4]}"
    taints = local_env.kubectl_json("get", "cluster", "member3")["spec"].get("taints", [])
    patch = {"spec": {"taints": taints + [{"key": key, "value": "x", "effect": "NoSchedule"}]}}
    local_env.kubectl("patch", "cluster", "member3", "--type=merge", "-p", json.dumps(patch))
    try:
        placement = {"clusterAffinity": {"clusterNames": local_env.state.members}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
        apply(local_env, deployment("tainted", ns, 1), policy("tainted", ns, "tainted", placement))
        wait_for(lambda: sorted(member_replicas(local_env, ns, "tainted")) == ["member1", "member2"], timeout=60, what="member1 and member2 only")
    finally:
        current = local_env.kubectl_json("get", "cluster", "member3")["spec"].get("taints", [])
        kept = [t for t in current if t["key"] != key]
        local_env.kubectl("patch", "cluster", "member3", "--type=merge", "-p", json.dumps({"spec": {"taints": kept or None}}))


def test_override_policy_changes_the_image_in_one_member_only(local_env: LocalEnv, ns: str) -> None:
    override = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": "registry", "namespace": ns},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "overridden"}],
            "overrideRules": [{"targetCluster": {"clusterNames": ["member1"]}, "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "registry.example.com"}]}}],
        },
    }
    apply(local_env, override, deployment("overridden", ns, 2, image="docker.io/library/nginx:1.27"), policy("overridden", ns, "overridden", static_weights({"member1": 1, "member2": 1})))

    def images() -> dict[str, str]:
        out = {}
        for member in ("member1", "member2"):
            proc = local_env.kubectl("get", "deployment", "overridden", "-n", ns, "-o", "json", "--ignore-not-found", context=member)
            if proc.stdout.strip():
                out[member] = json.loads(proc.stdout)["spec"]["template"]["spec"]["containers"][0]["image"]
        return out

    wait_for(lambda: images() == {"member1": "registry.example.com/library/nginx:1.27", "member2": "docker.io/library/nginx:1.27"}, timeout=60, what="the registry overridden in member1 only")


def test_scaling_policy_change_policy_deletion_and_template_deletion(local_env: LocalEnv, ns: str) -> None:
    apply(local_env, deployment("life", ns, 4), policy("life", ns, "life", static_weights({"member1": 1, "member2": 1})))
    wait_for(lambda: member_replicas(local_env, ns, "life") == {"member1": 2, "member2": 2}, timeout=60, what="2 and 2")
    local_env.kubectl("scale", "deployment", "life", "-n", ns, "--replicas=6")
    wait_for(lambda: member_replicas(local_env, ns, "life") == {"member1": 3, "member2": 3}, timeout=60, what="scaled to 3 and 3")
    apply(local_env, policy("life", ns, "life", static_weights({"member2": 1, "member3": 1})))
    wait_for(lambda: member_replicas(local_env, ns, "life") == {"member2": 3, "member3": 3}, timeout=60, what="moved to member2 and member3")
    # Deleting the policy leaves the workload where it is.
    local_env.kubectl("delete", "propagationpolicy", "life", "-n", ns)
    local_env.kubectl("scale", "deployment", "life", "-n", ns, "--replicas=2")
    assert member_replicas(local_env, ns, "life") == {"member2": 3, "member3": 3}
    # Deleting the template removes it from every member, with nothing left behind.
    local_env.kubectl("delete", "deployment", "life", "-n", ns)
    wait_for(lambda: member_replicas(local_env, ns, "life") == {}, timeout=60, what="member objects removed")
    wait_for(lambda: not local_env.kubectl("get", "resourcebinding", "-n", ns, "-o", "name").stdout.strip(), timeout=30, what="binding removed")
    for member in local_env.state.members:
        works = local_env.kubectl_json("get", "works", "-n", f"karmada-es-{member}")["items"]
        assert not [w for w in works if w["metadata"]["name"].startswith("life-")], member


def test_restart_of_the_controller_while_propagating_200_deployments(local_env: LocalEnv, ns: str) -> None:
    count = 200
    placement = static_weights({"member1": 1, "member2": 1})
    pp = {**policy("many", ns, "x", placement), "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"batch": "many"}}}], "placement": placement}}
    templates = []
    for i in range(count):
        d = deployment(f"many-{i:03d}", ns, 2)
        d["metadata"]["labels"]["batch"] = "many"
        templates.append(d)

    def propagated(member: str) -> int:
        return len(local_env.kubectl("get", "deployments", "-n", ns, "-l", "batch=many", "-o", "name", context=member).stdout.split())

    # Kill the controller (SIGKILL) once the first half is on its way, write the second half while
    # it is down, and start it again: it must finish both, with nothing duplicated or orphaned.
    apply(local_env, pp, *templates[: count // 2])
    wait_for(lambda: propagated("member1") >= 1, timeout=120, interval=0.1, what="propagation under way")
    spec = stop_component(local_env, "karmada/karmada-controller-manager", kill=True)
    try:
        apply(local_env, *templates[count // 2 :])
        assert propagated("member1") < count, "the second half cannot have been propagated with the controller down"
    finally:
        start_component(local_env, spec)

    def all_done() -> bool:
        counts = {}
        for member in ("member1", "member2"):
            listing = local_env.kubectl_json("get", "deployments", "-n", ns, "-l", "batch=many", context=member)["items"]
            counts[member] = {d["metadata"]["name"]: d["spec"]["replicas"] for d in listing}
        return all(len(c) == count and set(c.values()) == {1} for c in counts.values())

    wait_for(all_done, timeout=300, interval=3, what=f"{count} Deployments in member1 and member2 with 1 replica each")

    def exact(d: dict) -> bool:  # type: ignore[type-arg]
        status = d.get("status") or {}
        return all(status.get(f) == 2 for f in ("replicas", "readyReplicas", "updatedReplicas", "availableReplicas")) and status.get("observedGeneration") == d["metadata"]["generation"]

    def templates_exact() -> bool:
        items = local_env.kubectl_json("get", "deployments", "-n", ns, "-l", "batch=many")["items"]
        wrong = [(d["metadata"]["name"], d["metadata"]["generation"], d.get("status")) for d in items if not exact(d)]
        assert len(items) == count and not wrong, f"{len(wrong)} of {len(items)} not exact, e.g. {wrong[:2]}"
        return True

    # After the burst (and the restart), every template's aggregated status is exact.
    wait_for(templates_exact, timeout=120, interval=2, what="every template's status: 2 replicas updated, ready and available, generation observed")
    for member in ("member1", "member2"):
        works = [w for w in local_env.kubectl_json("get", "works", "-n", f"karmada-es-{member}")["items"] if w["metadata"]["name"].startswith("many-")]
        assert len(works) == count, f"{member}: {len(works)} works"
    bindings = local_env.kubectl_json("get", "resourcebindings", "-n", ns)["items"]
    assert len(bindings) == count
    assert local_env.kubectl("get", "deployments", "-n", ns, "-l", "batch=many", "-o", "name", context="member3").stdout.strip() == ""
