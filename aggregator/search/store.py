"""The cache of one (cluster, resource): what a LIST through the proxy must return, and nothing more.

Memory choice (measured with tracemalloc on 1,000 kwok Pods of a Deployment: ~13 KB per Pod as
nested dicts, ~2.3 KB per Pod in this cache, of which 2.1 KB the bytes; bench/search.py measures
the process): each object is kept once, as the compact JSON bytes a response sends, with
``managedFields`` removed, the ``resource.karmada.io/cached-from-cluster`` annotation already in
place and the member's resourceVersion as it was. Beside the bytes we keep only the labels (one
dict shared by every object with the same labels, so the Pods of a ReplicaSet share one) for
label selectors. A LIST writes the bytes straight to the socket in chunks: no decoding, no copy of
the cache per request (a page is a list of references). GET and watch events decode the one object
they return, to set the multi-cluster resourceVersion.

Keys are ``namespace/name`` kept in sorted order (sorted lazily after adds and deletes), so paging
resumes after the last key returned. Watchers read a ring of recent events and then a queue; a
resourceVersion older than what the ring holds is 410 Expired.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from pykarmada.kube.labels import Requirement
from pykarmada.kube.status import StatusError

CACHE_SOURCE_ANNOTATION = "resource.karmada.io/cached-from-cluster"
EVENT_RING = 2048
WATCH_QUEUE_LIMIT = 10000
Labels = dict[str, str]
Entry = tuple[str, Labels, bytes, str]  # key, labels, encoded object, resourceVersion


def encode_object(obj: dict[str, Any], cluster: str) -> Entry:
    """(key, labels, compact bytes, resourceVersion) of a member object, annotated and without
    managedFields. The object is changed in place (it is the caller's freshly decoded copy)."""
    meta = obj.setdefault("metadata", {})
    meta.pop("managedFields", None)
    annotations = meta.get("annotations") or {}
    annotations[CACHE_SOURCE_ANNOTATION] = cluster
    meta["annotations"] = annotations
    key = f'{meta.get("namespace", "")}/{meta.get("name", "")}'
    # orjson returns its whole growing buffer (tens of KB for a 2.6 KB Pod, measured with
    # tracemalloc); a copy of the exact length is what stays in the cache.
    data = bytes(memoryview(orjson.dumps(obj)))
    return key, meta.get("labels") or {}, data, str(meta.get("resourceVersion", ""))


def _rv_int(rv: str, what: str = "resourceVersion") -> int:
    try:
        return int(rv)
    except ValueError:
        raise StatusError(400, f'invalid {what} "{rv}": not a resourceVersion of this server') from None


@dataclass(frozen=True)
class Filter:
    """What a request selects: namespace ("" = all), label requirements, and metadata.name /
    metadata.namespace from a field selector."""

    namespace: str = ""
    labels: tuple[Requirement, ...] = ()
    name: str | None = None
    field_namespace: str | None = None
    negated_name: str | None = None
    negated_namespace: str | None = None

    def labels_match(self, labels: Labels) -> bool:
        return all(r.matches(labels) for r in self.labels)

    def key_matches(self, key: str) -> bool:
        ns, _, name = key.partition("/")
        if self.namespace and ns != self.namespace:
            return False
        if self.name is not None and name != self.name:
            return False
        if self.field_namespace is not None and ns != self.field_namespace:
            return False
        if self.negated_name is not None and name == self.negated_name:
            return False
        return not (self.negated_namespace is not None and ns == self.negated_namespace)


@dataclass
class Event:
    rv: int
    type: str
    data: bytes


class Watcher:
    """One client watch: a queue fed by every cache it follows; ``closed`` ends it (the set of
    caches changed, or the client is too slow)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, Event] | None] = asyncio.Queue()

    def push(self, cluster: str, event: Event) -> None:
        if self.queue.qsize() > WATCH_QUEUE_LIMIT:
            self.close()
        else:
            self.queue.put_nowait((cluster, event))

    def close(self) -> None:
        self.queue.put_nowait(None)


class ResourceCache:
    def __init__(self, cluster: str, namespaces: frozenset[str] | None = None) -> None:
        self.cluster = cluster
        self.namespaces = namespaces  # None: every namespace
        self.items: dict[str, tuple[Labels, bytes]] = {}
        self.resource_version = ""
        self.list_kind = ""
        self.list_api_version = ""
        self.bytes = 0
        self.synced = asyncio.Event()
        self._sorted: list[str] | None = None
        self._labels: dict[tuple[tuple[str, str], ...], Labels] = {}
        self._ring: deque[Event] = deque(maxlen=EVENT_RING)
        self._oldest = 0  # the ring holds every event after this revision
        self._watchers: set[Watcher] = set()

    # ---- writes (the member reflector) ------------------------------------------------------
    def _wanted(self, key: str) -> bool:
        return self.namespaces is None or key.partition("/")[0] in self.namespaces or key.startswith("/")

    def _intern(self, labels: Labels) -> Labels:
        k = tuple(sorted(labels.items()))
        return self._labels.setdefault(k, labels)

    def _put(self, key: str, labels: Labels, data: bytes) -> bool:
        old = self.items.get(key)
        if old is None:
            self._sorted = None
        else:
            self.bytes -= len(old[1])
        self.items[key] = (self._intern(labels), data)
        self.bytes += len(data)
        return old is None

    def _remove(self, key: str) -> tuple[Labels, bytes] | None:
        old = self.items.pop(key, None)
        if old is not None:
            self.bytes -= len(old[1])
            self._sorted = None
        return old

    def encode_listed(self, obj: dict[str, Any], list_kind: str, list_api_version: str) -> Entry:
        """An item of a member list, encoded at once (a page of dicts is all that is decoded at a
        time). List items come without their type; GET and watch answers need it."""
        obj.setdefault("kind", list_kind[: -len("List")] if list_kind.endswith("List") else list_kind)
        obj.setdefault("apiVersion", list_api_version)
        return encode_object(obj, self.cluster)

    def replace(self, entries: list[Entry], resource_version: str, list_kind: str, list_api_version: str) -> None:
        """The result of a full list (from ``encode_listed``): watchers see the difference as events."""
        self.list_kind, self.list_api_version = list_kind, list_api_version
        rv = _rv_int(resource_version) if resource_version else 0
        seen = set()
        for key, labels, data, _ in entries:
            if not self._wanted(key):
                continue
            seen.add(key)
            old = self.items.get(key)
            if old is None or old[1] != data:
                self._put(key, labels, data)
                if self.synced.is_set():
                    self._publish(Event(rv, "ADDED" if old is None else "MODIFIED", data))
        for key in [k for k in self.items if k not in seen]:
            old = self._remove(key)
            if old is not None and self.synced.is_set():
                self._publish(Event(rv, "DELETED", old[1]))
        self.resource_version = resource_version
        if not self.synced.is_set():
            self._oldest = rv
        self.synced.set()

    def apply(self, kind: str, obj: dict[str, Any]) -> None:
        """One watch event from the member (ADDED, MODIFIED, DELETED or BOOKMARK)."""
        rv_text = str((obj.get("metadata") or {}).get("resourceVersion", ""))
        if kind == "BOOKMARK":
            self.resource_version = rv_text or self.resource_version
            return
        key, labels, data, rv_text = encode_object(obj, self.cluster)
        if not self._wanted(key):
            return
        if kind == "DELETED":
            if self._remove(key) is None:
                return
        else:
            kind = "ADDED" if self._put(key, labels, data) else "MODIFIED"
        self.resource_version = rv_text
        self._publish(Event(_rv_int(rv_text), kind, data))

    def _publish(self, event: Event) -> None:
        if len(self._ring) == self._ring.maxlen:
            self._oldest = self._ring[0].rv
        self._ring.append(event)
        for watcher in list(self._watchers):
            watcher.push(self.cluster, event)

    def close_watchers(self) -> None:
        for watcher in list(self._watchers):
            watcher.close()
        self._watchers.clear()

    # ---- reads ------------------------------------------------------------------------------
    def sorted_keys(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.items)
        return self._sorted

    def get(self, namespace: str, name: str) -> bytes | None:
        entry = self.items.get(f"{namespace}/{name}")
        return entry[1] if entry else None

    def select(self, flt: Filter, start_after: str = "", limit: int = 0) -> tuple[list[bytes], str]:
        """Matching objects in key order after ``start_after``; up to ``limit`` (0: all). Also the
        key to resume after when more match, else ""."""
        keys = self.sorted_keys()
        lo = bisect.bisect_right(keys, start_after) if start_after else 0
        if flt.namespace and (not start_after or start_after < flt.namespace + "/"):
            lo = max(lo, bisect.bisect_left(keys, flt.namespace + "/"))
        prefix = flt.namespace + "/" if flt.namespace else ""
        out: list[bytes] = []
        last = ""
        for i in range(lo, len(keys)):
            key = keys[i]
            if prefix and not key.startswith(prefix):
                break
            if not flt.key_matches(key):
                continue
            labels, data = self.items[key]
            if flt.labels and not flt.labels_match(labels):
                continue
            if limit and len(out) == limit:
                return out, last
            out.append(data)
            last = key
        return out, ""

    def matching(self, flt: Filter) -> Iterator[bytes]:
        yield from self.select(flt)[0]

    # ---- watch ------------------------------------------------------------------------------
    def subscribe(self, watcher: Watcher, resource_version: str, flt: Filter) -> None:
        """Queue what happened after ``resource_version`` ("" or "0": the current objects as
        ADDED), then follow. Nothing awaits between the backlog and the subscription: no gap."""
        if resource_version in ("", "0"):
            rv = _rv_int(self.resource_version) if self.resource_version else 0
            for data in self.matching(flt):
                watcher.push(self.cluster, Event(rv, "ADDED", data))
        else:
            since = _rv_int(resource_version)
            if since < self._oldest:
                raise StatusError(410, f"too old resource version: {since} ({self._oldest})", "Expired")
            for event in self._ring:
                if event.rv > since:
                    watcher.push(self.cluster, event)
        self._watchers.add(watcher)

    def unsubscribe(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)
