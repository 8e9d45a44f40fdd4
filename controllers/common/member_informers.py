"""Informers on member clusters: one per (cluster, apiVersion, kind), over the objects Karmada
manages there (label ``karmada.io/managed=true``), shared by the execution and work status
controllers. Also a REST mapper per member for the manifests' kinds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pykarmada.controllers.common.members import MemberClients
from pykarmada.karmada.constants import MANAGED_BY_KARMADA_LABEL, MANAGED_BY_KARMADA_LABEL_VALUE
from pykarmada.kube.discovery import RESTMapper
from pykarmada.kube.informer import Informer, strip_managed_fields

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MemberHandler = Callable[[str, str, Obj, Obj | None], None]  # (cluster, event type, object, old)
SELECTOR = f"{MANAGED_BY_KARMADA_LABEL}={MANAGED_BY_KARMADA_LABEL_VALUE}"


class MemberInformers:
    def __init__(self, members: MemberClients) -> None:
        self.members = members
        self._informers: dict[tuple[str, str, str], Informer] = {}
        self._mappers: dict[str, RESTMapper] = {}
        self._handlers: list[MemberHandler] = []
        self._lock = asyncio.Lock()
        self.low_priority = False  # the dispatching informer's, during a handler call

    def add_handler(self, handler: MemberHandler) -> None:
        self._handlers.append(handler)

    async def mapper(self, cluster: Obj) -> RESTMapper:
        name = cluster["metadata"]["name"]
        client = await self.members.client_for(cluster)
        mapper = self._mappers.get(name)
        if mapper is None or mapper.client is not client:
            mapper = self._mappers[name] = RESTMapper(client)
        return mapper

    async def ensure(self, cluster: Obj, api_version: str, kind: str) -> Informer:
        """The informer for this kind in this member, started on first use. When the member's
        client changed (the cluster was joined again, its endpoint or credentials changed), the
        informers built on the old one, which is closed, are stopped and built again."""
        name = cluster["metadata"]["name"]
        key = (name, api_version, kind)
        async with self._lock:
            client = await self.members.client_for(cluster)
            stale = [k for k, i in self._informers.items() if k[0] == name and i.client is not client]
            for k in stale:
                await self._informers.pop(k).stop()
            if stale:
                log.info("member %s: new credentials or endpoint; %d informer(s) start again", name, len(stale))
            informer = self._informers.get(key)
            if informer is not None:
                return informer
            info = await (await self.mapper(cluster)).lookup(api_version, kind)
            informer = Informer(client, info.path(), name=f"{kind}@{name}", transform=strip_managed_fields, labelSelector=SELECTOR)

            def dispatch(event: str, obj: Obj, old: Obj | None, cluster_name: str = name, source: Informer = informer) -> None:
                self.low_priority = source.low_priority
                try:
                    for handler in self._handlers:
                        handler(cluster_name, event, obj, old)
                finally:
                    self.low_priority = False

            informer.add_handler(dispatch)
            informer.start()
            self._informers[key] = informer
            return informer

    def get(self, cluster: str, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        informer = self._informers.get((cluster, api_version, kind))
        return informer.get(namespace, name) if informer is not None else None

    def synced(self, cluster: str, api_version: str, kind: str) -> bool:
        informer = self._informers.get((cluster, api_version, kind))
        return informer is not None and informer.has_synced()

    async def forget_cluster(self, cluster: str) -> None:
        for key in [k for k in self._informers if k[0] == cluster]:
            await self._informers.pop(key).stop()
        self._mappers.pop(cluster, None)

    async def stop(self) -> None:
        for informer in self._informers.values():
            await informer.stop()
        self._informers.clear()
