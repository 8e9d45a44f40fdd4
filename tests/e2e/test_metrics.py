"""Metrics end to end (issue 8, section 3): after a Deployment is propagated, every component's
``/metrics`` carries the ecosystem's and Karmada's metric families and the counters moved; the
controller process and the webhook server answer their probes; the aggregated API server serves
``/metrics`` only to callers it authenticates and authorizes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.framework import propagation as fw
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.metrics import Scrape, client_tls, endpoint, get, scrape, user_tls
from tests.e2e.framework.wait import wait_for

TIMEOUT = 60
CONTROLLER_FAMILIES = (
    "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds", "workqueue_work_duration_seconds",
    "workqueue_retries_total", "workqueue_unfinished_work_seconds", "workqueue_longest_running_processor_seconds",
    "controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_time_seconds",
    "controller_runtime_max_concurrent_reconciles", "controller_runtime_active_workers",
    "rest_client_requests_total", "rest_client_request_duration_seconds",
    "cluster_ready_state", "cluster_node_number", "cluster_ready_node_number", "cluster_memory_allocatable_bytes",
    "cluster_cpu_allocatable_number", "cluster_pod_allocatable_number", "cluster_sync_status_duration_seconds",
    "karmada_scheduler_schedule_attempts_total", "karmada_scheduler_e2e_scheduling_duration_seconds",
    "karmada_scheduler_scheduling_algorithm_duration_seconds", "karmada_scheduler_queue_incoming_bindings_total",
    "policy_apply_attempts_total", "resource_apply_policy_duration_seconds", "binding_sync_work_duration_seconds",
    "work_sync_workload_duration_seconds", "resource_match_policy_duration_seconds",
    "process_cpu_seconds_total", "process_resident_memory_bytes",
)  # fmt: skip


@pytest.fixture
def ns(local_env: LocalEnv) -> Iterator[str]:
    with fw.namespace(local_env, "metrics") as name:
        yield name


def controller(env: LocalEnv) -> Scrape:
    return scrape(endpoint(env, "karmada-controller-manager/metrics"))


def webhook(env: LocalEnv) -> Scrape:
    return scrape(endpoint(env, "karmada-webhook/metrics"))


def aggregator(env: LocalEnv) -> Scrape:
    return scrape(endpoint(env, "karmada-aggregated-apiserver/metrics"), client_tls(env, "admin"))


def propagate_nginx(env: LocalEnv, ns: str) -> None:
    """The nginx sample to member1 and member2, until both members run it."""
    fw.apply(env, ns, fw.sample("nginx-deployment.yaml"), fw.sample("nginx-propagationpolicy.yaml"))
    for member in ("member1", "member2"):
        wait_for(
            lambda m=member: env.kubectl("get", "deployment", "nginx", "-n", ns, "--ignore-not-found", "-o", "name", context=m).stdout.strip(),
            timeout=TIMEOUT, what=f"nginx in {member}",
        )  # fmt: skip


def test_counters_move_with_a_propagation(local_env: LocalEnv, ns: str) -> None:
    before_ctrl, before_hook, before_agg = controller(local_env), webhook(local_env), aggregator(local_env)
    local_env.kubectl("get", "clusters")  # a LIST the aggregated API server serves
    propagate_nginx(local_env, ns)

    # The last step (status back into the binding) may still be running: wait for its counters.
    after = wait_for(
        lambda: (s := controller(local_env)).value("binding_sync_work_duration_seconds_count", result="success")
        > before_ctrl.value("binding_sync_work_duration_seconds_count", result="success") and s,
        timeout=TIMEOUT, what="binding_sync_work_duration_seconds to count the sync",
    )  # fmt: skip
    missing = [f for f in CONTROLLER_FAMILIES if not after.has(f)]
    assert not missing, f"families missing from the controller process: {missing}"

    def grew(metric: str, **labels: str) -> bool:
        return after.total(metric, **labels) > before_ctrl.total(metric, **labels)

    for queue in ("resource-detector", "karmada-scheduler", "binding", "execution"):
        assert grew("workqueue_adds_total", name=queue, controller=queue), queue
        assert grew("controller_runtime_reconcile_total", controller=queue), queue
        assert grew("workqueue_queue_duration_seconds_count", name=queue), queue
    assert grew("rest_client_requests_total", method="POST")
    assert grew("karmada_scheduler_schedule_attempts_total", result="scheduled", schedule_type="ReconcileSchedule")
    assert grew("karmada_scheduler_e2e_scheduling_duration_seconds_count", result="scheduled")
    assert grew("karmada_scheduler_queue_incoming_bindings_total", event="BindingAdd")
    for step in ("Filter", "Score", "Select", "AssignReplicas"):
        assert grew("karmada_scheduler_scheduling_algorithm_duration_seconds_count", schedule_step=step), step
    assert grew("policy_apply_attempts_total", result="success")
    assert grew("resource_match_policy_duration_seconds_count")
    assert grew("work_sync_workload_duration_seconds_count", result="success")
    for member in local_env.state.members:
        # A Pull member's status, and so its gauges, come from its agent (as upstream's).
        source = scrape(f"http://127.0.0.1:{local_env.state.ports[f'{member}/karmada-agent/metrics']}/metrics") if member in local_env.state.pull_members else after
        assert source.value("cluster_ready_state", member_cluster=member) == 1, member
        assert source.value("cluster_node_number", member_cluster=member) == local_env.state.nodes_per_member, member
        assert source.value("cluster_ready_node_number", member_cluster=member) == local_env.state.nodes_per_member, member
        assert source.value("cluster_pod_allocatable_number", member_cluster=member) > 0, member
        assert source.value("cluster_sync_status_duration_seconds_count", member_cluster=member) > 0, member

    # The webhook server admitted the PropagationPolicy (mutating and validating).
    hook = webhook(local_env)
    for path in ("/mutate-propagationpolicy", "/validate-propagationpolicy"):
        counted = hook.value("controller_runtime_webhook_requests_total", webhook=path, code="200")
        assert counted > before_hook.value("controller_runtime_webhook_requests_total", webhook=path, code="200"), path
        assert hook.value("controller_runtime_webhook_latency_seconds_count", webhook=path) >= counted, path
    assert hook.has("controller_runtime_webhook_requests_in_flight")
    assert hook.has("process_cpu_seconds_total")

    # The aggregated API server counted the LIST of clusters, as kube-apiserver would.
    agg = aggregator(local_env)
    labels = {"verb": "LIST", "group": "cluster.karmada.io", "version": "v1alpha1", "resource": "clusters", "scope": "cluster", "code": "200"}
    assert agg.total("apiserver_request_total", **labels) > before_agg.total("apiserver_request_total", **labels)
    assert agg.total("apiserver_request_duration_seconds_count", verb="LIST", resource="clusters") > 0
    assert agg.total("rest_client_requests_total") > 0, "its own calls to the control plane (SubjectAccessReviews...)"


@pytest.mark.parametrize("component", ["karmada-controller-manager", "karmada-webhook"])
def test_probes_answer(local_env: LocalEnv, component: str) -> None:
    for probe in ("healthz", "readyz"):
        status, body = get(endpoint(local_env, f"{component}/{probe}"))
        assert (status, body) == (200, "ok"), f"{component} /{probe}"


def test_aggregator_metrics_need_authentication_and_authorization(local_env: LocalEnv, tmp_path: Path) -> None:
    url = endpoint(local_env, "karmada-aggregated-apiserver/metrics")
    assert get(url, client_tls(local_env, None))[0] == 401

    name = f"metrics-reader-{uuid.uuid4().hex[:6]}"
    user = f"e2e-{name}"  # authenticated by its certificate, allowed nothing yet
    as_user = user_tls(local_env, user, tmp_path)
    status, body = get(url, as_user)
    assert status == 403 and f'User "{user}" cannot get path "/metrics"' in json.loads(body)["message"]

    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
            "rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}  # fmt: skip
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}  # fmt: skip
    fw.apply(local_env, None, role, binding)
    try:
        # Authorization answers are cached for a few seconds: the grant shows once they expire.
        wait_for(lambda: get(url, as_user)[0] == 200, timeout=TIMEOUT, what="/metrics allowed by the new ClusterRole")
    finally:
        local_env.kubectl("delete", "clusterrolebinding,clusterrole", name, "--ignore-not-found", check=False)
