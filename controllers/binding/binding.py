"""The binding controller (behaviour.md 3): one Work per target cluster of every ResourceBinding
and ClusterResourceBinding, and no Work anywhere else.

Keys are ``(namespace, name)``; an empty namespace is a ClusterResourceBinding (upstream runs a
second controller for those; here one queue serves both, and Events carry either controller's
name). Works are found through the binding's permanent-id label, indexed from the shared Work
informer; manifests come from the pure ``karmada.works.build_binding_work``. A Work is written
only when it would change after the Work webhook's mutation, with the stored resourceVersion.
Writes to the clusters of one binding run concurrently, bounded by a semaphore.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path, patch_if_exists, without_finalizer
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.controllers.common.templates import TemplateReader
from pykarmada.controllers.common.work_writer import WorkBeingDeleted, WorkWriter
from pykarmada.karmada import constants as C
from pykarmada.karmada import metrics
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.eviction import failover_labels
from pykarmada.karmada.names import cluster_from_execution_namespace
from pykarmada.karmada.overrides import OverrideError
from pykarmada.karmada.works import build_binding_work, direct_purge_clusters, expected_clusters, job_completions, target_clusters
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]
DIRECT_PURGE_WAIT = 5.0
WRITE_CONCURRENCY = 16


class SyncWorkFailed(RetryableError):
    pass


def binding_id(binding: Mapping[str, Any]) -> str:
    meta = binding.get("metadata") or {}
    label = C.RESOURCE_BINDING_PERMANENT_ID_LABEL if meta.get("namespace") else C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL
    return (meta.get("labels") or {}).get(label) or ""


def binding_of_work(work: Mapping[str, Any]) -> Key | None:
    """The binding a Work belongs to, from its back-reference annotations."""
    annotations = (work.get("metadata") or {}).get("annotations") or {}
    if name := annotations.get(C.RESOURCE_BINDING_NAME_ANNOTATION):
        return annotations.get(C.RESOURCE_BINDING_NAMESPACE_ANNOTATION) or "", name
    if name := annotations.get(C.CLUSTER_RESOURCE_BINDING_ANNOTATION):
        return "", name
    return None


WORKS_BY_BINDING_ID = "bindingPermanentID"


def work_binding_ids(work: Mapping[str, Any]) -> list[str]:
    """The Work informer's index: the permanent id of the RB or CRB on a Work's labels."""
    labels = (work.get("metadata") or {}).get("labels") or {}
    return [v for k in (C.RESOURCE_BINDING_PERMANENT_ID_LABEL, C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL) if (v := labels.get(k))]


class BindingController:
    name = C.CONTROLLER_BINDING

    def __init__(
        self,
        client: KubeClient,
        informers: Mapping[str, Informer],
        reader: TemplateReader,
        *,
        stateful_failover_injection: bool = False,
    ) -> None:
        self.client, self.reader = client, reader
        self.stateful_failover_injection = stateful_failover_injection
        self.bindings, self.cluster_bindings = informers[C.RESOURCE_BINDINGS_PATH], informers[C.CLUSTER_RESOURCE_BINDINGS_PATH]
        self.works, self.clusters = informers[C.WORKS_PATH], informers[C.CLUSTERS_PATH]
        self.ops, self.cops = informers[C.OVERRIDE_POLICIES_PATH], informers[C.CLUSTER_OVERRIDE_POLICIES_PATH]
        self.works.add_index(WORKS_BY_BINDING_ID, work_binding_ids)
        self.writer = WorkWriter(client, self.works)
        self.rb_events = EventRecorder(client, C.COMPONENT_BINDING_CONTROLLER)
        self.crb_events = EventRecorder(client, C.COMPONENT_CLUSTER_RESOURCE_BINDING_CONTROLLER)
        self.override_events = EventRecorder(client, C.COMPONENT_OVERRIDE_MANAGER)
        self._writes = asyncio.Semaphore(WRITE_CONCURRENCY)

    # ---- handlers -----------------------------------------------------------------------------

    def on_binding(self, enqueue: Callable[[Key], None]) -> Handler:
        """Generation changes (and the start of deletion) reach the queue."""

        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            meta = obj.get("metadata") or {}
            if event == "MODIFIED" and old is not None:
                old_meta = old.get("metadata") or {}
                if old_meta.get("generation") == meta.get("generation") and bool(old_meta.get("deletionTimestamp")) == bool(meta.get("deletionTimestamp")):
                    return
            if event != "DELETED":
                enqueue(object_key(obj))

        return handler

    def on_work(self, enqueue: Callable[[Key], None]) -> Handler:
        """A Work deleted by someone else is written again, and a Work in a cluster its binding no
        longer targets (seen late by the index) is removed."""

        def handler(event: str, work: Obj, _old: Obj | None) -> None:
            key = binding_of_work(work)
            if key is None:
                return
            if event == "DELETED":
                enqueue(key)
                return
            binding = (self.bindings if key[0] else self.cluster_bindings).get(*key)
            cluster = cluster_from_execution_namespace((work.get("metadata") or {}).get("namespace") or "")
            if binding is not None and cluster not in expected_clusters(binding.get("spec") or {}):
                enqueue(key)

        return handler

    def on_override_policy(self, enqueue: Callable[[Key], None]) -> Handler:
        """An (Cluster)OverridePolicy change re-syncs the bindings its selectors may cover (by
        apiVersion, kind and name; label selectors are not narrowed down here)."""

        def handler(_event: str, policy: Obj, old: Obj | None) -> None:
            for key in self.bindings_for_policy(policy, old):
                enqueue(key)

        return handler

    def bindings_for_policy(self, policy: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> set[Key]:
        namespace = (policy.get("metadata") or {}).get("namespace") or ""
        selectors = list((policy.get("spec") or {}).get("resourceSelectors") or [])
        selectors += list(((old or {}).get("spec") or {}).get("resourceSelectors") or [])
        informers: Iterable[Informer] = (self.bindings,) if namespace else (self.bindings, self.cluster_bindings)
        out: set[Key] = set()
        for informer in informers:
            for binding in informer.list():
                meta = binding.get("metadata") or {}
                if namespace and meta.get("namespace") != namespace:
                    continue
                ref = (binding.get("spec") or {}).get("resource") or {}
                if not selectors or any(_may_select(s, ref) for s in selectors):
                    out.add((meta.get("namespace") or "", meta.get("name") or ""))
        return out

    # ---- reconcile ----------------------------------------------------------------------------

    def _works_of(self, bid: str) -> list[Key]:
        return self.works.index_keys(WORKS_BY_BINDING_ID, bid)

    async def reconcile(self, key: Key) -> Result | None:
        namespace, name = key
        binding = (self.bindings if namespace else self.cluster_bindings).get(namespace, name)
        if binding is None:
            return None
        bid = binding_id(binding)
        if (binding.get("metadata") or {}).get("deletionTimestamp"):
            await self._delete_works(self._works_of(bid))
            finalizer = C.BINDING_CONTROLLER_FINALIZER if namespace else C.CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER
            if (patch := without_finalizer(binding, finalizer)) is not None:
                await patch_if_exists(self.client, binding_path(namespace, name), patch)
                log.info("%s: works deleted, finalizer removed", _describe(key))
            return None
        spec = binding.get("spec") or {}
        expected = expected_clusters(spec)
        works = self._works_of(bid)
        orphans = [w for w in works if cluster_from_execution_namespace(w[0]) not in expected]
        if orphans:
            log.info("%s: removing works for clusters no longer targeted: %s", _describe(key), ", ".join(f"{ns}/{n}" for ns, n in orphans))
            try:
                await self._delete_works(orphans)
            except ApiError as e:
                self._recorder(key).event(binding, WARNING, C.EVENT_CLEANUP_WORK_FAILED, str(e))
                raise
        purging = direct_purge_clusters(spec)
        if any(cluster_from_execution_namespace(ns) in purging for ns, _ in works if (ns, _) not in orphans):
            return Result(requeue_after=DIRECT_PURGE_WAIT)
        # Works are built from the template the binding names, or a newer one: the informer may
        # not have seen the version the detector built the binding from yet.
        template = await self.reader.get_ref(spec.get("resource") or {}, at_least_its_version=True)
        if template is None:
            return None
        with metrics.timed_result(metrics.BINDING_SYNC_WORK_DURATION):
            return await self._sync(key, binding, template, changed=bool(orphans))

    async def _sync(self, key: Key, binding: Obj, template: Obj, *, changed: bool) -> Result | None:
        """Write every target's Work. ``SyncWorkSucceed`` is recorded when this sync changed
        something (upstream records it on every sync; repeats would only load the API server)."""
        spec = binding.get("spec") or {}
        written = 0
        targets = target_clusters(spec)
        completions = job_completions(template, spec, targets)
        tmeta = template.get("metadata") or {}
        ops = [p for p in self.ops.list() if (p.get("metadata") or {}).get("namespace") == tmeta.get("namespace")] if tmeta.get("namespace") else []
        cops = self.cops.list()

        async def one(target: Mapping[str, Any]) -> str | ApiError | None:
            cluster_name = target.get("name") or ""
            cluster = self.clusters.get("", cluster_name)
            if cluster is None:
                return f"cluster({cluster_name}) not found"
            if completions is not None and cluster_name not in completions:
                return f"no completions found for cluster {cluster_name}"
            try:
                desired = build_binding_work(
                    template, binding, target, cluster=cluster, cluster_override_policies=cops, override_policies=ops,
                    completions=completions.get(cluster_name) if completions is not None else None,
                    failover_labels=failover_labels(spec, cluster_name, len(targets)) if self.stateful_failover_injection else None,
                )
            except OverrideError as e:
                if e.policy_name:
                    message = M.apply_override(e.policy_namespace, e.policy_name, cluster_name, failed=True)
                    self.override_events.event(template, WARNING, C.EVENT_APPLY_OVERRIDE_POLICY_FAILED, message)
                return str(e)
            nonlocal written
            try:
                async with self._writes:
                    wrote = await self.writer.ensure(desired)
                written += wrote
                for message in M.applied_overrides(desired, cluster_name) if wrote else ():
                    self.override_events.event(template, NORMAL, C.EVENT_APPLY_OVERRIDE_POLICY_SUCCEED, message)
            except ApiError as e:
                if e.conflict:
                    return e  # a newer Work than our cache: just look again
                return f"failed to sync work {desired['metadata']['namespace']}/{desired['metadata']['name']}: {e}"
            except WorkBeingDeleted as e:
                return str(e)
            return None

        outcomes = [o for o in await asyncio.gather(*(one(t) for t in targets)) if o]
        errors = [o for o in outcomes if isinstance(o, str)]
        recorder = self._recorder(key)
        if not errors and outcomes:
            raise outcomes[0]  # only conflicts: a silent, rate-limited requeue
        if errors:
            message = "; ".join(errors)
            recorder.event(binding, WARNING, C.EVENT_SYNC_WORK_FAILED, message)
            recorder.event(template, WARNING, C.EVENT_SYNC_WORK_FAILED, message)
            raise SyncWorkFailed(message)
        if changed or written:
            message = M.sync_work_succeed(*key)
            recorder.event(binding, NORMAL, C.EVENT_SYNC_WORK_SUCCEED, message)
            recorder.event(template, NORMAL, C.EVENT_SYNC_WORK_SUCCEED, message)
        log.debug("%s: works in sync on %d cluster(s)", _describe(key), len(targets))
        return None

    async def _delete_works(self, keys: Iterable[Key]) -> None:
        async def one(ns: str, name: str) -> None:
            async with self._writes:
                await self.writer.delete(ns, name)

        await asyncio.gather(*(one(ns, n) for ns, n in keys))

    def _recorder(self, key: Key) -> EventRecorder:
        return self.rb_events if key[0] else self.crb_events


def _describe(key: Key) -> str:
    return M.binding_label(*key)


def _may_select(selector: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    if selector.get("apiVersion") != ref.get("apiVersion") or selector.get("kind") != ref.get("kind"):
        return False
    if selector.get("namespace") and selector["namespace"] != (ref.get("namespace") or ""):
        return False
    return not selector.get("name") or selector["name"] == ref.get("name")
