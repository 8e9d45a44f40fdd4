"""The cluster controller: for each Cluster, a finalizer and its execution namespace
``karmada-es-<cluster>``, and NoSchedule taints that follow the Ready condition. On deletion it
removes the execution namespace (and with it the Works) before releasing the Cluster."""

from __future__ import annotations

import copy
import logging
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.names import execution_namespace
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import now_rfc3339
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
DELETION_POLL = 2.0


def desired_taints(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """spec.taints with the readiness taints the Ready condition calls for (behaviour.md 6.1)."""
    taints = [dict(t) for t in (cluster.get("spec") or {}).get("taints") or []]
    ready = next((x for x in (cluster.get("status") or {}).get("conditions") or [] if x.get("type") == c.CLUSTER_CONDITION_READY), None)
    state = ready.get("status") if ready else None
    want = {None: {c.TAINT_CLUSTER_NOT_READY}, "False": {c.TAINT_CLUSTER_NOT_READY}, "Unknown": {c.TAINT_CLUSTER_UNREACHABLE}, "True": set()}[state]
    managed = {c.TAINT_CLUSTER_NOT_READY, c.TAINT_CLUSTER_UNREACHABLE}
    kept = [t for t in taints if not (t.get("key") in managed and t.get("effect") == "NoSchedule" and t["key"] not in want)]
    present = {t.get("key") for t in kept if t.get("effect") == "NoSchedule"}
    for key in sorted(want - present):
        kept.append({"key": key, "effect": "NoSchedule", "timeAdded": now_rfc3339()})
    return kept


def _ready(cluster: dict[str, Any]) -> bool:
    return any(x.get("type") == c.CLUSTER_CONDITION_READY and x.get("status") == "True" for x in (cluster.get("status") or {}).get("conditions") or [])


class ClusterController:
    name = "cluster"

    def __init__(self, control_plane: KubeClient, clusters: Informer, namespaces: Informer) -> None:
        self.control_plane, self.clusters, self.namespaces = control_plane, clusters, namespaces
        self.recorder = EventRecorder(control_plane, c.COMPONENT_CLUSTER_CONTROLLER)

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        cluster = self.clusters.get("", key[1])
        if cluster is None:
            return None
        if cluster["metadata"].get("deletionTimestamp"):
            return await self._delete(cluster)
        name = cluster["metadata"]["name"]
        try:
            await self._ensure_namespace(cluster, execution_namespace(name))
        except Exception as e:
            self.recorder.event(cluster, WARNING, c.EVENT_CREATE_EXECUTION_SPACE_FAILED, str(e))
            raise
        updated = copy.deepcopy(cluster)
        finalizers = updated["metadata"].setdefault("finalizers", [])
        if c.CLUSTER_CONTROLLER_FINALIZER not in finalizers:
            finalizers.append(c.CLUSTER_CONTROLLER_FINALIZER)
        updated.setdefault("spec", {})["taints"] = desired_taints(cluster)
        if not updated["spec"]["taints"]:
            updated["spec"].pop("taints")
        if updated == cluster:
            return None
        taints = updated["spec"].get("taints") or []
        taints_changed = taints != ((cluster.get("spec") or {}).get("taints") or [])
        try:
            await self.control_plane.replace(f"{c.CLUSTERS_PATH}/{name}", updated)
        except ApiError as e:
            if taints_changed and not e.conflict:
                self.recorder.event(cluster, WARNING, c.EVENT_TAINT_CLUSTER_FAILED, str(e))
            raise
        if taints_changed:
            self.recorder.event(cluster, NORMAL, c.EVENT_TAINT_CLUSTER_SUCCEED, M.taint_cluster_succeed(taints))
        return None

    async def _ensure_namespace(self, cluster: dict[str, Any], namespace: str) -> None:
        if self.namespaces.has_synced() and self.namespaces.get("", namespace) is not None:
            return  # every status update reconciles the cluster: no create that can only conflict
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}}}
        try:
            await self.control_plane.create("/api/v1/namespaces", body)
        except ApiError as e:
            if not e.already_exists:
                raise
            return
        self.recorder.event(cluster, NORMAL, c.EVENT_CREATE_EXECUTION_SPACE_SUCCEED, M.created_execution_space(namespace, cluster["metadata"]["name"]))

    async def _delete(self, cluster: dict[str, Any]) -> Result | None:
        name = cluster["metadata"]["name"]
        ns_path = f"/api/v1/namespaces/{execution_namespace(name)}"
        if (cluster.get("spec") or {}).get("syncMode") == "Pull" and not _ready(cluster):
            await self._release_works(execution_namespace(name))
        try:
            await self.control_plane.delete(ns_path)
        except ApiError as e:
            if not e.not_found:
                self.recorder.event(cluster, WARNING, c.EVENT_REMOVE_EXECUTION_SPACE_FAILED, str(e))
                raise
        else:
            self.recorder.event(cluster, NORMAL, c.EVENT_REMOVE_EXECUTION_SPACE_SUCCEED, M.removed_execution_space(name))
            return Result(requeue_after=DELETION_POLL)
        if c.CLUSTER_CONTROLLER_FINALIZER in (cluster["metadata"].get("finalizers") or []):
            updated = copy.deepcopy(cluster)
            updated["metadata"]["finalizers"] = [f for f in updated["metadata"]["finalizers"] if f != c.CLUSTER_CONTROLLER_FINALIZER]
            await self.control_plane.replace(f"{c.CLUSTERS_PATH}/{name}", updated)
        return None

    async def _release_works(self, namespace: str) -> None:
        """A Pull cluster that is not Ready has no agent to release its Works: strip their
        execution finalizer so the execution namespace can go (behaviour.md 6.1)."""
        path = f"/apis/work.karmada.io/v1alpha1/namespaces/{namespace}/works"
        for work in (await self.control_plane.list(path))["items"]:
            finalizers = work["metadata"].get("finalizers") or []
            if c.EXECUTION_CONTROLLER_FINALIZER in finalizers:
                work["metadata"]["finalizers"] = [f for f in finalizers if f != c.EXECUTION_CONTROLLER_FINALIZER]
                await self.control_plane.replace(f"{path}/{work['metadata']['name']}", work)
