"""The cluster health monitor (upstream's ``monitorClusterHealth`` in the cluster controller):
every ``--cluster-monitor-period`` it looks at each Pull-mode cluster. The probe time moves when
the Ready condition changes or the agent renews lease ``karmada-cluster/<name>``; once it is older
than the grace period (``--cluster-monitor-grace-period``, or ``--cluster-startup-grace-period``
while the cluster never had a Ready condition) Ready becomes Unknown, so the readiness taints
follow. Push clusters are kept by the cluster status controller, which probes them itself."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition, now_rfc3339, timestamp_of
from pykarmada.kube.controller import Result
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)

LEASES_PATH = f"/apis/coordination.k8s.io/v1/namespaces/{c.KARMADA_CLUSTER_NAMESPACE}/leases"


@dataclass
class Probe:
    """What the monitor last saw of one cluster, and when it last had news of it."""

    ready: dict[str, Any] | None
    renew_time: str | None
    at: float


def observe(previous: Probe | None, cluster: dict[str, Any], lease: dict[str, Any] | None, now: float) -> Probe:
    """The probe after this look: news is a changed Ready condition or a newer lease renewal."""
    ready = get_condition((cluster.get("status") or {}).get("conditions"), c.CLUSTER_CONDITION_READY)
    renew = ((lease or {}).get("spec") or {}).get("renewTime")
    if previous is None:
        # Never seen: a cluster that never posted status counts from its creation, as upstream.
        at = now if ready is not None else _timestamp(cluster["metadata"].get("creationTimestamp"), now)
        return Probe(ready, renew, at)
    at = previous.at
    if ready != previous.ready:
        at = now
    if renew and (previous.renew_time is None or _timestamp(renew, 0) > _timestamp(previous.renew_time, 0)):
        at = now
    return Probe(ready, renew or previous.renew_time, at)


def unknown_ready(cluster: dict[str, Any], probe: Probe, now: float, *, grace: float, startup_grace: float) -> dict[str, Any] | None:
    """The Ready condition to publish when the probe is too old, or None when nothing changes."""
    ready = get_condition((cluster.get("status") or {}).get("conditions"), c.CLUSTER_CONDITION_READY)
    if now <= probe.at + (startup_grace if ready is None else grace):
        return None
    if ready is None:
        return {"type": c.CLUSTER_CONDITION_READY, "status": "Unknown", "reason": c.CLUSTER_REASON_STATUS_NEVER_UPDATED,
                "message": c.CLUSTER_MSG_STATUS_NEVER_UPDATED, "lastTransitionTime": now_rfc3339()}
    if ready.get("status") == "Unknown":
        return None
    silent = int(now - probe.at)
    return {"type": c.CLUSTER_CONDITION_READY, "status": "Unknown", "reason": c.CLUSTER_REASON_STATUS_UNKNOWN,
            "message": f"{c.CLUSTER_MSG_STATUS_UNKNOWN} Lease {c.KARMADA_CLUSTER_NAMESPACE}/{cluster['metadata']['name']} not renewed for {silent}s.",
            "lastTransitionTime": now_rfc3339()}


def _timestamp(value: str | None, default: float) -> float:
    return timestamp_of(value) if value else default


class ClusterHealthMonitor:
    name = "cluster-health-monitor"

    def __init__(
        self, control_plane: KubeClient, clusters: Informer, leases: Informer, *,
        period: float = 5.0, grace: float = 40.0, startup_grace: float = 60.0, clock: Callable[[], float] = time.time,
    ) -> None:
        self.control_plane, self.clusters, self.leases = control_plane, clusters, leases
        self.period, self.grace, self.startup_grace, self.clock = period, grace, startup_grace, clock
        self._probes: dict[str, Probe] = {}

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        name = key[1]
        cluster = self.clusters.get("", name)
        if cluster is None or cluster["metadata"].get("deletionTimestamp") or (cluster.get("spec") or {}).get("syncMode") != "Pull":
            self._probes.pop(name, None)
            return None
        now = self.clock()
        probe = self._probes[name] = observe(self._probes.get(name), cluster, self.leases.get(c.KARMADA_CLUSTER_NAMESPACE, name), now)
        condition = unknown_ready(cluster, probe, now, grace=self.grace, startup_grace=self.startup_grace)
        if condition is not None:
            updated = copy.deepcopy(cluster)
            status = updated.setdefault("status", {})
            status["conditions"] = sorted([x for x in status.get("conditions") or [] if x.get("type") != c.CLUSTER_CONDITION_READY] + [condition], key=lambda x: x["type"])
            log.info("cluster %s: %s", name, condition["message"])
            await self.control_plane.replace(f"{c.CLUSTERS_PATH}/{name}/status", updated)  # a conflict retries with the new object
            probe.ready = condition
        return Result(requeue_after=self.period)
