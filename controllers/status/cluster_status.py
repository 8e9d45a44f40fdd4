"""The cluster status controller (Push clusters in the controller process, its own Pull cluster in
the agent): every ``period`` seconds probe each member's ``/readyz`` (``/healthz`` when readyz is
absent; a probe that times out makes Ready Unknown, as a silent Pull cluster does, where upstream
says not reachable), keep the Ready condition with a success/failure
threshold so one failed probe does not flap, and collect version, API enablements, node and
resource summaries. Status is written through the status subresource, only when it changed."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from pykarmada.controllers.status.cluster_summary import api_enablements, discovered_resources, node_summary, resource_summary
from pykarmada.controllers.status.member_capacity import MemberCapacity
from pykarmada.controllers.common.members import CredentialsError, MemberClients
from pykarmada.karmada import constants as c
from pykarmada.karmada import metrics
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import set_condition
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 5.0
AGGREGATED_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@dataclass
class _Observed:
    status: str
    reason: str
    message: str
    since: float = field(default_factory=time.monotonic)


class ClusterStatusController:
    name = "clusterStatus"

    def __init__(
        self,
        control_plane: KubeClient,
        clusters: Informer,
        members: MemberClients,
        *,
        period: float = 10.0,
        success_threshold: float = 30.0,
        failure_threshold: float = 30.0,
        sync_mode: str = "Push",
        on_ready: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.control_plane, self.clusters, self.members = control_plane, clusters, members
        self.sync_mode = sync_mode  # the clusters this process reaches (the agent: Pull)
        self.on_ready = on_ready  # called when a cluster is seen healthy and Ready (the agent's lease)
        self.period, self.success_threshold, self.failure_threshold = period, success_threshold, failure_threshold
        self._observed: dict[str, _Observed] = {}
        self.capacity = MemberCapacity()

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        name = key[1]
        cluster = self.clusters.get("", name)
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            self._observed.pop(name, None)
            metrics.forget_cluster(name)
            await self.capacity.forget(name)
            await self.members.forget(name)
            return None
        if (cluster.get("spec") or {}).get("syncMode") != self.sync_mode:
            return None  # Pull clusters report their own status through the agent
        started = time.perf_counter()
        status = copy.deepcopy(cluster.get("status") or {})
        try:
            client = await self.members.client_for(cluster)
        except CredentialsError as e:
            status["conditions"] = set_condition(status.get("conditions") or [], c.CLUSTER_CONDITION_READY, "False", c.CLUSTER_REASON_STATUS_COLLECTION_FAILED, str(e))
            await self._write(cluster, status)
            self._record(name, status, started)
            return Result(requeue_after=self.period)
        observed = await self._probe(client)
        ready = self._thresholded(name, cluster, observed)
        status["conditions"] = set_condition(status.get("conditions") or [], c.CLUSTER_CONDITION_READY, *ready)
        if ready[0] == "True" and observed.status == "True":
            if self.on_ready is not None:
                self.on_ready(cluster)
            await self._collect(name, client, cluster, status)
        await self._write(cluster, status)
        self._record(name, status, started)
        return Result(requeue_after=self.period)

    @staticmethod
    def _record(name: str, status: dict[str, Any], started: float) -> None:
        metrics.record_cluster_status(name, status)
        metrics.observe_cluster_sync(name, time.perf_counter() - started)

    async def _probe(self, client: KubeClient) -> _Observed:
        try:
            for path in ("/readyz", "/healthz"):
                try:
                    body = await client.request("GET", path, timeout=PROBE_TIMEOUT)
                except ApiError as e:
                    if e.status == 404 and path == "/readyz":
                        continue
                    return _Observed("False", c.CLUSTER_REASON_NOT_READY, c.CLUSTER_MSG_NOT_READY)
                if str(body).strip() == "ok":
                    return _Observed("True", c.CLUSTER_REASON_READY, c.CLUSTER_MSG_READY)
                return _Observed("False", c.CLUSTER_REASON_NOT_READY, c.CLUSTER_MSG_NOT_READY)
        except asyncio.TimeoutError:  # aiohttp's timeouts included: no answer says nothing either way
            return _Observed("Unknown", c.CLUSTER_REASON_STATUS_UNKNOWN, f"cluster did not answer its health probe within {PROBE_TIMEOUT:g}s")
        except (aiohttp.ClientError, OSError):
            pass
        return _Observed("False", c.CLUSTER_REASON_NOT_REACHABLE, c.CLUSTER_MSG_NOT_REACHABLE)

    def _thresholded(self, name: str, cluster: dict[str, Any], observed: _Observed) -> tuple[str, str, str]:
        """What to publish, as upstream's condition cache: the first observation after this process
        started as it is (the condition in etcd may be left from before); then a change between True
        and not True only once it has been observed for the threshold, so one probe does not flap."""
        published = (observed.status, observed.reason, observed.message)
        previous = self._observed.get(name)
        if previous is None:
            self._observed[name] = replace(observed, since=float("-inf"))
            return published
        current = next((x for x in (cluster.get("status") or {}).get("conditions") or [] if x.get("type") == c.CLUSTER_CONDITION_READY), None)
        if current is None:
            return published
        if previous.status != observed.status:
            self._observed[name] = previous = observed
        threshold = self.success_threshold if observed.status == "True" else self.failure_threshold
        flips = (observed.status == "True") != (current.get("status") == "True")
        if flips and time.monotonic() - previous.since < threshold:
            return current["status"], current.get("reason", ""), current.get("message", "")
        return published

    async def _collect(self, name: str, client: KubeClient, cluster: dict[str, Any], status: dict[str, Any]) -> None:
        version, discovered = await asyncio.gather(client.get("/version"), self._discover(client))
        status["kubernetesVersion"] = version.get("gitVersion", "")
        gv_resources, partial = discovered
        status["apiEnablements"] = api_enablements(gv_resources)
        state, reason = ("True", "Complete") if not partial else (("False", "Partial") if gv_resources else ("False", "Empty"))
        status["conditions"] = set_condition(status["conditions"], c.CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS, state, reason, "")
        listed = await self.capacity.nodes_and_pods(name, client)
        if listed is None:
            return  # the summaries stay as they were until the member's nodes and pods are listed
        nodes, pods = listed
        status["nodeSummary"] = node_summary(nodes)
        status["resourceSummary"] = resource_summary(nodes, pods, (cluster.get("spec") or {}).get("resourceModels"))

    async def _discover(self, client: KubeClient) -> tuple[dict[str, list[dict[str, Any]]], bool]:
        """groupVersion -> resources, and whether some group could not be read. Aggregated
        discovery (two requests) where the member serves it, else a request per group version."""
        core, groups = await asyncio.gather(*(client.request("GET", p, headers={"Accept": AGGREGATED_DISCOVERY}) for p in ("/api", "/apis")))
        if all(isinstance(d, dict) and d.get("kind") == "APIGroupDiscoveryList" for d in (core, groups)):
            return discovered_resources([core, groups])
        found: dict[str, list[dict[str, Any]]] = {}
        partial = False
        paths = ["/api/v1"] + [f"/apis/{v['groupVersion']}" for g in (groups.get("groups") or []) for v in g.get("versions") or []]

        async def one(path: str) -> None:
            nonlocal partial
            try:
                doc = await client.get(path)
                found[doc.get("groupVersion") or "v1"] = doc.get("resources") or []
            except (ApiError, aiohttp.ClientError, asyncio.TimeoutError):
                partial = True

        await asyncio.gather(*(one(p) for p in paths))
        return found, partial

    async def _write(self, cluster: dict[str, Any], status: dict[str, Any]) -> None:
        if status == (cluster.get("status") or {}):
            return
        updated = copy.deepcopy(cluster)
        updated["status"] = status
        name = cluster["metadata"]["name"]
        await self.control_plane.replace(f"{c.CLUSTERS_PATH}/{name}/status", updated)
