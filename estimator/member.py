"""What the estimator knows of its member: informers on nodes, non-terminal pods, Deployments and
ReplicaSets (and ResourceQuotas with the ``ResourceQuotaEstimate`` gate), and whether the
member's API answers now. While it does not (a probe every ``PROBE_INTERVAL`` seconds fails, or
the informers never synced) every answer is "unknown" (HTTP 503), never a count from a stale
cache."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp

from pykarmada.karmada.estimation.fit import NodeInfo, node_infos
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
        self.nodes = Informer(client, "/api/v1/nodes", name="nodes")
        self.pods = Informer(client, "/api/v1/pods", name="pods", fieldSelector="status.phase!=Succeeded,status.phase!=Failed")
        self.deployments = Informer(client, "/apis/apps/v1/deployments", name="deployments")
        self.replicasets = Informer(client, "/apis/apps/v1/replicasets", name="replicasets")
        self.quotas = Informer(client, "/api/v1/resourcequotas", name="resourcequotas") if quotas else None
        self.unreachable: str | None = "not synced yet"
        self._tasks: list[asyncio.Task[Any]] = []

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

    def node_infos(self) -> list[NodeInfo]:
        return node_infos(self.nodes.list(), self.pods.list())

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
