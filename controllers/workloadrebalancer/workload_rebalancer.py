"""The WorkloadRebalancer controller (upstream's ``workloadRebalancer``, ``workload-rebalancer``).

A WorkloadRebalancer names workloads; for each one the controller sets the binding's
``spec.rescheduleTriggeredAt`` to the rebalancer's creation time (once: a binding triggered at or
after that time is left alone), which makes the scheduler place it afresh. Each workload gets a
``status.observedWorkloads`` item: Successful, or Failed with ReferencedBindingNotFound when it has
no binding; other errors are retried. When the status changes and nothing waits for a retry,
``finishTime`` is set; ``ttlSecondsAfterFinished`` after it the rebalancer is deleted. Looked at
on create and on spec changes only, as upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path
from pykarmada.karmada import constants as C
from pykarmada.karmada import rebalancer as R
from pykarmada.karmada.names import binding_name
from pykarmada.kube.client import KubeClient, resource_path
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def rebalancer_path(name: str, *, subresource: str | None = None) -> str:
    return resource_path(C.APPS_V1ALPHA1, "workloadrebalancers", name=name, subresource=subresource)


class RetryNeeded(RuntimeError):
    """Some workloads could not be triggered for a reason other than a missing binding."""


class WorkloadRebalancerController:
    name = C.CONTROLLER_WORKLOAD_REBALANCER

    def __init__(self, client: KubeClient, rebalancers: Informer, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.client, self.rebalancers, self.now = client, rebalancers, now

    @staticmethod
    def on_rebalancer(enqueue: Callable[[tuple[str, str]], None]) -> Handler:
        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            if event == "ADDED" or (event == "MODIFIED" and old is not None and obj.get("spec") != old.get("spec")):
                enqueue(object_key(obj))

        return handler

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        rebalancer = self.rebalancers.get("", key[1])
        if rebalancer is None:
            return None
        meta, spec, status = rebalancer["metadata"], rebalancer.get("spec") or {}, rebalancer.get("status") or {}
        observed = R.observed_workloads(spec, status)
        retries = 0
        for item in observed:
            if item.get("result"):
                continue
            retries += await self._trigger(item, meta.get("creationTimestamp") or "")
        new_status: Obj = {"observedWorkloads": observed, "observedGeneration": meta.get("generation")}
        if status.get("finishTime"):
            new_status["finishTime"] = status["finishTime"]
        if new_status != status:
            if not retries:
                new_status["finishTime"] = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            body = {"metadata": {"resourceVersion": meta.get("resourceVersion")}, "status": new_status}
            rebalancer = await self.client.patch(rebalancer_path(meta["name"], subresource="status"), body)
        if retries:
            raise RetryNeeded(f"{retries} resource reschedule triggered failed and need retry")
        ttl = spec.get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        finish = (rebalancer.get("status") or {}).get("finishTime")
        if not finish:
            raise RetryNeeded("finish time should not be nil")
        left = R.seconds_left(finish, int(ttl), self.now())
        if left > 0:
            return Result(requeue_after=left)
        preconditions = {"resourceVersion": rebalancer["metadata"].get("resourceVersion")}
        try:
            await self.client.request("DELETE", rebalancer_path(meta["name"]), body={"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": preconditions})
        except ApiError as e:
            if not e.not_found:
                raise
        log.info("WorkloadRebalancer %s: finished %ss ago, deleted", meta["name"], ttl)
        return None

    async def _trigger(self, item: Obj, created: str) -> int:
        """Set the workload's binding to reschedule; 1 when it must be retried."""
        workload = item["workload"]
        namespace = workload.get("namespace") or ""
        path = binding_path(namespace, binding_name(workload.get("kind") or "", workload.get("name") or ""))
        try:
            binding = await self.client.get(path)
            if R.needs_trigger(created, (binding.get("spec") or {}).get("rescheduleTriggeredAt")):
                binding["spec"]["rescheduleTriggeredAt"] = created
                await self.client.replace(path, binding)
        except ApiError as e:
            if e.not_found:
                item.update(result=R.FAILED, reason=R.REASON_BINDING_NOT_FOUND)
                return 0
            log.warning("WorkloadRebalancer: triggering %s failed: %s", path, e)
            return 1
        item["result"] = R.SUCCESSFUL
        return 0
