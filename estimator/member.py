"""What the estimator knows of its member: informers on nodes, non-terminal pods, Deployments and
ReplicaSets (and ResourceQuotas with the ``ResourceQuotaEstimate`` gate), and whether the
member's API answers now. While it does not (a probe every ``PROBE_INTERVAL`` seconds fails, or
the informers never synced) every answer is "unknown" (HTTP 503), never a count from a stale
cache.

Pods are most of a member's objects, so the pod cache keeps only what an answer reads
(``slim_pod``, and ``slim_node`` likewise): at 10,000 pods a full copy of each would hold most of
the process's memory. Their requests are summed per node as events arrive (``NodeBook``), not on
every request."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp

from pykarmada.karmada.estimation.fit import NodeBook
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
PROBE_INTERVAL = 2.0
PROBE_TIMEOUT = 2.0
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


class Member:
    def __init__(self, client: KubeClient, *, quotas: bool) -> None:
        self.client = client
        self.book = NodeBook()
        self.nodes = Informer(client, "/api/v1/nodes", name="nodes", transform=slim_node)
        self.nodes.add_handler(self._on_node)
        self.pods = Informer(client, "/api/v1/pods", name="pods", transform=slim_pod, fieldSelector="status.phase!=Succeeded,status.phase!=Failed")
        self.pods.add_handler(self._on_pod)
        self.deployments = Informer(client, "/apis/apps/v1/deployments", name="deployments")
        self.replicasets = Informer(client, "/apis/apps/v1/replicasets", name="replicasets")
        self.quotas = Informer(client, "/api/v1/resourcequotas", name="resourcequotas") if quotas else None
        self.unreachable: str | None = "not synced yet"
        self._tasks: list[asyncio.Task[Any]] = []

    def _on_node(self, kind: str, node: dict[str, Any], _old: dict[str, Any] | None) -> None:
        if kind == "DELETED":
            self.book.remove_node((node.get("metadata") or {}).get("name") or "")
        else:
            self.book.set_node(node)

    def _on_pod(self, kind: str, pod: dict[str, Any], _old: dict[str, Any] | None) -> None:
        if kind == "DELETED":
            meta = pod.get("metadata") or {}
            self.book.remove_pod((meta.get("namespace") or "", meta.get("name") or ""))
        else:
            self.book.set_pod(pod)

    @property
    def informers(self) -> list[Informer]:
        return [i for i in (self.nodes, self.pods, self.deployments, self.replicasets, self.quotas) if i is not None]

    def synced(self) -> bool:
        return all(i.has_synced() for i in self.informers)

    async def start(self) -> None:
        for informer in self.informers:
            informer.start()
        self._tasks.append(asyncio.create_task(self._probe(), name="member probe"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for informer in self.informers:
            await informer.stop()

    async def _probe(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.client.get("/version"), PROBE_TIMEOUT)
                reason = None if self.synced() else "informers not synced yet"
            except (ApiError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
                reason = f"member API unreachable: {e or type(e).__name__}"
            if reason != self.unreachable:
                if reason is None:
                    log.info("member API reachable; answering")
                else:
                    log.warning("%s; answering unknown", reason)
            self.unreachable = reason
            await asyncio.sleep(PROBE_INTERVAL)

    # ---- reads ----------------------------------------------------------------------------

    def namespace_quotas(self, namespace: str) -> list[Mapping[str, Any]]:
        if self.quotas is None:
            return []
        return [q for q in self.quotas.list() if (q.get("metadata") or {}).get("namespace") == namespace]

    def unschedulable_pods(self, namespace: str, name: str, threshold_seconds: float) -> int | None:
        """Pods of the Deployment's newest ReplicaSet unschedulable for longer than the threshold;
        None when the Deployment is not in the cache."""
        deployment = self.deployments.get(namespace, name)
        if deployment is None:
            return None
        rs = newest_replicaset(deployment, self.replicasets.list())
        if rs is None:
            return 0
        uid = rs["metadata"].get("uid")
        now = time.time()
        return sum(
            1
            for pod in self.pods.list()
            if (pod.get("metadata") or {}).get("namespace") == namespace
            and any(o.get("uid") == uid for o in (pod["metadata"].get("ownerReferences") or ()))
            and unschedulable_since(pod, threshold_seconds, now)
        )


def _slim_containers(containers: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"resources": {"requests": (c.get("resources") or {}).get("requests") or {}}} for c in containers or ()]


def slim_node(node: dict[str, Any]) -> dict[str, Any]:
    """The fields of a node that the estimator reads: name, labels, taints, unschedulable,
    allocatable."""
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    return {
        "metadata": {"name": meta.get("name"), "resourceVersion": meta.get("resourceVersion"), "labels": meta.get("labels") or {}},
        "spec": {"taints": spec.get("taints") or [], "unschedulable": bool(spec.get("unschedulable"))},
        "status": {"allocatable": (node.get("status") or {}).get("allocatable") or {}},
    }


def slim_pod(pod: dict[str, Any]) -> dict[str, Any]:
    """The fields of a pod that the estimator reads: identity, owners, node, requests, phase and
    the ``PodScheduled`` condition."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    slim_spec: dict[str, Any] = {"nodeName": spec.get("nodeName") or "", "containers": _slim_containers(spec.get("containers"))}
    if spec.get("initContainers"):
        slim_spec["initContainers"] = _slim_containers(spec["initContainers"])
    if spec.get("overhead"):
        slim_spec["overhead"] = spec["overhead"]
    return {
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "resourceVersion": meta.get("resourceVersion"),
            "ownerReferences": [{"uid": o.get("uid"), "controller": o.get("controller")} for o in meta.get("ownerReferences") or ()],
        },
        "spec": slim_spec,
        "status": {"phase": status.get("phase"), "conditions": [c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"]},
    }


def _owned_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    return any(o.get("uid") == uid and o.get("controller") for o in (obj.get("metadata") or {}).get("ownerReferences") or ())


def newest_replicaset(deployment: Mapping[str, Any], replicasets: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The ReplicaSet of the Deployment's current revision (else its highest revision)."""
    meta = deployment.get("metadata") or {}
    owned = [rs for rs in replicasets if (rs.get("metadata") or {}).get("namespace") == meta.get("namespace") and _owned_by(rs, deployment)]
    if not owned:
        return None

    def revision(obj: Mapping[str, Any]) -> int:
        value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION, "0")
        return int(value) if value.isdigit() else 0

    current = revision(deployment)
    for rs in owned:
        if current and revision(rs) == current:
            return rs
    return max(owned, key=revision)


def _rfc3339(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def unschedulable_since(pod: Mapping[str, Any], threshold_seconds: float, now: float) -> bool:
    """``PodScheduled`` False with reason ``Unschedulable`` since before ``now - threshold``."""
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "PodScheduled":
            if cond.get("status") != "False" or cond.get("reason") != "Unschedulable":
                return False
            since = cond.get("lastTransitionTime")
            return bool(since) and _rfc3339(since) + threshold_seconds < now
    return False
