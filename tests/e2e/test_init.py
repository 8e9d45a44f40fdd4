"""karmadactl init/deinit against a real host cluster: member1 of the local environment (a real
kube-apiserver with kwok nodes), in namespace karmada-system-inittest of its own.

Workloads cannot run under kwok (its pods run nothing), so the dry-run stream is applied: host
objects to member1 for real, karmada-apiserver's objects to member2 with a server-side dry run; a real init is expected
to fail there and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import yaml

from pykarmada.karmada.commandlines import flag_names, karmada_apiserver_args
from pykarmada.karmadactl.cmdinit import render
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

NS = "karmada-system-inittest"


def _host(env: LocalEnv) -> list[str]:
    return ["--kubeconfig", env.members_kubeconfig, "--context", "member1", "-n", NS]


def _labelled(env: LocalEnv) -> str:
    kinds = "deployments,statefulsets,services,secrets"
    return env.kubectl("get", kinds, "-n", NS, "-l", render.BOOTSTRAP_LABEL, "-o", "name", context="member1").stdout.strip()


def _namespace_gone_or_terminating(env: LocalEnv) -> bool:
    proc = env.kubectl("get", "namespace", NS, "-o", "jsonpath={.status.phase}", context="member1", check=False)
    return proc.returncode != 0 or proc.stdout == "Terminating"


def test_dry_run_objects_are_accepted_by_a_host_cluster_and_deinit_removes_them(local_env: LocalEnv, tmp_path: Path) -> None:
    data = tmp_path / "karmada"
    out = karmadactl("init", *_host(local_env), "-d", str(data), "--dry-run").stdout
    assert not data.exists(), "--dry-run writes nothing"
    rendered = render.parse_stream(out)
    assert len(rendered) == len([d for d in yaml.safe_load_all(out) if d])
    host = [r.obj for r in rendered if r.target == render.HOST]
    karmada = [r.obj for r in rendered if r.target == render.KARMADA]
    assert {d["kind"] for d in host} >= {"Namespace", "Secret", "Service", "StatefulSet", "Deployment"}
    assert {d["kind"] for d in karmada} >= {"CustomResourceDefinition", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ClusterRole"}
    # The advertise address defaults to a node's InternalIP (kwok's nodes: 127.0.0.1).
    try:
        applied = local_env.kubectl("apply", "--server-side", "--field-manager=karmadactl-init", "-f", "-", context="member1", input=yaml.safe_dump_all(host))
        assert applied.stdout.count("serverside-applied") == len(host), applied.stdout
        deployments = local_env.kubectl_json("get", "deployments", "-n", NS, context="member1")["items"]
        assert {d["metadata"]["name"] for d in deployments} == {"karmada-apiserver", "kube-controller-manager", "karmada-controller-manager", "karmada-webhook", "karmada-aggregated-apiserver"}
        for d in deployments:
            container = d["spec"]["template"]["spec"]["containers"][0]
            assert container["command"] == render.in_cluster_commands(NS)[d["metadata"]["name"]]
            assert d["metadata"]["labels"][render.BOOTSTRAP_LABEL] == "app-defaults"
        service = local_env.kubectl_json("get", "service", "karmada-apiserver", "-n", NS, context="member1")
        assert service["spec"]["type"] == "NodePort" and service["spec"]["ports"][0]["nodePort"] == 32443
        # karmada-apiserver's objects, checked by another real kube-apiserver (member2): its own
        # namespace for real, the rest with a server-side dry run.
        namespace, rest = [o for o in karmada if o["kind"] == "Namespace"], [o for o in karmada if o["kind"] != "Namespace"]
        local_env.kubectl("apply", "--server-side", "-f", "-", context="member2", input=yaml.safe_dump_all(namespace))
        checked = local_env.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", context="member2", input=yaml.safe_dump_all(rest))
        assert checked.stdout.count("serverside-applied (server dry run)") == len(rest), checked.stdout

        # A second init refuses, naming what exists, and changes nothing.
        again = karmadactl("init", *_host(local_env), "-d", str(data), check=False)
        assert again.returncode != 0 and "already installed" in again.stderr and len(again.stderr.strip().splitlines()) == 1, again.stderr
        assert not data.exists()
    finally:
        local_env.kubectl("delete", "namespace", NS, "--wait=false", "--ignore-not-found", context="member2")
        karmadactl("deinit", *_host(local_env), "--force", "--purge-namespace")
    assert _labelled(local_env) == ""
    wait_for(lambda: _namespace_gone_or_terminating(local_env), what=f"namespace {NS} deleted")


def test_init_that_cannot_finish_removes_what_it_created(local_env: LocalEnv, tmp_path: Path) -> None:
    """kwok's pods never serve, so a real init fails at a wait; it says so in one line and leaves
    neither objects, the node label nor certificates behind."""
    wait_for(lambda: _namespace_gone_or_terminating(local_env) and local_env.kubectl("get", "namespace", NS, context="member1", check=False).returncode != 0, timeout=120, what=f"namespace {NS} gone")
    data = tmp_path / "karmada"
    proc = karmadactl("init", *_host(local_env), "-d", str(data), "--wait-component-ready-timeout", "15", check=False)
    assert proc.returncode != 0, proc.stdout
    last = proc.stderr.strip().splitlines()
    assert len(last) == 1 and last[0].startswith("Error: init failed:") and "removed what it had created" in last[0], proc.stderr
    assert "created Secret karmada-cert" in proc.stdout
    assert not list(data.rglob("*.key")) and not (data / "karmada-apiserver.config").exists()
    assert local_env.kubectl("get", "nodes", "-l", render.ETCD_NODE_LABEL, "-o", "name", context="member1").stdout.strip() == ""
    wait_for(lambda: _namespace_gone_or_terminating(local_env), what=f"namespace {NS} deleted")


def test_unreachable_host_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "x", "user": {"token": "t"}}], "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
    }))
    proc = karmadactl("init", "--kubeconfig", str(config), "--dry-run", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "cannot reach the host cluster at https://127.0.0.1:1" in proc.stderr


def _argv(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


LOCAL_UP_EXTRAS = {
    "--feature-gates", "--enable-no-execute-taint-eviction", "--allow-no-execute-taint-policy", "--enable-scheduler-estimator",
    "--scheduler-estimator-cert-file", "--scheduler-estimator-key-file", "--scheduler-estimator-ca-file",
}


def test_manifest_command_lines_are_the_ones_local_up_runs(local_env: LocalEnv) -> None:
    """The flags of each running local-up process equal those of the same component in manifests/."""
    running = {p.name: _argv(p.pid) for p in local_env.state.processes}
    manifests = render.in_cluster_commands()
    for component in ("karmada-controller-manager", "karmada-webhook", "karmada-aggregated-apiserver"):
        local = running[f"karmada/{component}"]
        assert local[1:3] == manifests[component][1:3] == ["-m", local[2]]
        # But for what local-up turns on for development (failover, the estimators; README).
        assert [f for f in flag_names(local[3:]) if f not in LOCAL_UP_EXTRAS] == flag_names(manifests[component][3:]), component
    karmada_flags = flag_names(karmada_apiserver_args(front_proxy_ca="", front_proxy_client_cert="", front_proxy_client_key="", admission_config=""))
    for argv in (running["karmada/kube-apiserver"], manifests["karmada-apiserver"]):
        assert set(karmada_flags) <= set(flag_names(argv))
    controllers = [a for a in running["karmada/kube-controller-manager"] if a.startswith("--controllers=")]
    assert controllers == [a for a in manifests["kube-controller-manager"] if a.startswith("--controllers=")]
