"""Each member's nodes and non-terminal pods, as the cluster status controller's summaries need
them: one informer each per member (upstream's cluster status controller reads node and pod
listers too), holding slim copies (``slim_node``, ``slim_pod``).

Before, every status period listed all nodes and pods of every member and decoded them whole:
with a few hundred pods per member that was a tenth of the controller process's CPU during a
propagation burst. A watch costs one small event per change instead, and a slim pod holds a few
hundred bytes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pykarmada.controllers.status.cluster_summary import slim_node, slim_pod
from pykarmada.kube.client import KubeClient
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)

Obj = dict[str, Any]
NON_TERMINAL = "status.phase!=Succeeded,status.phase!=Failed"


class MemberCapacity:
    def __init__(self, sync_timeout: float = 5.0) -> None:
        self.sync_timeout = sync_timeout
        self._informers: dict[str, tuple[KubeClient, Informer, Informer]] = {}

    async def nodes_and_pods(self, cluster: str, client: KubeClient) -> tuple[list[Obj], list[Obj]] | None:
        """The member's nodes and pods, once both informers have listed (started on first use,
        and again when the member's client changed); None when they could not list in time."""
        entry = self._informers.get(cluster)
        if entry is not None and entry[0] is not client:
            await self.forget(cluster)
            entry = None
        if entry is None:
            nodes = Informer(client, "/api/v1/nodes", name=f"nodes@{cluster}", transform=slim_node)
            pods = Informer(client, "/api/v1/pods", name=f"pods@{cluster}", transform=slim_pod, fieldSelector=NON_TERMINAL)
            entry = self._informers[cluster] = (client, nodes, pods)
            nodes.start()
            pods.start()
        _, nodes, pods = entry
        if not (nodes.has_synced() and pods.has_synced()):
            try:
                await asyncio.wait_for(asyncio.gather(nodes.wait_synced(), pods.wait_synced()), self.sync_timeout)
            except asyncio.TimeoutError:
                log.info("member %s: nodes and pods not listed within %gs; summaries wait for them", cluster, self.sync_timeout)
                return None
        return nodes.list(), pods.list()

    async def forget(self, cluster: str) -> None:
        entry = self._informers.pop(cluster, None)
        if entry is not None:
            await asyncio.gather(entry[1].stop(), entry[2].stop())

    async def stop(self) -> None:
        for cluster in list(self._informers):
            await self.forget(cluster)
