"""A watch-backed cache of the store's objects, so hot paths (the proxy) read memory, not etcd.
It lists, then follows the watch; after an expired revision it lists again. Until it has synced,
readers fall back to the store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pykarmada.aggregator.storage import Store
from pykarmada.kube.status import StatusError

log = logging.getLogger(__name__)


class ObjectCache:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.items: dict[str, dict[str, Any]] = {}
        self.synced = asyncio.Event()

    async def get(self, name: str) -> dict[str, Any]:
        """The object, from memory once synced; a name not cached yet is read from the store
        (it may have been created a moment ago)."""
        cached = self.items.get(name) if self.synced.is_set() else None
        return cached if cached is not None else await self.store.get(name)

    async def run(self) -> None:
        while True:
            try:
                listing = await self.store.list()
                self.items = {o["metadata"]["name"]: o for o in listing.items}
                self.synced.set()
                async for kind, obj in self.store.watch(listing.resource_version):
                    name = obj["metadata"]["name"]
                    if kind == "DELETED":
                        self.items.pop(name, None)
                    else:
                        self.items[name] = obj
            except asyncio.CancelledError:
                raise
            except StatusError as e:
                if e.code != 410:
                    log.warning("cluster cache: %s; listing again", e)
                    await asyncio.sleep(1)
            except Exception as e:  # noqa: BLE001 - keep the cache alive; readers fall back meanwhile
                self.synced.clear()
                log.warning("cluster cache: %s; listing again", e)
                await asyncio.sleep(1)
