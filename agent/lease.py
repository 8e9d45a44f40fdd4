"""The Pull cluster's heartbeat: Lease ``karmada-cluster/<c>`` (coordination.k8s.io/v1, holder
``<c>``), renewed every lease duration x renew fraction, owned by the Cluster so it goes with it,
as component-helpers' lease controller that upstream's agent runs. It starts once the cluster is
first Ready (surfaces.md 5.5); the controller process watches it to tell a dead agent."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable
from typing import Any

from pykarmada.karmada.constants import KARMADA_CLUSTER_NAMESPACE
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
# The cluster lease namespace is fixed upstream (util.NamespaceClusterLease), whatever --cluster-namespace says.
LEASE_NAMESPACE = KARMADA_CLUSTER_NAMESPACE
RETRY_FIRST, RETRY_MAX = 0.2, 7.0  # the lease controller's backoff after a failed renewal

Obj = dict[str, Any]


def micro_time(now: datetime.datetime) -> str:
    """metav1.MicroTime, as the API server stores it."""
    return now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def renewed_lease(lease: Obj | None, cluster: Obj, duration: float, now: datetime.datetime) -> Obj:
    """The Lease to write: ``lease`` (None: a new one) held by the cluster, renewed at ``now``,
    with an ownerReference to the Cluster."""
    name = cluster["metadata"]["name"]
    body: Obj = dict(lease) if lease else {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name, "namespace": LEASE_NAMESPACE}}
    body["metadata"] = dict(body["metadata"])
    body["spec"] = {**(body.get("spec") or {}), "holderIdentity": name, "leaseDurationSeconds": int(duration), "renewTime": micro_time(now)}
    # Upstream sets the owner only when there is none; a Lease left by an earlier Cluster of the
    # same name (not yet garbage-collected) gets the current one, so it goes with it.
    uid = cluster["metadata"]["uid"]
    if not any(o.get("uid") == uid for o in body["metadata"].get("ownerReferences") or []):
        body["metadata"]["ownerReferences"] = [{"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": name, "uid": uid}]
    return body


def next_retry(previous: float | None) -> float:
    """Backoff between failed renewals: 0.2 s doubling up to 7 s."""
    return RETRY_FIRST if previous is None else min(previous * 2, RETRY_MAX)


class ClusterLease:
    def __init__(self, control_plane: KubeClient, cluster: Callable[[], Obj | None], *, duration: float, renew_interval: float) -> None:
        """``cluster()`` reads the Cluster (from the informer); while it is gone nothing is renewed."""
        self.control_plane, self.cluster = control_plane, cluster
        self.duration, self.renew_interval = duration, renew_interval
        self._task: asyncio.Task[None] | None = None

    def start(self, _cluster: Obj | None = None) -> None:
        """Start renewing (once; later calls do nothing). Takes the Ready cluster, unused, so it
        can be the cluster status controller's ``on_ready``."""
        if self._task is None:
            log.info("starting to renew the cluster lease every %.1fs", self.renew_interval)
            self._task = asyncio.create_task(self._run(), name="cluster lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        delay: float | None = None
        while True:
            try:
                await self.renew()
                delay = None
                await asyncio.sleep(self.renew_interval)
            except (ApiError, OSError, asyncio.TimeoutError) as e:
                delay = next_retry(delay)
                log.warning("renewing the cluster lease failed, retrying in %.1fs: %s", delay, e)
                await asyncio.sleep(delay)

    async def renew(self) -> None:
        cluster = self.cluster()
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            return  # the Lease goes with its Cluster
        name = cluster["metadata"]["name"]
        path = LEASES.format(namespace=LEASE_NAMESPACE)
        now = datetime.datetime.now(datetime.timezone.utc)
        try:
            lease = await self.control_plane.get(f"{path}/{name}")
        except ApiError as e:
            if not e.not_found:
                raise
            await self.control_plane.create(path, renewed_lease(None, cluster, self.duration, now))
        else:
            await self.control_plane.replace(f"{path}/{name}", renewed_lease(lease, cluster, self.duration, now))
