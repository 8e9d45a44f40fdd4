"""The namespace sync controller (behaviour.md 7): every Namespace of the control plane, except
reserved, skipped and ``default`` ones and those labelled
``namespace.karmada.io/skip-auto-propagation=true``, goes to every cluster as a Work (owner: the
Namespace, so deleting it removes the Works), with ClusterOverridePolicies applied.

Keys are ``("", namespace)``. Triggers: namespace events, a new Cluster (all namespaces), and
ClusterOverridePolicy changes that select ``v1/Namespace`` (the named ones, or all).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pykarmada.controllers.common.templates import typed
from pykarmada.controllers.common.work_writer import WorkBeingDeleted, WorkWriter
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.overrides import OverrideError
from pykarmada.karmada.propagation import compile_namespace_patterns, is_reserved_namespace
from pykarmada.karmada.works import build_namespace_work
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Handler, Informer

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]
NAMESPACES_PATH = "/api/v1/namespaces"
WRITE_CONCURRENCY = 16


class NamespaceSyncFailed(RetryableError):
    pass


def should_sync(namespace: Mapping[str, Any], skipped: Sequence[re.Pattern[str]]) -> bool:
    """Pure: is this Namespace propagated to the members?"""
    meta = namespace.get("metadata") or {}
    name = meta.get("name") or ""
    if is_reserved_namespace(name) or name == "default" or any(p.match(name) for p in skipped):
        return False
    if meta.get("deletionTimestamp"):
        return False
    return ((meta.get("labels") or {}).get(C.NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL) or "").lower() != "true"


def namespaces_selected_by(policy: Mapping[str, Any]) -> set[str] | None:
    """Namespaces a ClusterOverridePolicy may change: named ones, None for all, empty for none."""
    names: set[str] = set()
    for selector in (policy.get("spec") or {}).get("resourceSelectors") or ():
        if selector.get("apiVersion") != "v1" or selector.get("kind") != "Namespace":
            continue
        if not selector.get("name"):
            return None
        names.add(selector["name"])
    return names


class NamespaceSyncController:
    name = C.CONTROLLER_NAMESPACE

    def __init__(
        self,
        client: KubeClient,
        namespaces: Informer,
        clusters: Informer,
        works: Informer,
        cluster_override_policies: Informer,
        *,
        skipped_namespaces: Sequence[str] = C.DEFAULT_SKIPPED_PROPAGATING_NAMESPACES,
    ) -> None:
        self.namespaces, self.clusters, self.cops = namespaces, clusters, cluster_override_policies
        self.writer = WorkWriter(client, works)
        self.override_events = EventRecorder(client, C.COMPONENT_OVERRIDE_MANAGER)
        self.skipped = compile_namespace_patterns(skipped_namespaces)
        self._writes = asyncio.Semaphore(WRITE_CONCURRENCY)

    # ---- handlers -----------------------------------------------------------------------------

    def _all(self, enqueue: Any) -> None:
        for ns in self.namespaces.list():
            enqueue(("", ns["metadata"]["name"]))

    def on_namespace(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(event: str, obj: Obj, _old: Obj | None) -> None:
            if event != "DELETED":  # the Works go with the Namespace (owner reference)
                enqueue(("", (obj.get("metadata") or {}).get("name") or ""))

        return handler

    def on_cluster(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(event: str, _obj: Obj, _old: Obj | None) -> None:
            if event == "ADDED":
                self._all(enqueue)

        return handler

    def on_cluster_override_policy(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(_event: str, policy: Obj, old: Obj | None) -> None:
            for version in (policy, old) if old is not None else (policy,):
                names = namespaces_selected_by(version)
                if names is None:
                    self._all(enqueue)
                    return
                for name in names:
                    enqueue(("", name))

        return handler

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> Result | None:
        cached = self.namespaces.get("", key[1])
        if cached is None or not should_sync(cached, self.skipped):
            return None
        namespace = typed(cached, "v1", "Namespace")
        cops = self.cops.list()

        async def one(cluster: Mapping[str, Any]) -> str | None:
            cluster_name = (cluster.get("metadata") or {}).get("name") or ""
            try:
                desired = build_namespace_work(namespace, cluster, cluster_override_policies=cops)
                async with self._writes:
                    wrote = await self.writer.ensure(desired)
                for message in M.applied_overrides(desired, cluster_name) if wrote else ():
                    self.override_events.event(namespace, NORMAL, C.EVENT_APPLY_OVERRIDE_POLICY_SUCCEED, message)
            except OverrideError as e:
                if e.policy_name:
                    self.override_events.event(namespace, WARNING, C.EVENT_APPLY_OVERRIDE_POLICY_FAILED, M.apply_override("", e.policy_name, cluster_name, failed=True))
                return f"sync namespace({key[1]}) to cluster({cluster_name}) failed due to: {e}"
            except (ApiError, WorkBeingDeleted) as e:
                return f"sync namespace({key[1]}) to cluster({cluster_name}) failed due to: {e}"
            return None

        clusters = [c for c in self.clusters.list() if not (c.get("metadata") or {}).get("deletionTimestamp")]
        errors = [e for e in await asyncio.gather(*(one(c) for c in clusters)) if e]
        if errors:
            raise NamespaceSyncFailed("; ".join(errors))
        return None
