"""The application failover controller (upstream's ``applicationFailover``; behaviour.md 6.3).

For a binding with ``failover.application`` (from its policy), ``propagateDeps``, an aggregated
status and a health interpreter for its kind: a cluster whose item turns Unhealthy starts a timer
(kept in memory, as upstream); once it has been unhealthy for ``decisionConditions.tolerationSeconds``
the cluster leaves ``spec.clusters`` with a graceful eviction task (producer: this controller's
name, reason ApplicationFailure, the policy's purge mode). Healthy or Unknown clears the timer.
The scheduler then places the replicas elsewhere and the graceful eviction controller removes the
task (and with it the old Work) once the new placement is healthy. A failed update records
``EvictWorkloadFromClusterFailed`` on the binding and its template.

Keys are ``(namespace, name)``; an empty namespace is a ClusterResourceBinding.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.eviction import (
    GracefulEvictionDisabled,
    StateNotPreserved,
    TaskOptions,
    application_failover,
    application_task_options,
    detect_failure,
    graceful_evict_cluster,
    preserved_label_state,
    split_by_health,
    toleration_seconds,
)
from pykarmada.karmada.interpreter.status import has_health_interpreter
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import WARNING, EventRecorder
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]


def _watched(binding: Obj | None) -> bool:
    return binding is not None and application_failover(binding.get("spec") or {}) is not None


class ApplicationFailoverController:
    name = C.CONTROLLER_APPLICATION_FAILOVER

    def __init__(
        self, client: KubeClient, bindings: Informer, cluster_bindings: Informer, *, graceful_eviction: bool,
        stateful_failover_injection: bool = False, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.client, self.bindings, self.cluster_bindings = client, bindings, cluster_bindings
        self.graceful_eviction, self.clock = graceful_eviction, clock
        self.stateful_failover_injection = stateful_failover_injection
        self.rb_events = EventRecorder(client, C.COMPONENT_RB_APPLICATION_FAILOVER_CONTROLLER)
        self.crb_events = EventRecorder(client, C.COMPONENT_CRB_APPLICATION_FAILOVER_CONTROLLER)
        # binding -> cluster -> when its application was first seen unhealthy (workloadUnhealthyMap)
        self.unhealthy_since: dict[Key, dict[str, float]] = {}

    @staticmethod
    def on_binding(enqueue: Callable[[Key], None]) -> Handler:
        """Bindings that have (or had) ``failover.application``."""

        def handler(_event: str, binding: Obj, old: Obj | None) -> None:
            if _watched(binding) or _watched(old):
                enqueue(object_key(binding))

        return handler

    def producer(self, namespace: str) -> str:
        return C.COMPONENT_RB_APPLICATION_FAILOVER_CONTROLLER if namespace else C.COMPONENT_CRB_APPLICATION_FAILOVER_CONTROLLER

    @staticmethod
    def applies(binding: Obj) -> bool:
        """``bindingFilter``: failover.application, an aggregated status, a health interpreter for
        the kind and propagateDeps."""
        spec = binding.get("spec") or {}
        return (
            application_failover(spec) is not None
            and bool((binding.get("status") or {}).get("aggregatedStatus"))
            and has_health_interpreter(spec.get("resource") or {})
            and bool(spec.get("propagateDeps"))
        )

    async def reconcile(self, key: Key) -> Result | None:
        namespace, name = key
        binding = (self.bindings if namespace else self.cluster_bindings).get(namespace, name)
        if binding is None or not self.applies(binding):
            self.unhealthy_since.pop(key, None)
            return None
        spec = binding["spec"]
        application = application_failover(spec) or {}
        unhealthy, others = split_by_health(binding["status"]["aggregatedStatus"], spec)
        since = self.unhealthy_since.setdefault(key, {})
        wait, due = detect_failure(unhealthy, since, self.clock(), toleration_seconds(application))
        targets = {t.get("name") for t in spec.get("clusters") or ()}
        if due:
            updated = copy.deepcopy(binding)
            before = [t.get("name") or "" for t in spec.get("clusters") or ()]
            for cluster in due:
                try:
                    updated["spec"] = graceful_evict_cluster(updated["spec"], cluster, self._task_options(binding, application, cluster, before))
                except GracefulEvictionDisabled as e:
                    log.error("%s: %s", M.binding_label(namespace, name), e)
                    return None  # the gates do not change while the process runs
                except StateNotPreserved as e:
                    log.error("%s: cluster %s: %s", M.binding_label(namespace, name), cluster, e)
                    return Result(requeue_after=5.0)  # upstream returns the error: retried with backoff
            try:
                await self.client.replace(binding_path(namespace, name), updated)
            except ApiError as e:
                if not e.conflict:
                    self._failed(binding, due)
                raise
            log.info("%s: application failover from %s (purge mode %s)", M.binding_label(namespace, name), ", ".join(due),
                     application.get("purgeMode") or C.PURGE_MODE_GRACEFULLY)  # fmt: skip
            targets -= set(due)
        for cluster in [c for c in since if c not in targets or c in others]:
            del since[cluster]
        return Result(requeue_after=wait) if wait is not None else None

    def _task_options(self, binding: Obj, application: Mapping[str, Any], cluster: str, before: list[str]) -> TaskOptions:
        """``buildTaskOptions`` for ``cluster``; the preserved label state only with gate
        StatefulFailoverInjection."""
        preserved = None
        if self.stateful_failover_injection:
            preserved = preserved_label_state(application.get("statePreservation"), binding["status"]["aggregatedStatus"], cluster)
        return application_task_options(
            application, self.producer(binding["metadata"].get("namespace") or ""), graceful_eviction=self.graceful_eviction,
            preserved=preserved, clusters_before_failover=before,
        )  # fmt: skip

    def _failed(self, binding: Obj, clusters: list[str]) -> None:
        recorder = self.rb_events if binding["metadata"].get("namespace") else self.crb_events
        for cluster in clusters:
            message = M.evict_workload_from_cluster(cluster, failed=True)
            recorder.event(binding, WARNING, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_FAILED, message)
            recorder.event(binding["spec"].get("resource") or {}, WARNING, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_FAILED, message)
