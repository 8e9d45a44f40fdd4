"""The Table cells the search proxy prints for pods and deployments, as kubectl shows them."""

from __future__ import annotations

from typing import Any

from pykarmada.aggregator.search.printers import deployment_cells, label_selector_string, pod_status, printer_for
from pykarmada.aggregator.table import DEFAULT_COLUMNS


def pod(status: dict[str, Any], spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", **meta}, "spec": {"containers": [{"name": "a"}, {"name": "b"}], **(spec or {})}, "status": status}


RUNNING = {"state": {"running": {}}, "ready": True}


def test_running_waiting_and_completed_containers() -> None:
    assert pod_status(pod({"phase": "Running", "containerStatuses": [RUNNING, RUNNING]}))[:3] == ("Running", 2, 0)
    crashing = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "restartCount": 4, "lastState": {"terminated": {"finishedAt": "2026-01-01T00:00:00Z"}}}
    reason, ready, restarts, last = pod_status(pod({"phase": "Running", "containerStatuses": [RUNNING, crashing]}))
    assert (reason, ready, restarts) == ("CrashLoopBackOff", 1, 4) and last is not None
    done = {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
    ready_cond = {"conditions": [{"type": "Ready", "status": "True"}]}
    assert pod_status(pod({"phase": "Running", "containerStatuses": [done, RUNNING], **ready_cond}))[0] == "Running"
    assert pod_status(pod({"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 2}}}, RUNNING]}))[0] == "ExitCode:2"


def test_init_containers_scheduling_gates_and_deletion() -> None:
    spec = {"initContainers": [{"name": "i0"}, {"name": "i1"}]}
    init_done = {"name": "i0", "state": {"terminated": {"exitCode": 0}}}
    assert pod_status(pod({"phase": "Pending", "initContainerStatuses": [init_done, {"name": "i1", "state": {"running": {}}}]}, spec))[0] == "Init:1/2"
    failing = {"name": "i0", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
    assert pod_status(pod({"phase": "Pending", "initContainerStatuses": [failing]}, spec))[0] == "Init:ImagePullBackOff"
    gated = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}
    assert pod_status(pod(gated))[0] == "SchedulingGated"
    assert pod_status(pod({"phase": "Running"}, deletionTimestamp="2026-01-01T00:00:00Z"))[0] == "Terminating"


def test_deployment_cells_and_the_default_printer() -> None:
    deployment = {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
                 "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}, {"name": "s", "image": "envoy"}]}}},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }  # fmt: skip
    cells = deployment_cells(deployment)
    assert cells[:4] == ["web", "2/3", 3, 2] and cells[5:] == ["c,s", "nginx,envoy", "app=web,tier in (a,b)"]
    assert label_selector_string(None) == "<none>"
    assert printer_for("", "configmaps")[0] == DEFAULT_COLUMNS
