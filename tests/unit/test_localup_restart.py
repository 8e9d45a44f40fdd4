"""Pure parts of restarting a local environment: ports kept or moved, who restarts with a moved
process, the order of stopping, and when a Cluster counts as Ready in this run."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from pykarmada.localup.controllers import ready_since
from pykarmada.localup.environment import _assign_ports, _port_names, restart_with, stop_order
from pykarmada.localup.processes import ProcessRecord
from pykarmada.localup.state import Layout


def _record(name: str) -> ProcessRecord:
    return ProcessRecord(name, 1, 1, "")


def test_ports_are_kept_when_free_or_held_by_a_running_process_and_moved_otherwise(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    first, moved = _assign_ports(layout, ["member1"])
    assert moved == set() and set(first) == set(_port_names(["member1"]))
    held = [socket.socket(), socket.socket(), socket.socket()]
    try:
        for s, name in zip(held, ("member1/kube-apiserver", "karmada/karmada-webhook", "karmada/karmada-webhook/metrics")):
            s.bind(("127.0.0.1", first[name]))
            s.listen()
        # The webhook's ports are held by the webhook itself (it keeps running); member1's by a stranger.
        again, moved = _assign_ports(layout, ["member1"], keep=["karmada/karmada-webhook"])
    finally:
        for s in held:
            s.close()
    assert moved == {"member1/kube-apiserver"}
    assert again["member1/kube-apiserver"] != first["member1/kube-apiserver"]
    assert {k: v for k, v in again.items() if k != "member1/kube-apiserver"} == {k: v for k, v in first.items() if k != "member1/kube-apiserver"}
    assert json.loads(layout.ports_file.read_text()) == again


def test_etcd_moving_restarts_everything_and_an_apiserver_its_cluster() -> None:
    running = ["etcd", "karmada/kube-apiserver", "karmada/karmada-controller-manager", "member1/kwok", "member1/kube-scheduler", "member2/kwok"]
    assert restart_with({"etcd"}, running[1:]) == set(running[1:])
    assert restart_with({"member1/kube-apiserver"}, running) == {"member1/kwok", "member1/kube-scheduler", "karmada/karmada-controller-manager"}
    assert restart_with({"karmada/kube-apiserver"}, running[2:]) == {"karmada/karmada-controller-manager"}
    assert restart_with({"member2/kwok", "karmada/karmada-webhook"}, running) == set()


def test_stop_order_controller_first_etcd_last() -> None:
    names = ["etcd", "karmada/kube-apiserver", "member1/kwok", "karmada/karmada-webhook", "karmada/karmada-aggregated-apiserver", "karmada/karmada-controller-manager"]
    tiers = [[r.name for r in tier] for tier in stop_order([_record(n) for n in names])]
    assert tiers == [
        ["karmada/karmada-controller-manager"],
        ["karmada/karmada-webhook", "karmada/karmada-aggregated-apiserver"],
        ["karmada/kube-apiserver", "member1/kwok"],
        ["etcd"],
    ]


def _cluster(status: str, since: str) -> dict:
    return {"status": {"conditions": [{"type": "Ready", "status": status, "lastTransitionTime": since}]}}


def test_ready_counts_only_when_observed_in_this_run() -> None:
    assert ready_since(_cluster("True", "2026-01-01T10:00:05Z"), "2026-01-01T10:00:05Z")
    assert not ready_since(_cluster("True", "2026-01-01T09:59:59Z"), "2026-01-01T10:00:05Z")  # left in etcd
    assert ready_since(_cluster("True", "2026-01-01T09:59:59Z"), None)  # a live controller's condition
    assert not ready_since(_cluster("Unknown", "2026-01-01T10:00:06Z"), "2026-01-01T10:00:05Z")
    assert not ready_since({}, None)


def test_estimators_stop_with_our_servers_and_restart_with_their_member() -> None:
    names = ["member1/karmada-scheduler-estimator", "karmada/karmada-descheduler", "member1/kube-apiserver", "karmada/karmada-controller-manager"]
    tiers = [[r.name for r in tier] for tier in stop_order([_record(n) for n in names])]
    assert tiers == [["karmada/karmada-descheduler", "karmada/karmada-controller-manager"], ["member1/karmada-scheduler-estimator"], ["member1/kube-apiserver"]]
    others = [n for n in names if n != "member1/kube-apiserver"]
    assert restart_with({"member1/kube-apiserver"}, others) == {"member1/karmada-scheduler-estimator", "karmada/karmada-controller-manager"}
    assert restart_with({"karmada/kube-apiserver"}, others) == {"karmada/karmada-descheduler", "karmada/karmada-controller-manager"}
    ports = _port_names(["member1"])
    assert {"member1/karmada-scheduler-estimator", "member1/karmada-scheduler-estimator/metrics", "karmada/karmada-descheduler/health"} <= set(ports)
