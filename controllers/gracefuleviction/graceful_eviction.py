"""The graceful eviction controller (upstream's ``gracefulEviction``): for bindings with
``spec.gracefulEvictionTasks``, stamp new tasks with ``creationTimestamp`` and remove the ones
whose end came (``karmada.eviction.assess_tasks``); the binding controller then deletes the old
Work. Each removed task records ``EvictWorkloadFromClusterSucceed`` on the binding and its
template. A binding is looked at again when its first grace period ends; health changes arrive
as updates of the binding's status.

Keys are ``(namespace, name)``; an empty namespace is a ClusterResourceBinding (upstream runs one
controller for each; their Events carry either controller's name).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.eviction import assess_tasks, next_check
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result
from pykarmada.kube.events import NORMAL, EventRecorder
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class GracefulEvictionController:
    name = C.CONTROLLER_GRACEFUL_EVICTION

    def __init__(
        self, client: KubeClient, bindings: Informer, cluster_bindings: Informer, *, timeout: float, now: Callable[[], datetime] = _utcnow
    ) -> None:
        self.client, self.bindings, self.cluster_bindings = client, bindings, cluster_bindings
        self.timeout, self.now = timeout, now
        self.rb_events = EventRecorder(client, C.COMPONENT_RB_GRACEFUL_EVICTION_CONTROLLER)
        self.crb_events = EventRecorder(client, C.COMPONENT_CRB_GRACEFUL_EVICTION_CONTROLLER)

    @staticmethod
    def on_binding(enqueue: Callable[[Key], None]) -> Handler:
        """Bindings with tasks, created (a restart) or updated (spec or status)."""

        def handler(event: str, binding: Obj, _old: Obj | None) -> None:
            if event != "DELETED" and (binding.get("spec") or {}).get("gracefulEvictionTasks"):
                enqueue(object_key(binding))

        return handler

    async def reconcile(self, key: Key) -> Result | None:
        namespace, name = key
        binding = (self.bindings if namespace else self.cluster_bindings).get(namespace, name)
        if binding is None or binding["metadata"].get("deletionTimestamp"):
            return None
        tasks = (binding.get("spec") or {}).get("gracefulEvictionTasks") or []
        now = self.now()
        kept, ended = assess_tasks(tasks, now, timeout=self.timeout, binding=binding)
        if kept != tasks:
            patch = {"metadata": {"resourceVersion": binding["metadata"].get("resourceVersion")}, "spec": {"gracefulEvictionTasks": kept or None}}
            await self.client.patch(binding_path(namespace, name), patch)
            recorder = self.rb_events if namespace else self.crb_events
            for cluster in ended:
                log.info("%s: eviction from cluster %s finished", M.binding_label(namespace, name), cluster)
                message = M.evict_workload_from_cluster(cluster, failed=False)
                recorder.event(binding, NORMAL, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_SUCCEED, message)
                recorder.event(binding["spec"].get("resource") or {}, NORMAL, C.EVENT_EVICT_WORKLOAD_FROM_CLUSTER_SUCCEED, message)
        wait = next_check(kept, now, timeout=self.timeout)
        return Result(requeue_after=wait) if wait is not None else None
