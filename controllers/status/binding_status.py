"""The binding status controller: gathers a binding's Works into ``status.aggregatedStatus`` and
the ``FullyApplied`` condition, then aggregates the members' statuses into the resource template
in the control plane (behaviour.md 5.2-5.3), so ``kubectl get deployment`` tells the truth.

The template is read from the shared informers (no GET per reconcile) and its status written as a
merge patch of what changed (no resourceVersion, so a cache that is behind costs no conflict). The
status last written for each template is remembered: while the informer has not caught up with
that write, it is the status compared with, so a late cache never causes a second, equal write.
A status someone else writes on a template is corrected with the next change of its Works.

While a binding's rollout is under way (the same clusters, the same FullyApplied and apply
failures, not every cluster Healthy yet), its changes wait for the progress throttle
(``controllers/status/progress``), both writes together; reaching the end, or any change of
outcome, is written at once. The Works of one binding report one cluster at a time, often
seconds apart under load: each report would otherwise cost a binding and a template write.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any, Callable

from pykarmada.controllers.common.apiutil import merge_patch
from pykarmada.controllers.common.templates import TemplateReader
from pykarmada.controllers.status.progress import ProgressThrottle
from pykarmada.karmada import constants as c
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.interpreter import aggregate_status
from pykarmada.karmada.interpreter.status import HEALTHY
from pykarmada.karmada.names import cluster_from_execution_namespace
from pykarmada.karmada.works import expected_clusters
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition, set_condition
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Informer

Obj = dict[str, Any]
RB_PATH = "/apis/work.karmada.io/v1alpha2/resourcebindings"
CRB_PATH = "/apis/work.karmada.io/v1alpha2/clusterresourcebindings"
BindingKey = tuple[str, str, str]  # ("rb" or "crb", namespace, name)


def binding_of_work(work: Obj) -> BindingKey | None:
    meta = work.get("metadata") or {}
    ann = meta.get("annotations") or {}
    if ann.get(c.RESOURCE_BINDING_NAME_ANNOTATION):
        return ("rb", ann.get(c.RESOURCE_BINDING_NAMESPACE_ANNOTATION, ""), ann[c.RESOURCE_BINDING_NAME_ANNOTATION])
    if ann.get(c.CLUSTER_RESOURCE_BINDING_ANNOTATION):
        return ("crb", "", ann[c.CLUSTER_RESOURCE_BINDING_ANNOTATION])
    return None


WORKS_BY_BINDING = "binding"


def work_binding(work: Obj) -> list[BindingKey]:
    """The Work informer's index: the binding a Work's annotations point back to."""
    binding = binding_of_work(work)
    return [binding] if binding is not None else []


def _matches_template(identifier: Obj, resource: Obj) -> bool:
    group, _, version = (resource.get("apiVersion") or "").rpartition("/")
    return (
        identifier.get("kind") == resource.get("kind")
        and identifier.get("name") == resource.get("name")
        and (identifier.get("namespace") or "") == (resource.get("namespace") or "")
        and identifier.get("group", "") == group
    )


def aggregated_items(binding: Obj, works: list[Obj]) -> list[Obj]:
    resource = (binding.get("spec") or {}).get("resource") or {}
    items = []
    for work in works:
        if work["metadata"].get("deletionTimestamp"):
            continue
        cluster = cluster_from_execution_namespace(work["metadata"]["namespace"]) or ""
        applied = get_condition((work.get("status") or {}).get("conditions"), "Applied")
        item: Obj = {"clusterName": cluster, "applied": bool(applied and applied.get("status") == "True")}
        if applied and not item["applied"]:
            item["appliedMessage"] = applied.get("message", "")
        health = "Unknown"
        for ms in (work.get("status") or {}).get("manifestStatuses") or []:
            if _matches_template(ms.get("identifier") or {}, resource):
                if ms.get("status") is not None:
                    item["status"] = ms["status"]
                health = ms.get("health") or "Unknown"
        item["health"] = health if item["applied"] else "Unknown"
        items.append(item)
    return sorted(items, key=lambda i: i["clusterName"])


def fully_applied(binding: Obj, items: list[Obj]) -> tuple[str, str, str]:
    expected = expected_clusters(binding.get("spec") or {})  # requiredBy and evicting clusters count, as upstream
    ok = bool(expected) and len(items) == len(expected) and all(i["applied"] and i["clusterName"] in expected for i in items)
    if ok:
        return "True", "FullyAppliedSuccess", "All works have been successfully applied"
    return "False", "FullyAppliedFailed", "Failed to apply all works, see status.aggregatedStatus for details"


def _outcome(status: Obj) -> tuple[list[str], str | None, list[str]]:
    items = status.get("aggregatedStatus") or []
    fully = (get_condition(status.get("conditions"), "FullyApplied") or {}).get("status")
    return [i.get("clusterName") for i in items], fully, [i.get("clusterName") for i in items if not i.get("applied") and i.get("appliedMessage")]


def progress_only(before: Obj, after: Obj) -> bool:
    """Whether the binding status ``after`` only moves along a rollout that ``before`` had not
    finished either: not every cluster applied and Healthy, and the same clusters, FullyApplied
    and apply failures as before (a first report: not yet FullyApplied, and no failure)."""
    items = after.get("aggregatedStatus") or []
    if items and all(i.get("applied") and i.get("health") == HEALTHY for i in items):
        return False
    clusters, fully, failed = _outcome(after)
    if not before.get("aggregatedStatus"):
        return fully != "True" and not failed
    return _outcome(before) == (clusters, fully, failed)


class BindingStatusController:
    name = "bindingStatus"

    def __init__(
        self, control_plane: KubeClient, bindings: Informer, cluster_bindings: Informer, works: Informer, templates: TemplateReader,
        *, clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.control_plane = control_plane
        self.bindings, self.cluster_bindings, self.works = bindings, cluster_bindings, works
        self.templates = templates
        self.written: dict[BindingKey, Obj] = {}  # binding key -> template status last written
        self.progress = ProgressThrottle(clock=clock)
        works.add_index(WORKS_BY_BINDING, work_binding)  # a binding's Works without a list call
        self.rb_events = EventRecorder(control_plane, c.COMPONENT_RB_STATUS_CONTROLLER)
        self.crb_events = EventRecorder(control_plane, c.COMPONENT_CRB_STATUS_CONTROLLER)

    async def reconcile(self, key: BindingKey) -> Result | None:
        kind, ns, name = key
        informer = self.bindings if kind == "rb" else self.cluster_bindings
        binding = informer.get(ns, name)
        if binding is None or binding["metadata"].get("deletionTimestamp"):
            self.written.pop(key, None)
            self.progress.forget(key)
            return None
        works = self.works.by_index(WORKS_BY_BINDING, key)
        items = aggregated_items(binding, works)
        status = copy.deepcopy(binding.get("status") or {})
        status["aggregatedStatus"] = items
        status["conditions"] = set_condition(status.get("conditions"), "FullyApplied", *fully_applied(binding, items))
        current = binding.get("status") or {}
        if status != current and progress_only(current, status) and (wait := self.progress.wait(key)) > 0:
            return Result(requeue_after=wait)
        recorder = self.rb_events if kind == "rb" else self.crb_events
        # The template's status comes from the items, not from the binding's: both writes at once.
        writes = []
        if status != current:
            writes.append(self._write_binding_status(key, binding, status, recorder))
        if items:
            writes.append(self._aggregate_into_template(key, binding, items, recorder))
        for outcome in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        self.progress.forget(key)
        return None

    async def _write_binding_status(self, key: BindingKey, binding: Obj, status: Obj, recorder: EventRecorder) -> None:
        kind, ns, name = key
        updated = copy.deepcopy(binding)
        updated["status"] = status
        base = f"/apis/work.karmada.io/v1alpha2/namespaces/{ns}/resourcebindings" if kind == "rb" else CRB_PATH
        try:
            await self.control_plane.replace(f"{base}/{name}/status", updated)
        except ApiError as e:
            if not e.conflict:  # a conflict is only a requeue
                recorder.event(binding, WARNING, c.EVENT_AGGREGATE_STATUS_FAILED, str(e))
            raise
        recorder.event(binding, NORMAL, c.EVENT_AGGREGATE_STATUS_SUCCEED, M.aggregate_binding_succeed(ns, name))

    async def _aggregate_into_template(self, key: BindingKey, binding: Obj, items: list[Obj], recorder: EventRecorder) -> None:
        resource = (binding.get("spec") or {}).get("resource") or {}
        template = await self.templates.get_ref(resource)
        if template is None:
            return
        new_status = aggregate_status(template, items)
        if new_status is None:
            return
        written = self.written.get(key)
        cached = template.get("status") or {}
        if new_status == (written if written is not None else cached):
            return
        tk = await self.templates.kind_of(template["apiVersion"], template["kind"])
        if tk is None:
            return
        meta = template.get("metadata") or {}
        path = tk.object_path(meta.get("namespace") or "", meta.get("name") or "")
        # Against the last write when the cache may be behind it; against the cache otherwise.
        patch = {"status": merge_patch(written if written is not None else cached, new_status)}
        try:
            await self._patch_status(path, patch)
        except ApiError as e:
            if e.not_found:
                return
            recorder.event(template, WARNING, c.EVENT_AGGREGATE_STATUS_FAILED, str(e))
            raise
        self.written[key] = new_status
        recorder.event(template, NORMAL, c.EVENT_AGGREGATE_STATUS_SUCCEED, M.AGGREGATE_TEMPLATE_SUCCEED)

    async def _patch_status(self, path: str, patch: Obj) -> None:
        try:
            await self.control_plane.patch(path + "/status", patch)
        except ApiError as e:
            if e.status == 404 and await self.control_plane.exists(path):
                # the kind has no status subresource: the status is part of the object
                await self.control_plane.patch(path, patch)
            else:
                raise
