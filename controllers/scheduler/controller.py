"""The scheduler controller (karmada-scheduler): watches bindings and clusters, decides with
``triggers.schedule_trigger`` whether a binding must be (re)scheduled, runs the pure
``core.schedule_binding`` and writes the outcome (behaviour.md 2.1 and 2.9):

* a merge patch of ``spec.clusters`` and ``policy.karmada.io/applied-placement``;
* the ``Scheduled`` condition, ``schedulerObservedGeneration``, ``lastScheduledTime`` and the
  observed affinity term through the status subresource;
* ``ScheduleBindingSucceed`` / ``ScheduleBindingFailed`` Events on the binding and its template.

Keys are ``(namespace, name)``; an empty namespace is a ClusterResourceBinding. The result patch
carries no resourceVersion (as upstream): it only sets fields the scheduler owns, and a concurrent
placement change bumps the generation, which schedules again. Status patches do carry it (the
conditions list is shared with the binding status controller); on 409 the binding is read again.
NoClusterFit is final (no retry); Unschedulable is looked at again after 5 minutes or on the
next binding/cluster change; other errors back off from 1 s to 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.controllers.scheduler.assumptions import AssumptionCache, newly_healthy_clusters
from pykarmada.controllers.scheduler.core import ScheduleOutcome, applied_placement_annotation, schedule_binding, success_event_message
from pykarmada.controllers.scheduler.framework import FitError, UnschedulableError
from pykarmada.controllers.scheduler.triggers import (
    ALWAYS_SCHEDULED,
    REPLICAS_CHANGED,
    binding_affected_by_cluster,
    clusters_to_reconcile,
    is_binding_for_scheduler,
    schedule_trigger,
)
from pykarmada.karmada import constants as C
from pykarmada.controllers.scheduler.estimation import answers_estimator, general_estimator
from pykarmada.karmada import metrics
from pykarmada.karmada.estimation.client import EstimatorClient
from pykarmada.karmada.estimation.protocol import wire_requirements
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import now_rfc3339, set_condition
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Handler, Informer

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]
UNSCHEDULABLE_RETRY = 300.0
STATUS_ATTEMPTS = 5


class SchedulingFailed(RetryableError):
    """A scheduling error that is retried with backoff (the condition says why)."""


def describe(namespace: str, name: str) -> str:
    return f"ResourceBinding({namespace}/{name})" if namespace else f"ClusterResourceBinding({name})"


def build_status(status: Mapping[str, Any], generation: int, outcome: ScheduleOutcome) -> Obj:
    """The binding status after one scheduling outcome (pure)."""
    out = copy.deepcopy(dict(status))
    cond = outcome.condition
    out["conditions"] = set_condition(out.get("conditions"), cond["type"], cond["status"], cond["reason"], cond["message"])
    if cond["status"] == "True":
        out["schedulerObservedGeneration"] = generation
        out["lastScheduledTime"] = now_rfc3339()
    if outcome.succeeded and outcome.affinity_name is not None:
        out["schedulerObservingAffinityName"] = outcome.affinity_name
    return out


def same_targets(a: list[Mapping[str, Any]], b: list[Mapping[str, Any]]) -> bool:
    """Equal as sets of targets. Order carries no meaning, and it follows the clusters' scores
    and free capacity, which move between two schedules of the same binding: rewriting an
    equal result in a new order would bump the generation and schedule the binding again."""

    def canonical(targets: list[Mapping[str, Any]]) -> list[tuple[str, int]]:
        return sorted((t.get("name") or "", t.get("replicas") or 0) for t in targets)

    return len(a) == len(b) and canonical(a) == canonical(b)


def result_patch(binding: Mapping[str, Any], outcome: ScheduleOutcome) -> Obj | None:
    """Merge patch for spec.clusters and the applied-placement annotation; None if unchanged."""
    if outcome.clusters is None:
        return None
    meta, spec = binding.get("metadata") or {}, binding.get("spec") or {}
    placement = applied_placement_annotation(spec.get("placement") or {})
    clusters = [dict(c) for c in outcome.clusters]
    patch: Obj = {}
    annotations = meta.get("annotations") or {}
    if annotations.get(C.APPLIED_PLACEMENT_ANNOTATION) != placement:
        patch["metadata"] = {"annotations": {C.APPLIED_PLACEMENT_ANNOTATION: placement}}
    if not same_targets(spec.get("clusters") or [], clusters):
        patch["spec"] = {"clusters": clusters or None}
    if patch:
        # The capacity the decision saw rides on a write that happens anyway (no write of its own).
        capacity = json.dumps(outcome.capacity, sort_keys=True, separators=(",", ":")) if outcome.capacity else None
        if annotations.get(C.ESTIMATED_CAPACITY_ANNOTATION) != capacity:
            patch.setdefault("metadata", {}).setdefault("annotations", {})[C.ESTIMATED_CAPACITY_ANNOTATION] = capacity
    return patch or None


class SchedulerController:
    name = C.CONTROLLER_SCHEDULER

    def __init__(
        self,
        client: KubeClient,
        bindings: Informer,
        cluster_bindings: Informer,
        clusters: Informer,
        *,
        scheduler_name: str = C.DEFAULT_SCHEDULER_NAME,
        enable_empty_workload_propagation: bool = False,
        estimator_client: EstimatorClient | None = None,
        assumptions: AssumptionCache | None = None,
    ) -> None:
        self.client = client
        self.estimator_client = estimator_client
        self.assumptions = assumptions
        self._assume_lock = asyncio.Lock()
        self.bindings, self.cluster_bindings, self.clusters = bindings, cluster_bindings, clusters
        self.scheduler_name = scheduler_name
        self.enable_empty_workload_propagation = enable_empty_workload_propagation
        self.recorder = EventRecorder(client, scheduler_name)
        # The generation our own result write gave a binding. A Duplicated binding still at it has
        # nothing new to schedule: upstream schedules it again on that bump, which costs a status
        # write and two Events for the same answer. A cluster change forgets the entry.
        self._result_generation: dict[Key, int] = {}

    # ---- handlers -----------------------------------------------------------------------------

    def on_binding(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            meta = obj.get("metadata") or {}
            if self.assumptions is not None:
                key = (meta.get("namespace") or "", meta.get("name") or "")
                if event == "DELETED":
                    self.assumptions.release(key)
                elif event == "MODIFIED":
                    for cluster in newly_healthy_clusters(old, obj):
                        self.assumptions.release(key, cluster)
            if event == "DELETED":
                self._result_generation.pop((meta.get("namespace") or "", meta.get("name") or ""), None)
            if event == "DELETED" or not is_binding_for_scheduler(obj, self.scheduler_name):
                return
            if event == "MODIFIED" and old is not None and (old.get("metadata") or {}).get("generation") == meta.get("generation"):
                return
            enqueue((meta.get("namespace") or "", meta.get("name") or ""))
            metrics.count_incoming_binding(metrics.EVENT_BINDING_UPDATE if event == "MODIFIED" else metrics.EVENT_BINDING_ADD)

        return handler

    def on_cluster(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            if event != "MODIFIED" or old is None:
                return
            versions = clusters_to_reconcile(old, obj)
            if not versions:
                return
            for informer in (self.bindings, self.cluster_bindings):
                for binding in informer.list():
                    if not is_binding_for_scheduler(binding, self.scheduler_name):
                        continue
                    if any(binding_affected_by_cluster(binding, v, self.scheduler_name) for v in versions):
                        meta = binding.get("metadata") or {}
                        key = (meta.get("namespace") or "", meta.get("name") or "")
                        self._result_generation.pop(key, None)
                        enqueue(key)
                        metrics.count_incoming_binding(metrics.EVENT_CLUSTER_CHANGED)

        return handler

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> Result | None:
        namespace, name = key
        binding = (self.bindings if namespace else self.cluster_bindings).get(namespace, name)
        if binding is None or not is_binding_for_scheduler(binding, self.scheduler_name):
            return None
        meta = binding.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            kind = "resourceBinding" if namespace else "clusterResourceBinding"
            what = f"{namespace}/{name}" if namespace else name
            self._events(binding, WARNING, C.EVENT_SCHEDULE_BINDING_FAILED, f"skip schedule deleting {kind}: {what}")
            return None
        clusters = self.clusters.list()
        trigger = schedule_trigger(binding, clusters)
        status = binding.get("status") or {}
        if trigger == ALWAYS_SCHEDULED and self._result_generation.get(key) == meta.get("generation"):
            trigger = None
        if trigger is None:
            if status.get("schedulerObservedGeneration") != meta.get("generation"):
                await self._write_status(binding, lambda s: {**s, "schedulerObservedGeneration": meta.get("generation")})
            return None
        log.info("%s: scheduling (%s)", describe(namespace, name), trigger)
        started, failed = time.perf_counter(), True
        try:
            outcome, saved = await self._schedule(key, binding, clusters)
            try:
                result = await self._record(binding, outcome)
            except BaseException:
                if self.assumptions is not None:
                    self.assumptions.restore(key, saved)
                raise
            failed = not outcome.succeeded
            if failed and outcome.retry:
                metrics.count_incoming_binding(metrics.EVENT_SCHEDULE_ATTEMPT_FAILURE)
            return result
        except Exception:
            metrics.count_incoming_binding(metrics.EVENT_SCHEDULE_ATTEMPT_FAILURE)
            raise
        finally:
            schedule_type = metrics.SCHEDULE_TYPE_SCALE if trigger == REPLICAS_CHANGED else metrics.SCHEDULE_TYPE_RECONCILE
            metrics.observe_schedule(schedule_type, time.perf_counter() - started, failed=failed)

    async def _schedule(self, key: Key, binding: Obj, clusters: list[Obj]) -> tuple[ScheduleOutcome, Any]:
        """Run the pure scheduler, with the estimators' answers when they are enabled. With
        assumptions, estimate-decide-assume is one step at a time, so concurrent bindings see
        each other's fresh assignments; returns what the binding's assumption was before."""
        spec, status = binding.get("spec") or {}, binding.get("status") or {}
        options: dict[str, Any] = {
            "binding_ref": describe(*key),
            "enable_empty_workload_propagation": self.enable_empty_workload_propagation,
        }
        if self.estimator_client is None or not ((spec.get("replicas") or 0) > 0 or spec.get("components")):
            return schedule_binding(spec, clusters, status, **options), None
        async with self._assume_lock if self.assumptions is not None else contextlib.nullcontext():
            names = [c["metadata"]["name"] for c in clusters if not (c.get("metadata") or {}).get("deletionTimestamp")]
            assumed = self.assumptions.for_clusters(names, exclude=key) if self.assumptions is not None else None
            requirements = wire_requirements(spec.get("replicaRequirements"), (spec.get("resource") or {}).get("namespace") or "")
            answers = await self.estimator_client.max_available_replicas(names, requirements, assumed)
            options["estimators"] = (general_estimator, answers_estimator(answers))
            outcome = schedule_binding(spec, clusters, status, **options)
            saved = None
            if self.assumptions is not None:
                saved = self.assumptions.snapshot(key)
                if outcome.succeeded and outcome.clusters is not None:
                    self.assumptions.assume(key, spec, outcome.clusters)
            return outcome, saved

    async def _record(self, binding: Obj, outcome: ScheduleOutcome) -> Result | None:
        meta = binding.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        for message in outcome.failed_attempts:
            self._events(binding, WARNING, C.EVENT_SCHEDULE_BINDING_FAILED, message)
        written, generation = binding, meta.get("generation") or 0
        if outcome.succeeded or isinstance(outcome.error, FitError):
            patch = result_patch(binding, outcome)
            if patch is not None:
                try:
                    written = await self.client.patch(binding_path(namespace, name), patch)
                    if (written.get("metadata") or {}).get("generation") == generation + 1:
                        # Nothing but our result since the generation we scheduled: observe it.
                        generation += 1
                        self._result_generation[(namespace, name)] = generation
                except ApiError as e:
                    if isinstance(outcome.error, FitError) and not e.conflict:
                        # NoClusterFit that could not be written is retried (behaviour.md 2.9).
                        fit = ScheduleOutcome(None, {**outcome.condition, "message": f"[{outcome.error.message}, {e}]"}, True, error=outcome.error)
                        await self._write_status(binding, lambda s: build_status(s, generation, fit))
                    raise
        status_outcome = outcome
        await self._write_status(written, lambda s: build_status(s, generation, status_outcome))
        if outcome.succeeded:
            # The targets as stored: an equal result in another order is not written (same_targets).
            clusters = (written.get("spec") or {}).get("clusters") or []
            message = success_event_message(clusters, cluster_scoped=not namespace)
            self._events(binding, NORMAL, C.EVENT_SCHEDULE_BINDING_SUCCEED, message)
            log.info("%s: scheduled %s", describe(namespace, name), message)
            return None
        error = outcome.error
        assert error is not None
        if not outcome.failed_attempts or isinstance(error, FitError):
            self._events(binding, WARNING, C.EVENT_SCHEDULE_BINDING_FAILED, error.message)
        log.info("%s: %s: %s", describe(namespace, name), outcome.condition["reason"], error.message)
        if isinstance(error, FitError):
            return None
        if isinstance(error, UnschedulableError):
            return Result(requeue_after=UNSCHEDULABLE_RETRY)
        raise SchedulingFailed(error.message)

    async def _write_status(self, binding: Obj, mutate: Any) -> None:
        """Patch ``status`` (guarded by resourceVersion); on conflict read the binding again."""
        meta = binding.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        current = binding
        for attempt in range(STATUS_ATTEMPTS):
            status = current.get("status") or {}
            wanted = mutate(status)
            if wanted == status:
                return
            patch = {"metadata": {"resourceVersion": (current.get("metadata") or {}).get("resourceVersion")}, "status": wanted}
            try:
                await self.client.patch(binding_path(namespace, name, subresource="status"), patch)
                return
            except ApiError as e:
                if not e.conflict or attempt == STATUS_ATTEMPTS - 1:
                    raise
            current = await self.client.get(binding_path(namespace, name))

    def _events(self, binding: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        self.recorder.event(binding, type_, reason, message)
        resource = (binding.get("spec") or {}).get("resource")
        if resource:
            self.recorder.event(resource, type_, reason, message)
