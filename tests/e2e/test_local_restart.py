"""local-up restarted on its own state (issue 8, section 6): a member whose old port was taken
while the environment was down listens elsewhere, every Cluster follows it, "ready" means Ready
observed after this start, and propagation works. An environment of its own (2 members of 1
node): the test stops and starts it."""

from __future__ import annotations

import datetime
import socket
from pathlib import Path

import yaml

from tests.e2e.framework import env as envlib
from tests.e2e.framework import propagation as fw
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for


def _ready_replicas(env: LocalEnv, member: str, namespace: str, name: str) -> int:
    proc = env.kubectl("get", "deployment", name, "-n", namespace, "-o", "json", "--ignore-not-found", context=member)
    return yaml.safe_load(proc.stdout).get("status", {}).get("readyReplicas", 0) if proc.stdout.strip() else 0


def test_restart_with_a_member_port_taken_keeps_clusters_true(tmp_path: Path) -> None:
    env = envlib.start(tmp_path, members=2, nodes_per_member=1)
    try:
        common = [f"--state-dir={env.state_dir}", f"--kubeconfig-dir={env.kubeconfig_dir}"]
        size = ["--members=2", "--nodes-per-member=1"]
        karmadactl("local-down", *common)
        old_ports = dict(env.state.ports)
        old_port = old_ports["member1/kube-apiserver"]
        with socket.socket() as stranger:  # another program took member1's port meanwhile
            # As a Go server would (and our port checks do): connections of the stopped
            # environment may linger in TIME_WAIT on that port for a minute.
            stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            stranger.bind(("127.0.0.1", old_port))
            stranger.listen()
            restarted_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            output = karmadactl("local-up", *size, *common).stderr
            assert "member1/kube-apiserver: its previous port is taken" in output, output
            env = envlib.attach(env.state_dir)
            assert env.state.ports["member1/kube-apiserver"] != old_port
            moved = {k for k, v in env.state.ports.items() if old_ports.get(k) != v}
            assert moved == {"member1/kube-apiserver"}, "every other process keeps its recorded port"

            servers = {c["name"]: c["cluster"]["server"] for c in yaml.safe_load(Path(env.members_kubeconfig).read_text())["clusters"]}
            assert servers["member1"] == f"https://127.0.0.1:{env.state.ports['member1/kube-apiserver']}"
            for cluster in env.kubectl_json("get", "clusters")["items"]:
                name = cluster["metadata"]["name"]
                assert cluster["spec"]["apiEndpoint"] == servers[name], name
                ready = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
                # local-up said ready on a Ready=True observed in this run, not on one left in etcd.
                assert ready["status"] == "True" and ready["lastTransitionTime"] >= restarted_at, (name, ready)

            with fw.namespace(env, "restart") as ns:
                fw.apply(env, ns, fw.sample("nginx-deployment.yaml"), fw.sample("nginx-propagationpolicy.yaml"))
                wait_for(
                    lambda: all(_ready_replicas(env, m, ns, "nginx") == 1 for m in ("member1", "member2")),
                    timeout=90, what="nginx Ready in member1 (new port) and member2",
                )  # fmt: skip
    finally:
        envlib.stop(env)
