"""The agent's member access: the one client of its own member (in-cluster or ``--kubeconfig``),
handed to the reused reconcilers in place of the controller process's MemberClients, which build
clients from the reported Secrets. The agent never uses those Secrets (surfaces.md 5.3)."""

from __future__ import annotations

from typing import Any

from pykarmada.controllers.common.members import CredentialsError
from pykarmada.kube.client import KubeClient


class AgentMemberClients:
    """MemberClients' interface (``client_for``, ``forget``, ``close``) over one client."""

    def __init__(self, cluster_name: str, client: KubeClient) -> None:
        self.cluster_name, self.client = cluster_name, client

    async def client_for(self, cluster: dict[str, Any]) -> KubeClient:
        name = cluster["metadata"]["name"]
        if name != self.cluster_name:
            raise CredentialsError(f"cluster {name} is not this agent's cluster ({self.cluster_name})")
        return self.client

    async def forget(self, name: str) -> None:
        """Nothing to drop: the one client lives as long as the agent."""

    async def close(self) -> None:
        await self.client.close()
