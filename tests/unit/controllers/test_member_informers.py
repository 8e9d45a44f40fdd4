"""Member informers follow the member's client: a cluster joined again gets new informers."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from pykarmada.controllers.common.member_informers import MemberInformers


class _Members:
    """MemberClients' contract: the same client while the cluster's credentials stay the same."""

    def __init__(self) -> None:
        self.current: Any = object()

    async def client_for(self, cluster: dict[str, Any]) -> Any:
        return self.current


class _Mapper:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def lookup(self, api_version: str, kind: str) -> Any:
        return SimpleNamespace(path=lambda: "/apis/apps/v1/deployments")


def test_informers_built_on_an_old_client_start_again() -> None:
    async def run() -> None:
        members = _Members()
        informers = MemberInformers(members)  # type: ignore[arg-type]
        cluster = {"metadata": {"name": "m1"}}
        informers._mappers["m1"] = _Mapper(members.current)  # type: ignore[assignment]
        first = await informers.ensure(cluster, "apps/v1", "Deployment")
        assert await informers.ensure(cluster, "apps/v1", "Deployment") is first, "same client: same informer"
        members.current = object()  # joined again: new token, new client (the old one is closed)
        informers._mappers["m1"] = _Mapper(members.current)  # type: ignore[assignment]
        second = await informers.ensure(cluster, "apps/v1", "Deployment")
        assert second is not first and second.client is members.current
        assert first._task is not None and first._task.done(), "the old informer is stopped"
        await informers.stop()

    asyncio.run(run())
