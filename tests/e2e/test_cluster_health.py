"""Cluster health on the control plane for Pull-mode clusters (issue 9): the health monitor turns
a cluster whose lease ``karmada-cluster/<name>`` stops being renewed Ready=Unknown, the readiness
taint follows, and the proxy says why it cannot reach a Pull cluster. The clusters here are
written by the test in the agent's place (status and lease through the real API); the agent's own
test covers the real process."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.wait import wait_for

LEASES = "/apis/coordination.k8s.io/v1/namespaces/karmada-cluster/leases"


def _micro_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ready(env: LocalEnv, name: str) -> dict:
    cluster = env.kubectl_json("get", "cluster", name)
    return next((c for c in cluster.get("status", {}).get("conditions", []) if c["type"] == "Ready"), {})


def _apply(env: LocalEnv, obj: dict) -> None:
    env.kubectl("apply", "-f", "-", input=json.dumps(obj))


@pytest.fixture()
def pull_cluster(local_env: LocalEnv) -> Iterator[str]:
    name = "pull-ghost"
    _apply(local_env, {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}, "spec": {"syncMode": "Pull"}})
    _apply(local_env, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "karmada-cluster"}})
    yield name
    local_env.kubectl("delete", "cluster", name, "--wait=true", "--timeout=60s", check=False)
    local_env.kubectl("delete", "lease", "-n", "karmada-cluster", name, "--ignore-not-found", check=False)


def _post_ready(env: LocalEnv, name: str) -> None:
    """What the agent's status controller writes when its member is healthy."""
    status = {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady",
                                         "message": "cluster is healthy and ready to accept workloads",
                                         "lastTransitionTime": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}]}}
    env.kubectl("patch", "cluster", name, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def _renew(env: LocalEnv, name: str) -> None:
    _apply(env, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name, "namespace": "karmada-cluster"},
                 "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": _micro_now()}})


def test_pull_cluster_without_endpoint_gets_a_503_naming_pull_mode(local_env: LocalEnv, pull_cluster: str) -> None:
    proc = local_env.kubectl("get", "--raw", f"/apis/cluster.karmada.io/v1alpha1/clusters/{pull_cluster}/proxy/api/v1/namespaces", check=False)
    assert proc.returncode != 0
    assert f'cluster "{pull_cluster}" is a Pull-mode cluster' in proc.stderr
    assert "no direct route" in proc.stderr


def test_silent_lease_turns_ready_unknown_and_renewals_bring_it_back(local_env: LocalEnv, pull_cluster: str) -> None:
    _post_ready(local_env, pull_cluster)
    _renew(local_env, pull_cluster)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(5):
            _renew(local_env, pull_cluster)

    beating = threading.Thread(target=heartbeat, daemon=True)
    beating.start()
    try:
        # While the lease is renewed the cluster stays Ready, past the 40 s grace period.
        wait_for(lambda: not any(t["key"] == "cluster.karmada.io/not-ready" for t in local_env.kubectl_json("get", "cluster", pull_cluster)["spec"].get("taints", [])),
                 timeout=30, what="the not-ready taint to go once Ready is True")
        # Poll through more than the 40 s grace period: renewals alone keep it Ready.
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            assert _ready(local_env, pull_cluster)["status"] == "True"
            time.sleep(3)
    finally:
        stop.set()
        beating.join()
    ready = wait_for(lambda: (r := _ready(local_env, pull_cluster)).get("status") == "Unknown" and r, timeout=70, what="Ready=Unknown")
    assert ready["reason"] == "ClusterStatusUnknown"
    assert f"karmada-cluster/{pull_cluster} not renewed for" in ready["message"]
    wait_for(lambda: [t["key"] for t in local_env.kubectl_json("get", "cluster", pull_cluster)["spec"].get("taints", [])] == ["cluster.karmada.io/unreachable"],
             timeout=30, what="the unreachable taint")
    # The agent comes back: it renews and reports Ready again.
    _renew(local_env, pull_cluster)
    _post_ready(local_env, pull_cluster)
    wait_for(lambda: _ready(local_env, pull_cluster).get("status") == "True" and not local_env.kubectl_json("get", "cluster", pull_cluster)["spec"].get("taints"),
             timeout=30, what="Ready=True without taints")
