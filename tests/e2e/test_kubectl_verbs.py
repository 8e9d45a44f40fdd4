"""kubectl's own verbs through karmadactl (issue 13): run by the kubectl binary, against the
control plane or, with ``-s members --cluster`` (``-C`` for logs and describe), a member through
the cluster proxy; kubectl's output and exit code are the command's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from tests.e2e.framework.env import KARMADACTL, LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

KARMADACTL_BIN = str(Path(sys.executable).with_name("karmadactl"))  # the console script, as a shell runs it


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


def test_logs_exec_and_attach_reach_a_member_pod(local_env: LocalEnv) -> None:
    ns = f"verbs-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", ns)
    try:
        wait_for(lambda: local_env.kubectl("get", "namespace", ns, context="member1", check=False).returncode == 0, timeout=60, what="namespace in member1")
        local_env.kubectl("run", "box", "-n", ns, "--image=busybox", context="member1")
        wait_for(lambda: local_env.kubectl_json("get", "pod", "box", "-n", ns, context="member1").get("status", {}).get("phase") == "Running",
                 timeout=60, what="the pod Running")
        kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
        logs = karmadactl("logs", "box", "-n", ns, "-C", "member1", kc).stdout
        assert "simulated container started by kwok" in logs
        # exec: kwok runs the command; the proxy relays the WebSocket stream.
        assert karmadactl("exec", "box", "-n", ns, "-s", "members", "--cluster", "member1", kc, "--", "echo", "hello-through-the-proxy").stdout.strip() == "hello-through-the-proxy"
        failing = karmadactl("exec", "box", "-n", ns, "-s", "members", "--cluster", "member1", kc, "--", "sh", "-c", "exit 3", check=False)
        # kwok reports a failed command as an internal error, so kubectl exits 1: its code and stderr are ours.
        assert failing.returncode == 1 and "exit status 3" in failing.stderr
        # attach: the stream reaches the member's kwok. kwok follows its log file with inotify, which
        # a busy machine may have exhausted; then kwok's own error comes back through the proxy.
        # Its own process group: stopping it must stop the kubectl it runs too.
        attach = subprocess.Popen([*KARMADACTL, "attach", "box", "-n", ns, "-s", "members", "--cluster", "member1", kc],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = attach.communicate(timeout=30)  # kwok's error ends it; its output follows forever
        except subprocess.TimeoutExpired:
            os.killpg(attach.pid, signal.SIGKILL)
            out, err = attach.communicate()
        # kubectl prints its prompt hint once the stream through the proxy is up; kwok then streams
        # the container's output, or its own error when inotify is exhausted on a busy machine.
        assert "simulated container" in out or "If you don't see a command prompt" in err or "error attaching to container" in err, (out, err)
    finally:
        local_env.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def _complete(line: str, kubeconfig: str) -> list[str]:
    words = line.split(" ")
    env = {**os.environ, "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1), "_KARMADACTL_COMPLETE": "bash_complete", "KUBECONFIG": kubeconfig}
    out = subprocess.run(["karmadactl"], executable=KARMADACTL_BIN, env=env, capture_output=True, text=True).stdout
    return [item.split(",", 1)[1] for item in out.splitlines() if "," in item]


def test_completion_of_verbs_flags_clusters_and_kinds(local_env: LocalEnv) -> None:
    script = karmadactl("completion", "bash").stdout
    assert "_KARMADACTL_COMPLETE=bash_complete" in script
    kc = local_env.karmada_kubeconfig
    assert "promote" in _complete("karmadactl pro", kc)
    assert _complete("karmadactl logs -C mem", kc) == ["member1", "member2", "member3"]
    assert _complete("karmadactl get deploy -C ", kc) == ["member1", "member2", "member3"]
    assert "deployments" in _complete("karmadactl describe deploy", kc)
    assert "propagationpolicies" in _complete("karmadactl get propagation", kc)
    assert "--operation-scope" in _complete("karmadactl exec --op", kc)


def test_top_names_members_without_a_metrics_api(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    proc = karmadactl("top", "node", "--clusters", "member1,member2", kc, check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: cluster({m}): Metrics API not available (is metrics-server installed in the member?)" for m in ("member1", "member2")]
    missing = karmadactl("top", "pod", "-C", "nosuch", kc, check=False)
    assert missing.returncode == 1 and "cluster(s) nosuch not found" in missing.stderr
