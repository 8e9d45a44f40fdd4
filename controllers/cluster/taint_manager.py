"""The NoExecute taint manager (upstream's ``taint-manager``, part of the cluster controller; gate
Failover, ``--enable-taint-manager``, and eviction only with ``--enable-no-execute-taint-eviction``).

For a cluster with NoExecute taints, every binding targeting it is judged by the tolerations of
its applied placement: not tolerated -> evicted now; tolerated for ``tolerationSeconds`` -> evicted
once the first of them runs out (counted from the taint's ``timeAdded``); tolerated without a
limit -> left alone. The cluster is looked at again every 10 s while it has such taints. Evicting
takes the cluster out of ``spec.clusters`` and leaves a graceful eviction task (producer
TaintManager, reason TaintUntolerated), through the paced eviction queues of ``eviction_worker``.
A failed update records ``EvictWorkloadFromClusterFailed`` on the binding and its template.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from pykarmada.controllers.cluster.eviction_worker import EvictionKey, EvictionWorker
from pykarmada.controllers.common.apiutil import binding_path
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.eviction import (
    PRODUCER_TAINT_MANAGER,
    REASON_TAINT_UNTOLERATED,
    NoAppliedPlacement,
    StateNotPreserved,
    TaskOptions,
    applied_tolerations,
    graceful_evict_cluster,
    no_execute_eviction_delay,
    preserved_label_state,
    target_contains,
    taint_eviction_purge_mode,
)
from pykarmada.karmada.taints import no_execute_taints
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import WARNING, EventRecorder
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
RETRY_FREQUENCY = 10.0  # ClusterTaintEvictionRetryFrequency
CONCURRENT_RECONCILES = 3


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NoExecuteTaintManager:
    name = "taint-manager"

    def __init__(
        self,
        client: KubeClient,
        clusters: Informer,
        bindings: Informer,
        cluster_bindings: Informer,
        *,
        enable_eviction: bool,
        purge_mode: str,
        eviction_rate: float,
        stateful_failover_injection: bool = False,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.client, self.clusters, self.bindings, self.cluster_bindings = client, clusters, bindings, cluster_bindings
        self.enable_eviction, self.purge_mode, self.now = enable_eviction, purge_mode, now
        self.stateful_failover_injection = stateful_failover_injection
        self.recorder = EventRecorder(client, C.COMPONENT_TAINT_MANAGER)
        self.binding_eviction = EvictionWorker("binding-eviction", self.sync_eviction, rate=eviction_rate, workers=CONCURRENT_RECONCILES)
        self.cluster_binding_eviction = EvictionWorker("cluster-binding-eviction", self.sync_eviction, rate=eviction_rate, workers=CONCURRENT_RECONCILES)

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        """Queue every binding on this cluster for judgement while it has NoExecute taints."""
        cluster = self.clusters.get("", key[1])
        if cluster is None or not self.enable_eviction:
            return None
        taints = no_execute_taints((cluster.get("spec") or {}).get("taints"))
        if not taints:
            return None
        name, now = cluster["metadata"]["name"], self.now()
        for informer, worker in ((self.bindings, self.binding_eviction), (self.cluster_bindings, self.cluster_binding_eviction)):
            for binding in informer.list():
                if not target_contains(binding.get("spec") or {}, name):
                    continue
                meta = binding["metadata"]
                try:
                    delay = no_execute_eviction_delay(taints, applied_tolerations(binding), now)
                except NoAppliedPlacement:
                    delay = 0  # judged (and retried) by the worker, as upstream
                if delay >= 0:
                    worker.add(EvictionKey(name, meta.get("namespace") or "", meta["name"]), delay)
        return Result(requeue_after=RETRY_FREQUENCY)

    async def sync_eviction(self, key: EvictionKey) -> float | None:
        """Evict one binding from one cluster if it is (still) due; otherwise the seconds until it is."""
        binding = (self.bindings if key.namespace else self.cluster_bindings).get(key.namespace, key.name)
        if binding is None or binding["metadata"].get("deletionTimestamp"):
            return None
        spec = binding.get("spec") or {}
        if not target_contains(spec, key.cluster):
            return None
        cluster = self.clusters.get("", key.cluster)
        if cluster is None or not self.enable_eviction:
            return None
        try:
            delay = no_execute_eviction_delay((cluster.get("spec") or {}).get("taints"), applied_tolerations(binding), self.now())
        except NoAppliedPlacement as e:
            raise RetryableError(f"{M.binding_label(key.namespace, key.name)}: {e}") from None
        if delay != 0:
            return delay if delay > 0 else None
        preserved = None
        cluster_failover = (spec.get("failover") or {}).get("cluster")
        if self.stateful_failover_injection and cluster_failover is not None:
            aggregated = (binding.get("status") or {}).get("aggregatedStatus") or []
            try:
                preserved = preserved_label_state(cluster_failover.get("statePreservation"), aggregated, key.cluster)
            except StateNotPreserved as e:
                raise RetryableError(f"{M.binding_label(key.namespace, key.name)}: {e}") from None
        options = TaskOptions(PRODUCER_TAINT_MANAGER, REASON_TAINT_UNTOLERATED, purge_mode=taint_eviction_purge_mode(spec, self.purge_mode),
                              preserved_label_state=preserved)  # fmt: skip
        updated = copy.deepcopy(binding)
        updated["spec"] = graceful_evict_cluster(spec, key.cluster, options)
        try:
            await self.client.replace(binding_path(key.namespace, key.name), updated)
        except ApiError as e:
            if not e.conflict:
                message = M.evict_workload_from_cluster(key.cluster, failed=True)
                self.recorder.event(binding, WARNING, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_FAILED, message)
                self.recorder.event(spec.get("resource") or {}, WARNING, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_FAILED, message)
            raise
        log.info("evicted cluster %s from %s (purge mode %s)", key.cluster, M.binding_label(key.namespace, key.name), options.purge_mode)
        return None
