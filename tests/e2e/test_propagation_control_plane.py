"""Propagation, control-plane side: detector -> ResourceBinding -> scheduler -> binding
controller -> Works (api.md 6-7, behaviour.md 1-3, 7, 8). Member-side effects are asserted in
test_propagation.py; here only what the control plane stores."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest

from pykarmada.karmada import constants as C
from pykarmada.karmada.names import work_name
from tests.e2e.framework import propagation as fw
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.wait import wait_for

TIMEOUT = 60


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with fw.namespace(local_env) as name:
        yield name


def nginx_sample(*, replicas: int | None = None, image: str | None = None) -> dict:
    deployment = fw.sample("nginx-deployment.yaml")
    if replicas is not None:
        deployment["spec"]["replicas"] = replicas
    if image is not None:
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return deployment


def nginx_policy(weights: dict[str, int] | None = None) -> dict:
    policy = fw.sample("nginx-propagationpolicy.yaml")
    if weights is not None:
        placement = policy["spec"]["placement"]
        placement["clusterAffinity"]["clusterNames"] = sorted(weights)
        placement["replicaScheduling"]["weightPreference"]["staticWeightList"] = [
            {"targetCluster": {"clusterNames": [c]}, "weight": w} for c, w in sorted(weights.items())
        ]
    return policy


def binding_of(env: LocalEnv, ns: str, name: str = "nginx-deployment") -> dict | None:
    return fw.get(env, "resourcebinding", name, ns)


def test_nginx_sample_gives_binding_schedule_and_two_works(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, nginx_sample(), nginx_policy())
    placed = wait_for(lambda: fw.scheduled(binding_of(local_env, ns)), timeout=TIMEOUT, what="nginx-deployment scheduled")
    assert placed == {"member1": 1, "member2": 1}

    template = local_env.kubectl_json("get", "deployment", "nginx", "-n", ns)
    policy = local_env.kubectl_json("get", "propagationpolicy", "nginx-propagation", "-n", ns)
    pid = policy["metadata"]["labels"][C.PROPAGATION_POLICY_PERMANENT_ID_LABEL]
    # The template is claimed by the policy.
    assert template["metadata"]["labels"][C.PROPAGATION_POLICY_PERMANENT_ID_LABEL] == pid
    assert template["metadata"]["annotations"][C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION] == ns
    assert template["metadata"]["annotations"][C.PROPAGATION_POLICY_NAME_ANNOTATION] == "nginx-propagation"

    binding = binding_of(local_env, ns)
    meta, spec = binding["metadata"], binding["spec"]
    owner = meta["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"], owner["blockOwnerDeletion"]) == ("Deployment", "nginx", template["metadata"]["uid"], True, True)
    assert meta["labels"][C.PROPAGATION_POLICY_PERMANENT_ID_LABEL] == pid
    rb_id = meta["labels"][C.RESOURCE_BINDING_PERMANENT_ID_LABEL]
    assert rb_id
    assert C.BINDING_CONTROLLER_FINALIZER in meta["finalizers"]
    # resourceVersion is the template's as last seen with a spec/metadata change (status
    # write-backs do not count), so it is at most the current one.
    resource = dict(spec["resource"])
    assert int(resource.pop("resourceVersion")) <= int(template["metadata"]["resourceVersion"])
    assert resource == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": "nginx", "uid": template["metadata"]["uid"]}
    assert spec["replicas"] == 2
    assert spec["placement"] == policy["spec"]["placement"]
    assert json.loads(meta["annotations"][C.APPLIED_PLACEMENT_ANNOTATION]) == spec["placement"]
    assert (spec["conflictResolution"], spec["schedulerName"]) == ("Abort", "default-scheduler")
    assert binding["status"]["schedulerObservedGeneration"] >= 1

    by_cluster = wait_for(lambda: len(w := fw.works(local_env, "Deployment", "nginx", ns)) == 2 and w, timeout=TIMEOUT, what="two works")
    assert sorted(by_cluster) == ["member1", "member2"]
    for cluster, work in by_cluster.items():
        wmeta = work["metadata"]
        assert wmeta["name"] == work_name("Deployment", "nginx", ns) and wmeta["namespace"] == f"karmada-es-{cluster}"
        assert wmeta["labels"][C.RESOURCE_BINDING_PERMANENT_ID_LABEL] == rb_id
        work_id = wmeta["labels"][C.WORK_PERMANENT_ID_LABEL]
        assert {k: wmeta["annotations"][k] for k in (C.RESOURCE_BINDING_NAMESPACE_ANNOTATION, C.RESOURCE_BINDING_NAME_ANNOTATION, C.CONFLICT_RESOLUTION_ANNOTATION)} == {
            C.RESOURCE_BINDING_NAMESPACE_ANNOTATION: ns, C.RESOURCE_BINDING_NAME_ANNOTATION: "nginx-deployment", C.CONFLICT_RESOLUTION_ANNOTATION: "abort",
        }
        assert C.EXECUTION_CONTROLLER_FINALIZER in wmeta["finalizers"]
        assert (work["spec"]["suspendDispatching"], work["spec"]["preserveResourcesOnDeletion"]) == (False, False)
        m = fw.manifest(work)
        assert (m["kind"], m["metadata"]["name"], m["metadata"]["namespace"], m["spec"]["replicas"]) == ("Deployment", "nginx", ns, 1)
        assert "status" not in m and "uid" not in m["metadata"] and "resourceVersion" not in m["metadata"]
        labels, annotations = m["metadata"]["labels"], m["metadata"]["annotations"]
        assert labels[C.MANAGED_BY_KARMADA_LABEL] == "true"
        assert labels[C.RESOURCE_BINDING_PERMANENT_ID_LABEL] == rb_id and labels[C.WORK_PERMANENT_ID_LABEL] == work_id
        assert annotations[C.WORK_NAME_ANNOTATION] == wmeta["name"] and annotations[C.WORK_NAMESPACE_ANNOTATION] == wmeta["namespace"]
        assert annotations[C.RESOURCE_TEMPLATE_UID_ANNOTATION] == template["metadata"]["uid"]
        assert annotations[C.RESOURCE_TEMPLATE_GENERATION_ANNOTATION] == str(template["metadata"]["generation"])
        assert annotations[C.MANAGED_LABELS_ANNOTATION] == ",".join(sorted(labels))
        assert annotations[C.MANAGED_ANNOTATIONS_ANNOTATION] == ",".join(sorted(annotations))
    assert "member3" not in fw.works(local_env, "Deployment", "nginx", ns)
    # Events are written in the background: wait for them.
    wanted = {C.EVENT_SCHEDULE_BINDING_SUCCEED, C.EVENT_SYNC_WORK_SUCCEED}
    wait_for(lambda: wanted <= {e["reason"] for e in fw.events(local_env, ns, "ResourceBinding", "nginx-deployment")}, timeout=TIMEOUT, what="binding events")


def test_static_weights_one_to_two_over_nine_replicas(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, nginx_sample(replicas=9), nginx_policy({"member1": 1, "member2": 2}))
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns) == {"member1": 3, "member2": 6}, timeout=TIMEOUT, what="works with 3 and 6 replicas")
    assert fw.scheduled(binding_of(local_env, ns)) == {"member1": 3, "member2": 6}


def test_override_policy_changes_image_registry_in_one_work_only(local_env: LocalEnv, ns: str) -> None:
    override = fw.nginx_override("registry", "member2", {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "registry.example.io"}]})
    fw.apply(local_env, ns, nginx_sample(), nginx_policy())
    wait_for(lambda: len(fw.works(local_env, "Deployment", "nginx", ns)) == 2, timeout=TIMEOUT, what="two works")
    fw.apply(local_env, ns, override)  # a new OverridePolicy re-syncs the bindings it selects

    def images() -> dict[str, str]:
        return {c: fw.manifest(w)["spec"]["template"]["spec"]["containers"][0]["image"] for c, w in fw.works(local_env, "Deployment", "nginx", ns).items()}

    wait_for(lambda: images() == {"member1": "nginx", "member2": "registry.example.io/nginx"}, timeout=TIMEOUT, what="registry overridden for member2 only")
    by_cluster = fw.works(local_env, "Deployment", "nginx", ns)
    applied = json.loads(by_cluster["member2"]["metadata"]["annotations"][C.APPLIED_OVERRIDES_ANNOTATION])
    assert applied == [{"policyName": "registry", "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "registry.example.io"}]}}]
    assert C.APPLIED_OVERRIDES_ANNOTATION not in by_cluster["member1"]["metadata"]["annotations"]
    # Deleting the override puts the image back.
    local_env.kubectl("delete", "overridepolicy", "registry", "-n", ns)
    wait_for(lambda: images() == {"member1": "nginx", "member2": "nginx"}, timeout=TIMEOUT, what="override removed")
    assert C.APPLIED_OVERRIDES_ANNOTATION not in fw.works(local_env, "Deployment", "nginx", ns)["member2"]["metadata"]["annotations"]


def test_policy_change_reschedules_and_moves_works(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, nginx_sample(replicas=4), nginx_policy())
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns) == {"member1": 2, "member2": 2}, timeout=TIMEOUT, what="2 and 2")
    fw.apply(local_env, ns, nginx_policy({"member2": 1, "member3": 3}))
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns) == {"member2": 1, "member3": 3}, timeout=TIMEOUT, what="moved to member2 and member3")
    binding = binding_of(local_env, ns)
    assert fw.scheduled(binding) == {"member2": 1, "member3": 3}
    assert json.loads(binding["metadata"]["annotations"][C.APPLIED_PLACEMENT_ANNOTATION])["clusterAffinity"]["clusterNames"] == ["member2", "member3"]
    # Scaling the template reschedules too (replicas changed).
    local_env.kubectl("scale", "deployment", "nginx", "-n", ns, "--replicas=8")
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns) == {"member2": 2, "member3": 6}, timeout=TIMEOUT, what="scaled to 2 and 6")


def test_deleting_the_template_removes_binding_and_works(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, nginx_sample(), nginx_policy())
    wait_for(lambda: len(fw.works(local_env, "Deployment", "nginx", ns)) == 2, timeout=TIMEOUT, what="two works")
    local_env.kubectl("delete", "deployment", "nginx", "-n", ns)
    wait_for(lambda: binding_of(local_env, ns) is None, timeout=TIMEOUT, what="binding garbage collected")
    wait_for(lambda: fw.works(local_env, "Deployment", "nginx", ns) == {}, timeout=TIMEOUT, what="works removed")


def test_deleting_the_policy_unclaims_but_keeps_binding_and_works(local_env: LocalEnv, ns: str) -> None:
    fw.apply(local_env, ns, nginx_sample(), nginx_policy())
    wait_for(lambda: len(fw.works(local_env, "Deployment", "nginx", ns)) == 2, timeout=TIMEOUT, what="two works")
    local_env.kubectl("delete", "propagationpolicy", "nginx-propagation", "-n", ns, "--timeout=60s")

    def unclaimed() -> bool:
        binding = binding_of(local_env, ns)
        template = local_env.kubectl_json("get", "deployment", "nginx", "-n", ns)
        return C.PROPAGATION_POLICY_PERMANENT_ID_LABEL not in (binding["metadata"].get("labels") or {}) and C.PROPAGATION_POLICY_PERMANENT_ID_LABEL not in (template["metadata"].get("labels") or {})

    wait_for(unclaimed, timeout=TIMEOUT, what="claims removed from binding and template")
    assert fw.get(local_env, "propagationpolicy", "nginx-propagation", ns) is None
    assert sorted(binding_of(local_env, ns)["spec"]["clusters"], key=lambda c: c["name"]) == [{"name": "member1", "replicas": 1}, {"name": "member2", "replicas": 1}]
    assert sorted(fw.works(local_env, "Deployment", "nginx", ns)) == ["member1", "member2"]
    # Another policy adopts the template and overwrites the placement.
    fw.apply(local_env, ns, nginx_policy({"member3": 1}) | {"metadata": {"name": "adopter"}})
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns) == {"member3": 2}, timeout=TIMEOUT, what="adopted and moved to member3")


def test_unschedulable_placement_reports_no_cluster_fit(local_env: LocalEnv, ns: str) -> None:
    policy = nginx_policy()
    policy["spec"]["placement"] = {"clusterAffinity": {"clusterNames": ["no-such-cluster"]}}
    fw.apply(local_env, ns, nginx_sample(), policy)

    def condition() -> dict | None:
        binding = binding_of(local_env, ns)
        conds = (binding or {}).get("status", {}).get("conditions") or []
        return next((c for c in conds if c["type"] == "Scheduled" and c["status"] == "False"), None)

    cond = wait_for(condition, timeout=TIMEOUT, what="Scheduled=False")
    assert cond["reason"] == "NoClusterFit"
    assert cond["message"].startswith(f"0/{len(local_env.state.members)} clusters are available: ")
    failed = wait_for(lambda: [e for e in fw.events(local_env, ns, "ResourceBinding", "nginx-deployment") if e["reason"] == C.EVENT_SCHEDULE_BINDING_FAILED], timeout=30, what="ScheduleBindingFailed event")
    assert failed[0]["type"] == "Warning" and "clusters are available" in failed[0]["message"]
    assert fw.works(local_env, "Deployment", "nginx", ns) == {}


def test_dependencies_follow_the_workload(local_env: LocalEnv, ns: str) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nginx-config"}, "data": {"k": "v"}}
    deployment = nginx_sample()
    pod = deployment["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "config", "configMap": {"name": "nginx-config"}}]
    pod["containers"][0]["volumeMounts"] = [{"name": "config", "mountPath": "/etc/config"}]
    policy = nginx_policy()
    policy["spec"]["propagateDeps"] = True
    fw.apply(local_env, ns, config, deployment, policy)
    wait_for(lambda: sorted(fw.works(local_env, "ConfigMap", "nginx-config", ns)) == ["member1", "member2"], timeout=TIMEOUT, what="ConfigMap works in member1 and member2")
    independent = binding_of(local_env, ns)
    assert json.loads(independent["metadata"]["annotations"][C.DEPENDENCIES_ANNOTATION]) == [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": ns, "name": "nginx-config"}]
    assert C.BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER in independent["metadata"]["finalizers"]
    attached = binding_of(local_env, ns, "nginx-config-configmap")
    assert attached["spec"]["requiredBy"][0]["name"] == "nginx-deployment"
    assert any(k.startswith(C.RESOURCE_BINDING_DEPENDED_BY_LABEL_PREFIX) for k in attached["metadata"]["labels"])
    # The dependency follows a policy change.
    fw.apply(local_env, ns, copy.deepcopy(policy) | {"spec": {**policy["spec"], "placement": nginx_policy({"member3": 1})["spec"]["placement"]}})
    wait_for(lambda: sorted(fw.works(local_env, "ConfigMap", "nginx-config", ns)) == ["member3"], timeout=TIMEOUT, what="ConfigMap moved to member3")


def test_cluster_propagation_policy_propagates_a_cluster_scoped_object(local_env: LocalEnv, ns: str) -> None:
    role_name = f"{ns}-reader"
    with fw.cluster_role_propagated(local_env, role_name):
        crb_name = f"{role_name}-clusterrole"
        crb = wait_for(lambda: (b := fw.get(local_env, "clusterresourcebinding", crb_name)) and fw.scheduled(b) == {"member1": 0} and b, timeout=TIMEOUT, what="ClusterResourceBinding scheduled")
        assert crb["metadata"]["labels"][C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL]
        assert crb["metadata"]["annotations"][C.CLUSTER_PROPAGATION_POLICY_ANNOTATION] == role_name
        work = wait_for(lambda: fw.works(local_env, "ClusterRole", role_name).get("member1"), timeout=TIMEOUT, what="ClusterRole work")
        assert work["metadata"]["annotations"][C.CLUSTER_RESOURCE_BINDING_ANNOTATION] == crb_name
        assert work["metadata"]["labels"][C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL] == crb["metadata"]["labels"][C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL]
    wait_for(lambda: fw.works(local_env, "ClusterRole", role_name) == {}, timeout=TIMEOUT, what="ClusterRole works removed")


def test_namespace_is_synced_to_every_cluster(local_env: LocalEnv, ns: str) -> None:
    by_cluster = wait_for(lambda: len(w := fw.works(local_env, "Namespace", ns)) == len(local_env.state.members) and w, timeout=TIMEOUT, what="namespace works")
    for work in by_cluster.values():
        assert work["metadata"]["ownerReferences"][0]["kind"] == "Namespace"
        assert fw.manifest(work)["metadata"]["name"] == ns


def test_custom_resources_of_a_new_crd_are_propagated(local_env: LocalEnv, ns: str) -> None:
    group = f"{ns}.e2e.pykarmada.io"
    crd_name = f"widgets.{group}"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
        },
    }
    # The CRD itself is a cluster-scoped template: a ClusterPropagationPolicy takes it to member1.
    crd_policy = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterPropagationPolicy",
        "metadata": {"name": crd_name},
        "spec": {"resourceSelectors": [{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": crd_name}],
                 "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}},
    }
    fw.apply(local_env, None, crd, crd_policy)
    try:
        wait_for(lambda: fw.works(local_env, "CustomResourceDefinition", crd_name).get("member1"), timeout=TIMEOUT, what="CRD work in member1")

        def member1_serves_widgets() -> bool:
            status = local_env.kubectl_json("get", "cluster", "member1")["status"]
            return any(e["groupVersion"] == f"{group}/v1" for e in status.get("apiEnablements") or [])

        wait_for(member1_serves_widgets, timeout=TIMEOUT, what="member1 to report the Widget API")
        widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}
        policy = {
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "widgets"},
            "spec": {"resourceSelectors": [{"apiVersion": f"{group}/v1", "kind": "Widget"}], "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}},
        }
        fw.apply(local_env, ns, widget, policy)
        work = wait_for(lambda: fw.works(local_env, "Widget", "w1", ns).get("member1"), timeout=TIMEOUT, what="Widget work in member1")
        assert fw.manifest(work)["spec"] == {"size": 3}
        assert fw.get(local_env, "resourcebinding", "w1-widget", ns)["spec"]["resource"]["apiVersion"] == f"{group}/v1"
    finally:
        # Custom resources first (their Works need the member's CRD to clean up), then the CRD.
        local_env.kubectl("delete", "widgets." + group, "--all", "-n", ns, "--wait=false", check=False)
        wait_for(lambda: fw.works(local_env, "Widget", "w1", ns) == {}, timeout=TIMEOUT, what="Widget works removed")
        local_env.kubectl("delete", "crd", crd_name, "--wait=false", check=False)
        wait_for(lambda: fw.works(local_env, "CustomResourceDefinition", crd_name) == {}, timeout=TIMEOUT, what="CRD works removed")
        local_env.kubectl("delete", "clusterpropagationpolicy", crd_name, "--ignore-not-found", "--wait=false", check=False)
