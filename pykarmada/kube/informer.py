"""A shared informer: one list-and-watch of a resource kept in a local store, with handlers.

Contract: handlers run on the event loop, in event order, and must be cheap and synchronous
(compute keys, enqueue; no I/O). ``has_synced`` becomes true once the initial list is in the
store. Objects in the store are shared and read-only: copy before changing one. After a relist
(expired resourceVersion) objects that disappeared get a delete notification, so the store
converges to the server's state.

``in_initial_list`` is client-go's ``isInInitialList`` without a new Handler signature: it is
true exactly while the informer delivers an ADDED event for an object it found by listing (the
first list, a relist after 410, or the replay to a handler added late), false for watch events.
A handler that cares reads it from the informer it is registered on, during the call; the
others need no change. ``low_priority`` is true for those events and for events about objects
that low-priority work of this process wrote last (``pykarmada.kube.lineage``). Controllers queue
such keys at low priority, so a live edit after a restart is not queued behind the whole backlog
at any stage (controller-runtime's priority queue).

Indexes (client-go's ``Indexer``): ``add_index(name, fn)`` keeps, for every value ``fn`` returns
for a stored object, the keys of the objects that returned it; ``by_index(name, value)`` answers
from that. They change together with the store, before any handler sees the event, so a handler
or a reconcile never reads an index that disagrees with the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import aiohttp

from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.lineage import LINEAGE
from pykarmada.kube.watch import watch_events

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Handler = Callable[[str, Obj, Obj | None], None]  # (event type, object, old object)
Transform = Callable[[Obj], Obj]
IndexFunc = Callable[[Obj], Iterable[Hashable]]  # the index values of one object; pure
Key = tuple[str, str]
LIST_PAGE_SIZE = 500  # client-go's pager default


def object_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "", meta.get("name") or ""


def strip_managed_fields(obj: Obj) -> Obj:
    """A transform (client-go's ``TransformStripManagedFields``, which upstream Karmada sets on its
    caches): ``metadata.managedFields`` is often the largest part of an object's metadata, and
    nothing in a controller reads it. The object is the informer's own freshly decoded copy."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


def _typed_items(listing: Obj) -> list[Obj]:
    """A list's items with ``apiVersion`` and ``kind`` set, as watch events carry them: the API
    server leaves them out of list items, and code that reads an object's kind (status and health
    interpretation, pruning) must see the same object whether it came from a list or a watch."""
    items = listing.get("items") or []
    api_version, list_kind = listing.get("apiVersion"), listing.get("kind") or ""
    if api_version and list_kind.endswith("List"):
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", list_kind[: -len("List")])
    return items


class Informer:
    def __init__(self, client: KubeClient, path: str, *, name: str = "", transform: Transform | None = None, **params: Any) -> None:
        """``transform`` (client-go's ``SetTransform``) replaces each listed or watched object
        before it is stored or handed to handlers: a cache that needs a few fields keeps only
        those. It must keep ``metadata.name``, ``namespace`` and ``resourceVersion``. Such an
        informer lists in pages of ``LIST_PAGE_SIZE``, so that only one page of whole objects
        is held at a time."""
        self.client = client
        self.transform = transform
        self.path = path
        self.params = params
        self.name = name or path
        self.store: dict[Key, Obj] = {}
        self._index_funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[Hashable, set[Key]]] = {}
        self._handlers: list[Handler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.in_initial_list = False
        self.low_priority = False  # see pykarmada.kube.lineage

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)
        self.in_initial_list = self.low_priority = True
        try:
            for obj in list(self.store.values()):
                handler("ADDED", obj, None)
        finally:
            self.in_initial_list = self.low_priority = False

    def add_index(self, name: str, fn: IndexFunc) -> None:
        """Index the store by ``fn`` from now on (objects already stored included). Controllers
        sharing an informer may add the same index; one name with two functions is a bug."""
        known = self._index_funcs.get(name)
        if known is not None:
            if known is not fn:
                raise ValueError(f"informer {self.name}: index {name!r} is already defined by another function")
            return
        self._index_funcs[name], self._indices[name] = fn, {}
        for key, obj in self.store.items():
            self._index_one(name, key, obj)

    def index_keys(self, name: str, value: Hashable) -> list[Key]:
        """Keys of the stored objects indexed under ``value``, sorted (a stable order to act in)."""
        return sorted(self._indices[name].get(value, ()))

    def by_index(self, name: str, value: Hashable) -> list[Obj]:
        return [self.store[key] for key in self.index_keys(name, value)]

    def _index_one(self, name: str, key: Key, obj: Obj) -> None:
        index = self._indices[name]
        for value in self._index_funcs[name](obj):
            index.setdefault(value, set()).add(key)

    def _unindex(self, key: Key, obj: Obj) -> None:
        for name, fn in self._index_funcs.items():
            index = self._indices[name]
            for value in fn(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]

    def _put(self, key: Key, obj: Obj) -> Obj | None:
        """Store ``obj``, keeping the indexes; the object it replaced."""
        old = self.store.get(key)
        if old is not None:
            self._unindex(key, old)
        self.store[key] = obj
        for name in self._index_funcs:
            self._index_one(name, key, obj)
        return old

    def _pop(self, key: Key) -> Obj | None:
        old = self.store.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.store.get((namespace, name))

    def list(self) -> list[Obj]:
        return list(self.store.values())

    def start(self) -> asyncio.Task[None]:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"informer {self.name}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _notify(self, kind: str, obj: Obj, old: Obj | None) -> None:
        self.low_priority = self.in_initial_list or LINEAGE.is_low(obj)
        try:
            for handler in self._handlers:
                try:
                    handler(kind, obj, old)
                except Exception:  # noqa: BLE001 - one bad handler must not stop the informer
                    log.exception("informer %s: handler failed", self.name)
        finally:
            self.low_priority = False

    def _replace(self, items: list[Obj]) -> None:
        """Make the store equal to a fresh list, notifying what changed or disappeared."""
        fresh = {object_key(o): o for o in items}
        for key in [k for k in self.store if k not in fresh]:
            old = self._pop(key)
            self._notify("DELETED", old, old)
        for key, obj in fresh.items():
            old = self._put(key, obj)
            if old is None:
                self.in_initial_list = True  # (_notify contains handler failures)
                self._notify("ADDED", obj, None)
                self.in_initial_list = False
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._notify("MODIFIED", obj, old)

    async def _list(self) -> tuple[list[Obj], str]:
        """Every item (typed, transformed) and the list's resourceVersion."""
        if self.transform is None:
            listing = await self.client.list(self.path, **self.params)
            return _typed_items(listing), listing["metadata"]["resourceVersion"]
        items: list[Obj] = []
        async for page in self.client.list_pages(self.path, limit=LIST_PAGE_SIZE, **self.params):
            items.extend(map(self.transform, _typed_items(page)))
            resource_version = page["metadata"]["resourceVersion"]
        return items, resource_version

    async def _run(self) -> None:
        resource_version: str | None = None
        failures = 0
        while True:
            try:
                if resource_version is None:
                    items, resource_version = await self._list()
                    self._replace(items)
                    self._synced.set()
                    failures = 0
                async for event in watch_events(self.client, self.path, resource_version=resource_version, **self.params):
                    resource_version = event.object.get("metadata", {}).get("resourceVersion") or resource_version
                    if event.type == "BOOKMARK":
                        continue
                    obj = event.object if self.transform is None else self.transform(event.object)
                    key = object_key(obj)
                    if event.type == "DELETED":
                        self._pop(key)
                        self._notify("DELETED", obj, obj)
                        continue
                    old = self._put(key, obj)
                    self._notify("MODIFIED" if old is not None else "ADDED", obj, old)
            except asyncio.CancelledError:
                raise
            except ApiError as e:
                if e.gone:
                    resource_version = None  # compacted: list again
                    continue
                # A kind that went away (404), or no permission: back off, and say it once in a while.
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning("informer %s: %s; retrying (attempt %d)", self.name, e, failures)
                await asyncio.sleep(min(2.0 * 2 ** min(failures - 1, 5), 60.0))
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
                log.info("informer %s: watch interrupted (%s); resuming", self.name, e)
                await asyncio.sleep(1)
            except Exception:  # noqa: BLE001 - an informer that dies silently leaves its cache stale
                failures += 1
                log.exception("informer %s: unexpected failure; retrying (attempt %d)", self.name, failures)
                await asyncio.sleep(min(2.0 * 2 ** min(failures - 1, 5), 60.0))
