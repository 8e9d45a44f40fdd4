"""Stopping and restarting one process of the environment (pykarmada.localup.restart), and waiting
for the members to settle afterwards."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.restart import start_process, stop_process
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.propagation import deployment
from tests.e2e.framework.wait import wait_for


def stop_component(env: LocalEnv, name: str, *, kill: bool = False) -> ProcessSpec:
    """Stop ``name`` (e.g. "member2/kube-apiserver"), with SIGKILL when ``kill``; returns how to
    start it again."""
    return stop_process(env.state_dir, name, kill=kill)


def start_component(env: LocalEnv, spec: ProcessSpec) -> subprocess.Popen[bytes]:
    """Start ``spec`` as a child of the test process (so a test can read its exit status)."""
    proc, env.state = start_process(env.state_dir, spec)
    return proc


def member_nodes_schedulable(env: LocalEnv, member: str) -> bool:
    """Every node of ``member`` Ready and free of NoSchedule/NoExecute taints: after its
    kube-apiserver was down, kwok renews the node leases and the node controller lifts its taints
    only some seconds after the Cluster itself shows Ready again."""
    nodes = env.kubectl_json("get", "nodes", context=member)["items"]
    return bool(nodes) and all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))
        and not any(t.get("effect") in ("NoSchedule", "NoExecute") for t in node["spec"].get("taints", []))
        for node in nodes
    )



def wait_member_recovered(env: LocalEnv, member: str) -> None:
    """After ``member``'s kube-apiserver was stopped and started again: its nodes take pods, and its
    kube-controller-manager runs a Deployment again. The controller manager's informers back off
    while the API is down (up to 30 s a retry, then 403s until RBAC is loaded), so for up to a
    minute a new namespace gets no default ServiceAccount and no pod can be created in it. Each
    step prints how long it took, and a Deployment that does not run prints what its member holds."""
    started = time.monotonic()
    wait_for(lambda: member_nodes_schedulable(env, member), timeout=120, interval=1, what=f"{member}'s nodes Ready and untainted")
    print(f"{member}: nodes schedulable after {time.monotonic() - started:.0f}s")
    ns = f"probe-{uuid.uuid4().hex[:6]}"
    env.kubectl("create", "namespace", ns, context=member)
    try:
        # The pod comes only once the namespace has its ServiceAccount: a ReplicaSet created before
        # would back off exponentially (minutes) on the failed creates.
        wait_for(lambda: env.kubectl("get", "serviceaccount", "default", "-n", ns, context=member, check=False).returncode == 0,
                 timeout=180, interval=1, what=f"the default ServiceAccount of a new namespace in {member}")  # fmt: skip
        print(f"{member}: default ServiceAccount after {time.monotonic() - started:.0f}s")
        env.kubectl("apply", "-f", "-", input=json.dumps(deployment("probe", ns)), context=member)

        def available() -> bool:
            status = env.kubectl_json("get", "deployment", "probe", "-n", ns, context=member).get("status") or {}
            return status.get("availableReplicas") == 1

        try:
            wait_for(available, timeout=120, interval=1, what=f"a Deployment running in {member} again")
        except AssertionError:
            for args in (("get", "deployment,replicaset,pod", "-o", "wide"), ("get", "events", "--sort-by=.lastTimestamp")):
                print(env.kubectl(*args, "-n", ns, context=member, check=False).stdout)
            raise
        print(f"{member}: a Deployment available after {time.monotonic() - started:.0f}s")
    finally:
        env.kubectl("delete", "namespace", ns, "--wait=false", context=member, check=False)


def wait_members_settled(env: LocalEnv, timeout: float = 180.0) -> None:
    """Every Cluster Ready and every member's nodes schedulable: a test before may have stopped a
    member's apiserver, or unjoined and joined one; its nodes keep their NotReady taints (and evict
    pods) for a while after the Cluster is Ready again. Tests that judge health wait for this."""
    def settled() -> bool:
        clusters = env.kubectl_json("get", "clusters")["items"]
        ready = all(any(c["type"] == "Ready" and c["status"] == "True" for c in (x.get("status") or {}).get("conditions") or []) for x in clusters)
        return ready and len(clusters) == len(env.state.members) and all(member_nodes_schedulable(env, m) for m in env.state.members)

    wait_for(settled, timeout=timeout, interval=2, what="every member Ready with schedulable nodes")
