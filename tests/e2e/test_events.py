"""Events of propagation on the control plane: upstream's reasons, types, sources and involved
objects (template, binding, Work, Cluster), as ``kubectl describe`` and ``kubectl get events``
show them to a user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pykarmada.karmada import constants as C
from pykarmada.karmada.names import execution_namespace, work_name
from tests.e2e.framework import propagation as fw
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.wait import wait_for

TIMEOUT = 60
Event = dict[str, Any]


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with fw.namespace(local_env, "events") as name:
        yield name


def events_about(env: LocalEnv, obj: dict[str, Any], namespace: str | None = None) -> list[Event]:
    """Events whose involvedObject is ``obj`` (by uid), from the namespace they are stored in."""
    where = namespace or obj["metadata"].get("namespace") or "default"
    selector = f"involvedObject.uid={obj['metadata']['uid']}"
    return env.kubectl_json("get", "events", "-n", where, "--field-selector", selector)["items"]


def wait_for_reasons(env: LocalEnv, obj: dict[str, Any], reasons: set[str], namespace: str | None = None) -> dict[str, Event]:
    def check() -> dict[str, Event] | None:
        by_reason = {e["reason"]: e for e in events_about(env, obj, namespace)}
        return by_reason if reasons <= set(by_reason) else None

    return wait_for(check, timeout=TIMEOUT, what=f"events {sorted(reasons)} on {obj['kind']} {obj['metadata']['name']}")


def assert_event(event: Event, type_: str, component: str, obj: dict[str, Any], message: str | None = None) -> None:
    involved = event["involvedObject"]
    meta = obj["metadata"]
    assert event["type"] == type_, event
    assert event["source"]["component"] == component, event
    assert (involved["apiVersion"], involved["kind"], involved.get("namespace", ""), involved["name"], involved["uid"]) == (
        obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"], meta["uid"],
    )
    assert event["count"] >= 1
    if message is not None:
        assert event["message"] == message, event


def test_nginx_propagation_records_upstreams_events(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, fw.sample("nginx-deployment.yaml"), fw.sample("nginx-propagationpolicy.yaml"), fw.sample("nginx-overridepolicy.yaml"))
    wait_for(lambda: (fw.get(local_env, "deployment", "nginx", ns) or {}).get("status", {}).get("readyReplicas") == 2, timeout=TIMEOUT, what="nginx ready in the control plane")
    template = fw.get(local_env, "deployment", "nginx", ns)
    assert template is not None

    # The template: what its propagation went through, stage by stage.
    on_template = wait_for_reasons(local_env, template, {
        C.EVENT_APPLY_POLICY_SUCCEED, C.EVENT_GET_REPLICAS_SUCCEED, C.EVENT_SCHEDULE_BINDING_SUCCEED, C.EVENT_SYNC_WORK_SUCCEED,
        C.EVENT_APPLY_OVERRIDE_POLICY_SUCCEED, C.EVENT_SYNC_WORKLOAD_SUCCEED, C.EVENT_AGGREGATE_STATUS_SUCCEED,
    })
    assert_event(on_template[C.EVENT_APPLY_POLICY_SUCCEED], "Normal", C.CONTROLLER_RESOURCE_DETECTOR, template, f"Apply policy({ns}/nginx-propagation) succeed")
    assert_event(on_template[C.EVENT_GET_REPLICAS_SUCCEED], "Normal", C.CONTROLLER_RESOURCE_DETECTOR, template, "Get replicas of resource template successfully.")
    assert_event(on_template[C.EVENT_SCHEDULE_BINDING_SUCCEED], "Normal", C.DEFAULT_SCHEDULER_NAME, template)
    assert on_template[C.EVENT_SCHEDULE_BINDING_SUCCEED]["message"].startswith("Binding has been scheduled successfully. Result: {")
    assert_event(on_template[C.EVENT_SYNC_WORK_SUCCEED], "Normal", C.COMPONENT_BINDING_CONTROLLER, template, f"Sync work of ResourceBinding({ns}/nginx-deployment) successful.")
    assert_event(on_template[C.EVENT_APPLY_OVERRIDE_POLICY_SUCCEED], "Normal", C.COMPONENT_OVERRIDE_MANAGER, template)
    overrides = {e["message"] for e in events_about(local_env, template) if e["reason"] == C.EVENT_APPLY_OVERRIDE_POLICY_SUCCEED}
    assert overrides == {f"Apply override policy({ns}/nginx-op) for cluster({c}) succeed." for c in ("member1", "member2")}
    assert_event(on_template[C.EVENT_SYNC_WORKLOAD_SUCCEED], "Normal", C.COMPONENT_EXECUTION_CONTROLLER, template)
    synced = {e["message"] for e in events_about(local_env, template) if e["reason"] == C.EVENT_SYNC_WORKLOAD_SUCCEED}
    assert synced == {f"Successfully applied resource({ns}/nginx) to cluster {c}" for c in ("member1", "member2")}
    assert_event(on_template[C.EVENT_AGGREGATE_STATUS_SUCCEED], "Normal", C.COMPONENT_RB_STATUS_CONTROLLER, template, "Update Resource with AggregatedStatus successfully.")

    # What a user reads: kubectl describe lists them.
    described = local_env.kubectl("describe", "deployment", "nginx", "-n", ns).stdout
    events_section = described[described.index("Events:"):]
    for reason in on_template:
        assert reason in events_section, f"{reason} missing from kubectl describe:\n{events_section}"

    # The binding.
    binding = fw.get(local_env, "resourcebinding", "nginx-deployment", ns)
    on_binding = wait_for_reasons(local_env, binding, {C.EVENT_SCHEDULE_BINDING_SUCCEED, C.EVENT_SYNC_WORK_SUCCEED, C.EVENT_AGGREGATE_STATUS_SUCCEED})
    assert_event(on_binding[C.EVENT_SCHEDULE_BINDING_SUCCEED], "Normal", C.DEFAULT_SCHEDULER_NAME, binding, on_template[C.EVENT_SCHEDULE_BINDING_SUCCEED]["message"])
    assert_event(on_binding[C.EVENT_SYNC_WORK_SUCCEED], "Normal", C.COMPONENT_BINDING_CONTROLLER, binding, f"Sync work of ResourceBinding({ns}/nginx-deployment) successful.")
    assert_event(on_binding[C.EVENT_AGGREGATE_STATUS_SUCCEED], "Normal", C.COMPONENT_RB_STATUS_CONTROLLER, binding, f"Update ResourceBinding({ns}/nginx-deployment) with AggregatedStatus successfully.")

    # Each Work, in its execution namespace.
    for cluster in ("member1", "member2"):
        work = fw.get(local_env, "work", work_name("Deployment", "nginx", ns), execution_namespace(cluster))
        assert work is not None
        on_work = wait_for_reasons(local_env, work, {C.EVENT_WORK_DISPATCHING, C.EVENT_SYNC_WORKLOAD_SUCCEED, C.EVENT_REFLECT_STATUS_SUCCEED, C.EVENT_INTERPRET_HEALTH_SUCCEED})
        where = f"{work['metadata']['namespace']}/{work['metadata']['name']}"
        assert_event(on_work[C.EVENT_WORK_DISPATCHING], "Normal", C.COMPONENT_EXECUTION_CONTROLLER, work, "Work is being dispatched to member clusters.")
        assert_event(on_work[C.EVENT_SYNC_WORKLOAD_SUCCEED], "Normal", C.COMPONENT_EXECUTION_CONTROLLER, work, f"Sync work({where}) to cluster({cluster}) successful.")
        assert_event(on_work[C.EVENT_REFLECT_STATUS_SUCCEED], "Normal", C.COMPONENT_WORK_STATUS_CONTROLLER, work, f"Reflect status for object(Deployment/{ns}/nginx) succeed.")
        healths = {e["message"] for e in events_about(local_env, work) if e["reason"] == C.EVENT_INTERPRET_HEALTH_SUCCEED}
        assert f"Interpret health of object(Deployment/{ns}/nginx) as healthy." in healths


def test_clusters_have_their_events_in_default(local_env: LocalEnv) -> None:
    """Cluster-scoped: the cluster controller's Events are stored in ``default`` (recorded when
    the environment joined its members, so they last for the API server's event TTL)."""
    cluster = fw.get(local_env, "cluster", "member1")
    assert cluster is not None
    on_cluster = wait_for_reasons(local_env, cluster, {C.EVENT_CREATE_EXECUTION_SPACE_SUCCEED}, namespace="default")
    assert_event(on_cluster[C.EVENT_CREATE_EXECUTION_SPACE_SUCCEED], "Normal", C.COMPONENT_CLUSTER_CONTROLLER, cluster, "Created execution space(karmada-es-member1) for cluster(member1).")
    for event in events_about(local_env, cluster, "default"):
        # The not-ready taint, when it came before Ready (ClusterTaintPolicies record this reason too).
        if event["reason"] == C.EVENT_TAINT_CLUSTER_SUCCEED and event["source"]["component"] != C.COMPONENT_CLUSTER_TAINT_POLICY_CONTROLLER:
            assert_event(event, "Normal", C.COMPONENT_CLUSTER_CONTROLLER, cluster)
            assert event["message"].startswith("Taint cluster succeed: cluster now ")


def test_no_cluster_fits_warns_on_binding_and_template(local_env: LocalEnv, ns: str) -> None:
    policy = fw.sample("nginx-propagationpolicy.yaml")
    policy["spec"]["placement"] = {"clusterAffinity": {"clusterNames": ["no-such-cluster"]}}
    fw.apply(local_env, ns, fw.sample("nginx-deployment.yaml"), policy)
    binding = wait_for(lambda: fw.get(local_env, "resourcebinding", "nginx-deployment", ns), timeout=TIMEOUT, what="binding")
    template = fw.get(local_env, "deployment", "nginx", ns)
    for obj in (binding, template):
        failed = wait_for_reasons(local_env, obj, {C.EVENT_SCHEDULE_BINDING_FAILED})[C.EVENT_SCHEDULE_BINDING_FAILED]
        assert_event(failed, "Warning", C.DEFAULT_SCHEDULER_NAME, obj)
        assert failed["message"].startswith(f"0/{len(local_env.state.members)} clusters are available: ")
    assert C.EVENT_SCHEDULE_BINDING_SUCCEED not in {e["reason"] for e in events_about(local_env, template)}


def test_override_that_cannot_apply_warns_and_writes_no_work(local_env: LocalEnv, ns: str) -> None:
    override = fw.nginx_override("broken", "member1", {"plaintext": [{"path": "/spec/no/such/field", "operator": "remove"}]})
    fw.apply(local_env, ns, override)
    fw.apply(local_env, ns, fw.sample("nginx-deployment.yaml"), fw.sample("nginx-propagationpolicy.yaml"))
    template = wait_for(lambda: fw.get(local_env, "deployment", "nginx", ns), timeout=TIMEOUT, what="template")
    on_template = wait_for_reasons(local_env, template, {C.EVENT_APPLY_OVERRIDE_POLICY_FAILED, C.EVENT_SYNC_WORK_FAILED})
    assert_event(on_template[C.EVENT_APPLY_OVERRIDE_POLICY_FAILED], "Warning", C.COMPONENT_OVERRIDE_MANAGER, template, f"Apply override policy({ns}/broken) for cluster(member1) failed.")
    assert_event(on_template[C.EVENT_SYNC_WORK_FAILED], "Warning", C.COMPONENT_BINDING_CONTROLLER, template)
    assert "broken" in on_template[C.EVENT_SYNC_WORK_FAILED]["message"]
    binding = fw.get(local_env, "resourcebinding", "nginx-deployment", ns)
    failed = wait_for_reasons(local_env, binding, {C.EVENT_SYNC_WORK_FAILED})[C.EVENT_SYNC_WORK_FAILED]
    assert_event(failed, "Warning", C.COMPONENT_BINDING_CONTROLLER, binding, on_template[C.EVENT_SYNC_WORK_FAILED]["message"])
    assert "member1" not in fw.works(local_env, "Deployment", "nginx", ns)


def test_dependencies_distributor_reports_the_dependencies(local_env: LocalEnv, ns: str) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nginx-config"}, "data": {"k": "v"}}
    deployment = fw.sample("nginx-deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "config", "configMap": {"name": "nginx-config"}}]
    policy = fw.sample("nginx-propagationpolicy.yaml")
    policy["spec"]["propagateDeps"] = True
    fw.apply(local_env, ns, config, deployment, policy)
    template = wait_for(lambda: fw.get(local_env, "deployment", "nginx", ns), timeout=TIMEOUT, what="template")
    event = wait_for_reasons(local_env, template, {C.EVENT_GET_DEPENDENCIES_SUCCEED})[C.EVENT_GET_DEPENDENCIES_SUCCEED]
    expected = f"Get dependencies([{{APIVersion:v1 Kind:ConfigMap Namespace:{ns} Name:nginx-config LabelSelector:<nil>}}]) succeed."
    assert_event(event, "Normal", C.CONTROLLER_DEPENDENCIES_DISTRIBUTOR, template, expected)


def test_cluster_scoped_template_and_binding_have_their_events_in_default(local_env: LocalEnv, ns: str) -> None:
    role_name = f"{ns}-reader"
    with fw.cluster_role_propagated(local_env, role_name):
        template = fw.get(local_env, "clusterrole", role_name)
        crb = wait_for(lambda: fw.get(local_env, "clusterresourcebinding", f"{role_name}-clusterrole"), timeout=TIMEOUT, what="ClusterResourceBinding")
        on_template = wait_for_reasons(local_env, template, {C.EVENT_APPLY_POLICY_SUCCEED, C.EVENT_SCHEDULE_BINDING_SUCCEED, C.EVENT_SYNC_WORK_SUCCEED, C.EVENT_SYNC_WORKLOAD_SUCCEED}, namespace="default")
        assert_event(on_template[C.EVENT_APPLY_POLICY_SUCCEED], "Normal", C.CONTROLLER_RESOURCE_DETECTOR, template, f"Apply cluster policy({role_name}) succeed")
        assert_event(on_template[C.EVENT_SYNC_WORKLOAD_SUCCEED], "Normal", C.COMPONENT_EXECUTION_CONTROLLER, template, f"Successfully applied resource(/{role_name}) to cluster member1")
        on_crb = wait_for_reasons(local_env, crb, {C.EVENT_SCHEDULE_BINDING_SUCCEED, C.EVENT_SYNC_WORK_SUCCEED}, namespace="default")
        assert_event(on_crb[C.EVENT_SYNC_WORK_SUCCEED], "Normal", C.COMPONENT_CLUSTER_RESOURCE_BINDING_CONTROLLER, crb, f"Sync work of ClusterResourceBinding({role_name}-clusterrole) successful.")
