"""kubectl's own verbs through karmadactl (issue 13): run by the kubectl binary, against the
control plane or, with ``-s members --cluster`` (``-C`` for logs and describe), a member through
the cluster proxy; kubectl's output and exit code are the command's."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

from tests.e2e.framework.env import KARMADACTL, LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for


def test_write_verbs_change_the_control_plane(local_env: LocalEnv) -> None:
    name = f"verbs-{uuid.uuid4().hex[:6]}"
    cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": {"a": "1"}})
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    subprocess.run([*KARMADACTL, "create", "-f", "-", kc], input=cm, text=True, check=True, capture_output=True)
    karmadactl("label", "configmap", name, "tier=web", kc)
    karmadactl("annotate", "configmap", name, "note=hi", kc)
    karmadactl("patch", "configmap", name, "--type=merge", "-p", '{"data":{"a":"2"}}', kc)
    got = local_env.kubectl_json("get", "configmap", name, "-n", "default")
    assert got["metadata"]["labels"]["tier"] == "web" and got["metadata"]["annotations"]["note"] == "hi" and got["data"] == {"a": "2"}
    # The control-plane flags may come before the verb, as cobra allows.
    out = karmadactl(kc, "delete", "configmap", name).stdout
    assert f'configmap "{name}" deleted' in out


def test_discovery_verbs_reach_a_member_through_the_proxy(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    control_plane = karmadactl("api-resources", kc).stdout
    member = karmadactl("api-resources", "-s", "members", "--cluster", "member1", kc).stdout
    assert "clusters" in control_plane or "propagationpolicies" in control_plane
    assert "propagationpolicies" not in member and "pods" in member
    assert "apps/v1" in karmadactl("api-versions", "--operation-scope=members", "--cluster=member1", kc).stdout
    explained = karmadactl("explain", "pods.spec.nodeName", "-s", "members", "--cluster", "member1", kc).stdout
    assert "nodeName" in explained


def test_describe_of_a_member_object(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    node = local_env.kubectl_json("get", "nodes", context="member1")["items"][0]["metadata"]["name"]
    out = karmadactl("describe", "node", node, "-s", "members", "-C", "member1", kc).stdout
    assert out.startswith("Name:") and node in out
    assert "Propagation:" not in out


def test_errors_are_one_line_with_kubectls_exit_codes(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    missing = karmadactl("describe", "node", "x", "-s", "members", "-C", "nosuch", kc, check=False)
    assert missing.returncode == 1 and 'cluster "nosuch" not found' in missing.stderr
    no_cluster = karmadactl("logs", "some-pod", kc, check=False)
    assert no_cluster.returncode == 2 and "must specify a cluster" in no_cluster.stderr
    not_found = karmadactl("describe", "configmap", "absent-one", "-n", "default", kc, check=False)
    assert not_found.returncode == 1 and "not found" in not_found.stderr
    env = {**os.environ, "KARMADACTL_KUBECTL": "/nonexistent/kubectl"}
    proc = subprocess.run([*KARMADACTL, "api-versions", kc], capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "KARMADACTL_KUBECTL=/nonexistent/kubectl is not an executable kubectl" in proc.stderr


def test_apply_with_clusters_creates_the_companion_policy_and_propagates(local_env: LocalEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ns = f"apply-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", ns)
    try:
        manifest = tmp_path / "cm.yaml"
        manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"k": "v"}}))
        kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
        out = karmadactl("apply", "-f", str(manifest), "-n", ns, "-C", "member2", kc).stdout
        assert "configmap/applied created" in out and "propagationpolicy.policy.karmada.io/applied-" in out
        policies = local_env.kubectl_json("get", "propagationpolicies", "-n", ns)["items"]
        assert [p["spec"]["placement"]["clusterAffinity"]["clusterNames"] for p in policies] == [["member2"]]
        wait_for(lambda: local_env.kubectl("get", "configmap", "applied", "-n", ns, context="member2", check=False).returncode == 0,
                 timeout=60, what="the ConfigMap in member2")
        both = karmadactl("apply", "-f", str(manifest), "--all-clusters", "-C", "member1", kc, check=False)
        assert both.returncode == 2 and "cannot be used together" in both.stderr
        absent = karmadactl("apply", "-f", str(manifest), "-n", ns, "-C", "nosuch", kc, check=False)
        assert absent.returncode == 1 and "cluster nosuch does not exist" in absent.stderr
    finally:
        local_env.kubectl("delete", "namespace", ns, "--wait=false", check=False)
