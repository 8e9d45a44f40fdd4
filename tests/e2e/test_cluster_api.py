"""The cluster API (issue 'Cluster API'): the aggregated server behind the real kube-apiserver,
the proxy subresource with impersonation, join/unjoin and cluster health, driven with kubectl."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from pykarmada.localup.nodes import member_region_zone
from pykarmada.localup.state import Layout
from tests.e2e.framework.components import start_component, stop_component, wait_member_recovered
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.propagation import apply, deployment, get, namespace
from tests.e2e.framework.users import user_kubeconfig
from tests.e2e.framework.wait import wait_for

PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"


def _ready(cluster: dict) -> str:
    return next((c["status"] for c in cluster.get("status", {}).get("conditions", []) if c["type"] == "Ready"), "Unknown")


def test_get_clusters_lists_members_ready_with_versions(local_env: LocalEnv) -> None:
    out = local_env.kubectl("get", "clusters").stdout.splitlines()
    assert out[0].split() == ["NAME", "VERSION", "MODE", "READY", "AGE"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert sorted(rows) == local_env.state.members
    for name, row in rows.items():
        mode = "Pull" if name in local_env.state.pull_members else "Push"
        assert row[1] == "v1.34.4" and row[2] == mode and row[3] == "True"
    wide = local_env.kubectl("get", "clusters", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "VERSION", "MODE", "READY", "AGE", "ZONES", "REGION", "PROVIDER", "API-ENDPOINT", "PROXY-URL"]
    member1 = local_env.kubectl_json("get", "cluster", "member1")
    assert member1["spec"]["id"] and member1["spec"]["zones"] == ["us-east-1a"]
    assert member1["status"]["nodeSummary"] == {"totalNum": local_env.state.nodes_per_member, "readyNum": local_env.state.nodes_per_member}
    assert member1["status"]["resourceSummary"]["allocatable"]["cpu"] == str(8 * local_env.state.nodes_per_member)
    assert "karmada.io/cluster-controller" in member1["metadata"]["finalizers"]
    assert local_env.kubectl("get", "namespace", "karmada-es-member1", "-o", "name").stdout.strip() == "namespace/karmada-es-member1"


def test_watch_streams_a_change(local_env: LocalEnv) -> None:
    cmd = [str(local_env.kubectl_path), "--kubeconfig", local_env.karmada_kubeconfig, "get", "clusters", "-w", "--output-watch-events"]
    watcher = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        local_env.kubectl("label", "cluster", "member1", f"watched={uuid.uuid4().hex[:6]}", "--overwrite")
        lines: list[str] = []
        deadline = time.monotonic() + 30
        assert watcher.stdout is not None
        while time.monotonic() < deadline:
            line = watcher.stdout.readline()
            lines.append(line)
            if line.startswith("MODIFIED") and "member1" in line:
                break
        assert any(line.startswith("MODIFIED") and "member1" in line for line in lines), lines
    finally:
        watcher.kill()
        local_env.kubectl("label", "cluster", "member1", "watched-")


def test_proxy_reaches_member_nodes_pods_and_logs(local_env: LocalEnv, tmp_path: Path) -> None:
    nodes = json.loads(local_env.kubectl("get", "--raw", PROXY.format("member1") + "/api/v1/nodes").stdout)
    assert sorted(n["metadata"]["name"] for n in nodes["items"]) == [f"member1-node-{i}" for i in range(local_env.state.nodes_per_member)]

    config = yaml.safe_load(Path(local_env.karmada_kubeconfig).read_text())
    config["clusters"][0]["cluster"]["server"] += PROXY.format("member1")
    proxy_config = tmp_path / "member1-proxy.config"
    proxy_config.write_text(yaml.safe_dump(config))

    ns = f"proxy-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", ns, context="member1")
    try:
        local_env.kubectl("create", "deployment", "logger", "--image=busybox", "-n", ns, context="member1")

        def running_pod() -> str | None:
            out = subprocess.run([str(local_env.kubectl_path), "--kubeconfig", str(proxy_config), "get", "pods", "-A", "--no-headers"], capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
            return next((line.split()[1] for line in out.stdout.splitlines() if line.startswith(ns) and "Running" in line), None)

        pod = wait_for(running_pod, timeout=60, what="a Running pod listed through the proxy kubeconfig")
        logs = subprocess.run([str(local_env.kubectl_path), "--kubeconfig", str(proxy_config), "logs", "-n", ns, pod], capture_output=True, text=True)
        assert logs.returncode == 0, logs.stderr
        assert "simulated container started by kwok" in logs.stdout
    finally:
        local_env.kubectl("delete", "namespace", ns, "--wait=false", context="member1", check=False)


def _raw(env: LocalEnv, kubeconfig: str, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env.kubectl_path), "--kubeconfig", kubeconfig, "get", "--raw", path], capture_output=True, text=True)


def test_proxy_honours_rbac_in_control_plane_and_member(local_env: LocalEnv, tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:6]
    viewer, proxier = f"viewer-{suffix}", f"proxier-{suffix}"
    rbac = f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: e2e-get-clusters-{suffix}}}
rules: [{{apiGroups: [cluster.karmada.io], resources: [clusters], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: e2e-get-clusters-{suffix}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-get-clusters-{suffix}}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: {viewer}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: e2e-proxy-{suffix}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-proxy-admin}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: {proxier}}}]
"""
    local_env.kubectl("apply", "-f", "-", input=rbac)
    try:
        viewer_config = user_kubeconfig(local_env, tmp_path, viewer)
        assert _raw(local_env, viewer_config, "/apis/cluster.karmada.io/v1alpha1/clusters/member1").returncode == 0
        denied = _raw(local_env, viewer_config, PROXY.format("member1") + "/api/v1/nodes")
        assert denied.returncode != 0 and "Forbidden" in denied.stderr and "clusters/proxy" in denied.stderr

        # Allowed through the control plane, the caller is impersonated in the member, whose RBAC
        # grants this user nothing: the member's own 403 comes back unchanged.
        proxier_config = user_kubeconfig(local_env, tmp_path, proxier)
        member_denied = wait_for(
            lambda: (r := _raw(local_env, proxier_config, PROXY.format("member1") + "/api/v1/nodes")).returncode != 0 and "impersonate" not in r.stderr and r,
            timeout=30,
            what="the member's own RBAC answer for the impersonated user",
        )
        assert "Forbidden" in member_denied.stderr and proxier in member_denied.stderr
        # Granting the user a role in the member lets the same request through.
        local_env.kubectl("create", "clusterrolebinding", f"e2e-view-{suffix}", "--clusterrole=view", f"--user={proxier}", context="member1")
        local_env.kubectl("create", "clusterrole", f"e2e-nodes-{suffix}", "--verb=list", "--resource=nodes", context="member1")
        local_env.kubectl("create", "clusterrolebinding", f"e2e-nodes-{suffix}", f"--clusterrole=e2e-nodes-{suffix}", f"--user={proxier}", context="member1")
        wait_for(lambda: _raw(local_env, proxier_config, PROXY.format("member1") + "/api/v1/nodes").returncode == 0, timeout=30, what="proxy access after the member grants it")
    finally:
        local_env.kubectl("delete", "-f", "-", input=rbac, check=False)
        for kind, name in (("clusterrolebinding", f"e2e-view-{suffix}"), ("clusterrolebinding", f"e2e-nodes-{suffix}"), ("clusterrole", f"e2e-nodes-{suffix}")):
            local_env.kubectl("delete", kind, name, "--ignore-not-found", context="member1", check=False)


def test_aggregator_refuses_requests_without_front_proxy_certificate(local_env: LocalEnv, tmp_path: Path) -> None:
    port = local_env.state.ports["karmada/karmada-aggregated-apiserver"]
    ca = Layout(local_env.state_dir).pki / "karmada" / "ca.crt"
    url = f"https://127.0.0.1:{port}/apis/cluster.karmada.io/v1alpha1/clusters"
    plain = subprocess.run(["curl", "-s", "--cacert", str(ca), url], capture_output=True, text=True)
    assert json.loads(plain.stdout)["code"] == 401
    # Identity headers without the front proxy's certificate are not believed.
    forged = subprocess.run(["curl", "-s", "--cacert", str(ca), "-H", "X-Remote-User: system:admin", "-H", "X-Remote-Group: system:masters", url], capture_output=True, text=True)
    assert json.loads(forged.stdout)["code"] == 401


@pytest.mark.parametrize(
    "spec,field",
    [
        ({"syncMode": "Sideways"}, "spec.syncMode"),
        ({}, "spec.syncMode"),
        ({"syncMode": "Push", "apiEndpoint": "10.0.0.1:6443"}, "spec.apiEndpoint"),
        ({"syncMode": "Push", "taints": [{"key": "a", "effect": "PreferNoSchedule"}]}, "spec.taints[0].effect"),
        ({"syncMode": "Push", "region": "not a label value!"}, "spec.region"),
        ({"syncMode": "Push", "proxyURL": "ftp://proxy"}, "spec.proxyURL"),
        ({"syncMode": "Push", "secretRef": {"name": "x"}}, "spec.secretRef.namespace"),
    ],
    ids=["bad-sync-mode", "no-sync-mode", "endpoint-without-scheme", "prefer-no-schedule-taint", "bad-region", "bad-proxy-scheme", "secret-ref-without-namespace"],
)
def test_invalid_clusters_are_refused_with_the_field(local_env: LocalEnv, spec: dict, field: str) -> None:
    name = f"invalid-{uuid.uuid4().hex[:6]}"
    body = json.dumps({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}, "spec": spec})
    # --validate=false: the server's own 422, not kubectl's check against our OpenAPI schema.
    proc = local_env.kubectl("create", "--validate=false", "-f", "-", input=body, check=False)
    assert proc.returncode != 0
    assert f'Cluster "{name}" is invalid' in proc.stderr and field in proc.stderr, proc.stderr
    assert local_env.kubectl("get", "cluster", name, check=False).returncode != 0, "nothing is stored"


def test_too_long_name_is_refused(local_env: LocalEnv) -> None:
    name = "c" * 49
    body = json.dumps({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}, "spec": {"syncMode": "Push"}})
    proc = local_env.kubectl("create", "-f", "-", input=body, check=False)
    assert "metadata.name" in proc.stderr and "48" in proc.stderr


def test_stale_update_gets_conflict(local_env: LocalEnv) -> None:
    name = f"stale-{uuid.uuid4().hex[:6]}"
    body = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}, "spec": {"syncMode": "Pull"}}
    local_env.kubectl("create", "-f", "-", input=json.dumps(body))
    try:
        current = local_env.kubectl_json("get", "cluster", name)
        local_env.kubectl("label", "cluster", name, "bump=1")
        current["metadata"]["labels"] = {"stale": "true"}
        proc = local_env.kubectl("replace", "-f", "-", input=json.dumps(current), check=False)
        assert proc.returncode != 0 and "the object has been modified" in proc.stderr, proc.stderr
        assert "Conflict" in proc.stderr or "409" in proc.stderr or "modified" in proc.stderr
    finally:
        local_env.kubectl("delete", "cluster", name, "--wait=false", check=False)


def _member_leftovers(env: LocalEnv, context: str, name: str) -> list[str]:
    checks = [
        ("clusterrole", f"karmada-controller-manager:karmada-{name}"),
        ("clusterrolebinding", f"karmada-controller-manager:karmada-{name}"),
        ("namespace", "karmada-cluster"),
        ("clusterrole", "karmada-impersonator"),
        ("clusterrolebinding", "karmada-impersonator"),
    ]
    return [f"{k}/{n}" for k, n in checks if env.kubectl("get", k, n, "--ignore-not-found", "-o", "name", context=context).stdout.strip()]


def test_join_unjoin_round_trip_leaves_nothing_behind(local_env: LocalEnv) -> None:
    member = local_env.push_members[-1]
    name = f"again-{uuid.uuid4().hex[:4]}"
    cp = ["--kubeconfig", local_env.karmada_kubeconfig]
    member_flags = ["--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", member]
    # The same member under another name is refused: its id is taken.
    refused = karmadactl("join", name, *member_flags, *cp, check=False)
    assert refused.returncode != 0 and "already joined" in refused.stderr
    # So is a taken name.
    taken = karmadactl("join", member, *member_flags, *cp, check=False)
    assert taken.returncode != 0 and "already taken" in taken.stderr

    karmadactl("unjoin", member, *member_flags, *cp)
    try:
        assert local_env.kubectl("get", "cluster", member, "--ignore-not-found", "-o", "name").stdout.strip() == ""
        wait_for(lambda: local_env.kubectl("get", "namespace", f"karmada-es-{member}", "--ignore-not-found", "-o", "name").stdout.strip() == "", timeout=30, what="execution namespace removal")
        secrets = local_env.kubectl("get", "secrets", "-n", "karmada-cluster", "-o", "name").stdout.split()
        assert f"secret/{member}" not in secrets and f"secret/{member}-impersonator" not in secrets
        assert _member_leftovers(local_env, member, member) == []
    finally:
        region, zone = member_region_zone(int(member.removeprefix("member")))
        joined = karmadactl("join", member, *member_flags, *cp, "--cluster-provider=kwok", f"--cluster-region={region}", f"--cluster-zones={zone}", check=False)
        assert joined.returncode == 0, joined.stderr
        assert "is joined successfully" in joined.stdout
    wait_for(lambda: _ready(local_env.kubectl_json("get", "cluster", member)) == "True", timeout=60, what=f"{member} Ready after re-joining")
    # Joined again with new credentials: a workload placed there runs and its status comes back.
    with namespace(local_env, "rejoin") as ns:
        policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": "back", "namespace": ns},
                  "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "back"}],
                           "placement": {"clusterAffinity": {"clusterNames": [member]}}}}  # fmt: skip
        apply(local_env, ns, deployment("back", ns, 1), policy)
        wait_for(lambda: ((get(local_env, "deployment", "back", ns) or {}).get("status") or {}).get("readyReplicas") == 1,
                 timeout=120, what=f"the Deployment in {member} ready in the control plane")  # fmt: skip


def test_stopped_member_becomes_not_ready_then_ready_again(local_env: LocalEnv) -> None:
    member = "member2"
    spec = stop_component(local_env, f"{member}/kube-apiserver")
    try:
        started = time.monotonic()
        wait_for(lambda: _ready(local_env.kubectl_json("get", "cluster", member)) == "False", timeout=60, interval=1, what=f"{member} NotReady")
        print(f"{member} NotReady after {time.monotonic() - started:.0f}s")
        cluster = local_env.kubectl_json("get", "cluster", member)
        cond = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
        assert cond["reason"] == "ClusterNotReachable"
        wait_for(
            lambda: any(t["key"] == "cluster.karmada.io/not-ready" for t in local_env.kubectl_json("get", "cluster", member)["spec"].get("taints", [])),
            timeout=20,
            what="the not-ready taint",
        )
        proxied = local_env.kubectl("get", "--raw", PROXY.format(member) + "/api/v1/nodes", check=False)
        assert proxied.returncode != 0 and "not ready" in proxied.stderr
    finally:
        start_component(local_env, spec)
    wait_for(lambda: _ready(local_env.kubectl_json("get", "cluster", member)) == "True", timeout=90, interval=1, what=f"{member} Ready again")
    wait_for(lambda: not local_env.kubectl_json("get", "cluster", member)["spec"].get("taints"), timeout=20, what="taints removed")
    # Leave the member as the next test expects it: its nodes take pods again.
    wait_member_recovered(local_env, member)
