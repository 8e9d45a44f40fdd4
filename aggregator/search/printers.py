"""The ``Table`` columns kubectl shows for cached resources, as kube-apiserver's own printers give
them (upstream's cache plugin lifts them too): Pods and Deployments have their kubectl columns,
every other resource ``Name`` and ``Created At``. kubectl adds ``NAMESPACE`` itself from each
row's object metadata with ``-A``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from pykarmada.aggregator.table import DEFAULT_COLUMNS, default_cells, human_age

Obj = dict[str, Any]
Column = tuple[str, str, int, str]
Cells = Callable[[Obj], list[Any]]

POD_COLUMNS: list[Column] = [
    ("Name", "name", 0, "Name of the pod, unique within its namespace."),
    ("Ready", "", 0, "Ready containers of all the pod's containers."),
    ("Status", "", 0, "The pod's phase, or why its containers are not running."),
    ("Restarts", "", 0, "How often the pod's containers restarted, and when they last did."),
    ("Age", "", 0, "Time since the pod was created."),
    ("IP", "", 1, "The pod's IP address."),
    ("Node", "", 1, "The node the pod is bound to."),
    ("Nominated Node", "", 1, "The node a preemption nominated for the pod."),
    ("Readiness Gates", "", 1, "Readiness gates that are true, of those the pod declares."),
]

DEPLOYMENT_COLUMNS: list[Column] = [
    ("Name", "name", 0, "Name of the deployment, unique within its namespace."),
    ("Ready", "", 0, "Ready pods of the desired replicas."),
    ("Up-to-date", "", 0, "Pods of the newest template."),
    ("Available", "", 0, "Pods available for at least minReadySeconds."),
    ("Age", "", 0, "Time since the deployment was created."),
    ("Containers", "", 1, "Names of the pod template's containers."),
    ("Images", "", 1, "Images of the pod template's containers."),
    ("Selector", "", 1, "The deployment's label selector."),
]


def _rfc3339(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def _terminated_reason(state: Obj, prefix: str = "") -> str:
    if state.get("reason"):
        return prefix + state["reason"]
    if state.get("signal"):
        return f"{prefix}Signal:{state['signal']}"
    return f"{prefix}ExitCode:{state.get('exitCode', 0)}"


def _restartable(spec: Obj) -> set[str]:
    """Init containers that keep running beside the others (sidecars)."""
    return {c.get("name") for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"}


def _condition_true(status: Obj, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or ())


def pod_status(pod: Obj) -> tuple[str, int, int, datetime.datetime | None]:
    """(status, ready containers, restarts, last restart) as kubectl prints a pod."""
    spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
    reason = status.get("reason") or status.get("phase") or ""
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in status.get("conditions") or ()):
        reason = "SchedulingGated"
    sidecars = _restartable(spec)
    restarts = sidecar_restarts = ready = 0
    last: datetime.datetime | None = None
    last_sidecar: datetime.datetime | None = None

    def later(current: datetime.datetime | None, container: Obj) -> datetime.datetime | None:
        finished = _rfc3339(((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        return finished if finished and (current is None or finished > current) else current

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, container in enumerate(init_statuses):
        restarts += container.get("restartCount") or 0
        last = later(last, container)
        state = container.get("state") or {}
        sidecar = container.get("name") in sidecars
        if sidecar:
            sidecar_restarts += container.get("restartCount") or 0
            last_sidecar = later(last_sidecar, container)
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode") == 0:
            continue
        if sidecar and container.get("started"):
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or ())}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        restarts, last = sidecar_restarts, last_sidecar
        running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += container.get("restartCount") or 0
            last = later(last, container)
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return reason, ready, restarts, last


def pod_cells(pod: Obj) -> list[Any]:
    spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
    reason, ready, restarts, last = pod_status(pod)
    shown = str(restarts)
    if restarts and last is not None:
        shown = f"{restarts} ({human_age(last.strftime('%Y-%m-%dT%H:%M:%SZ'))} ago)"
    gates = spec.get("readinessGates") or []
    gates_shown = "<none>"
    if gates:
        true = {c.get("type") for c in status.get("conditions") or () if c.get("status") == "True"}
        gates_shown = f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"
    return [
        meta.get("name", ""),
        f"{ready}/{len(spec.get('containers') or ())}",
        reason,
        shown,
        human_age(meta.get("creationTimestamp")),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_shown,
    ]


def label_selector_string(selector: Obj | None) -> str:
    """A LabelSelector as ``metav1.FormatLabelSelector`` prints it: ``<none>`` when empty."""
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator", ""), ",".join(sorted(expr.get("values") or ()))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def deployment_cells(deployment: Obj) -> list[Any]:
    spec, status, meta = deployment.get("spec") or {}, deployment.get("status") or {}, deployment.get("metadata") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    desired = spec.get("replicas", 1)
    return [
        meta.get("name", ""),
        f"{status.get('readyReplicas', 0)}/{desired}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        human_age(meta.get("creationTimestamp")),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        label_selector_string(spec.get("selector")),
    ]


PRINTERS: dict[tuple[str, str], tuple[list[Column], Cells]] = {
    ("", "pods"): (POD_COLUMNS, pod_cells),
    ("apps", "deployments"): (DEPLOYMENT_COLUMNS, deployment_cells),
}


def printer_for(group: str, resource: str) -> tuple[list[Column], Cells]:
    return PRINTERS.get((group, resource), (DEFAULT_COLUMNS, default_cells))
