"""Cluster health on the control plane for Pull-mode clusters (issue 9): the health monitor turns
a cluster whose lease ``karmada-cluster/<name>`` stops being renewed Ready=Unknown, the readiness
taint follows, and the proxy says why it cannot reach a Pull cluster. The clusters here are
written by the test in the agent's place (status and lease through the real API); the agent's own
test covers the real process."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.framework import propagation as fw
from tests.e2e.framework.components import start_component, stop_component
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


def _remote_ports(pid: int) -> set[int]:
    """Remote TCP ports of ``pid``'s established connections (its socket inodes in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and fields[3] == "01":  # ESTABLISHED
                ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def _process(env: LocalEnv, name: str) -> int:
    return next(p.pid for p in env.state.processes if p.name == name)


def test_pull_member_is_run_by_its_agent_and_survives_the_agent_dying(local_env: LocalEnv) -> None:
    if not local_env.state.pull_members:
        pytest.skip("the environment has no Pull member")
    member = local_env.state.pull_members[-1]
    assert local_env.kubectl_json("get", "cluster", member)["spec"]["syncMode"] == "Pull"
    with fw.namespace(local_env, "pull") as ns:
        policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": "nginx"},
                  "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                           "placement": {"clusterAffinity": {"clusterNames": [member]}}}}
        fw.apply(local_env, ns, fw.sample("nginx-deployment.yaml"), policy)
        wait_for(lambda: (local_env.kubectl_json("get", "deployment", "nginx", "-n", ns).get("status") or {}).get("readyReplicas") == 2,
                 timeout=90, what="the template ready from the Pull member's status")
        # The controller process has no connection to the Pull member's API server: its agent does the work.
        member_port = local_env.state.ports[f"{member}/kube-apiserver"]
        assert member_port not in _remote_ports(_process(local_env, "karmada/karmada-controller-manager"))
        assert member_port in _remote_ports(_process(local_env, f"{member}/karmada-agent"))

        spec = stop_component(local_env, f"{member}/karmada-agent", kill=True)
        ready = wait_for(lambda: (r := _ready(local_env, member)).get("status") == "Unknown" and r, timeout=70, what="Ready=Unknown after the agent died")
        assert ready["reason"] == "ClusterStatusUnknown" and f"karmada-cluster/{member} not renewed" in ready["message"]
        local_env.kubectl("scale", "deployment", "nginx", "-n", ns, "--replicas=3")  # a change while the agent is away
        start_component(local_env, spec)
        wait_for(lambda: _ready(local_env, member).get("status") == "True", timeout=90, what="Ready again after the agent restarted")
        wait_for(lambda: local_env.kubectl_json("get", "deployment", "nginx", "-n", ns, context=member)["spec"]["replicas"] == 3,
                 timeout=90, what="the change made while the agent was away applied")
