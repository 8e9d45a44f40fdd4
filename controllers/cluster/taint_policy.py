"""The ClusterTaintPolicy controller (upstream's ``clustertaintpolicy``, gate Failover): a Cluster's
taints follow its status conditions as the policies say (``karmada.taint_policy``). Clusters are
looked at when their conditions change and when a policy that targets them is created or its spec
changes; deleting a policy leaves its taints in place, as upstream."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.taint_policy import cluster_taints, targets
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import now_rfc3339
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class ClusterTaintPolicyController:
    name = C.CONTROLLER_CLUSTER_TAINT_POLICY

    def __init__(self, client: KubeClient, clusters: Informer, policies: Informer) -> None:
        self.client, self.clusters, self.policies = client, clusters, policies
        self.recorder = EventRecorder(client, C.COMPONENT_CLUSTER_TAINT_POLICY_CONTROLLER)

    def on_cluster(self, enqueue: Callable[[tuple[str, str]], None]) -> Handler:
        def handler(event: str, cluster: Obj, old: Obj | None) -> None:
            if event == "ADDED" or (event == "MODIFIED" and old is not None and _conditions(old) != _conditions(cluster)):
                enqueue(object_key(cluster))

        return handler

    def on_policy(self, enqueue: Callable[[tuple[str, str]], None]) -> Handler:
        def handler(event: str, policy: Obj, old: Obj | None) -> None:
            if event == "DELETED" or (event == "MODIFIED" and old is not None and old.get("spec") == policy.get("spec")):
                return
            for cluster in self.clusters.list():
                if targets(policy, cluster):
                    enqueue(object_key(cluster))

        return handler

    async def reconcile(self, key: tuple[str, str]) -> None:
        cluster = self.clusters.get("", key[1])
        if cluster is None:
            return
        name = cluster["metadata"]["name"]
        current = (cluster.get("spec") or {}).get("taints") or []
        taints = cluster_taints(cluster, self.policies.list(), now_rfc3339())
        if taints == current:
            return
        updated = copy.deepcopy(cluster)
        updated.setdefault("spec", {})["taints"] = taints
        try:
            await self.client.replace(f"{C.CLUSTERS_PATH}/{name}", updated)
        except ApiError as e:
            if not e.conflict:
                self.recorder.event(cluster, WARNING, C.EVENT_TAINT_CLUSTER_FAILED, str(e))
            raise
        log.info("cluster %s: taints now %s", name, taints)
        self.recorder.event(updated, NORMAL, C.EVENT_TAINT_CLUSTER_SUCCEED, M.taint_policy_succeed(name, taints))


def _conditions(cluster: Obj) -> Any:
    return (cluster.get("status") or {}).get("conditions")
