"""A Kubernetes-style store for one cluster-scoped resource, kept in etcd as JSON.

resourceVersion is the etcd ``mod_revision`` of the object; updates are compare-and-swap on it, so
a stale writer gets 409. Deletion honours finalizers: an object with finalizers only gets a
``deletionTimestamp``, and disappears when an update leaves it with none. Lists page with
``limit``/``continue`` at one consistent revision; watches start from a revision, translate etcd
progress notifications into bookmarks, and report compacted revisions as 410 Gone.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from pykarmada.aggregator.etcd import Compacted, EtcdClient, KeyValue
from pykarmada.kube.conditions import now_rfc3339
from pykarmada.kube.labels import Requirement, matches
from pykarmada.kube.status import FieldError, StatusError, already_exists, conflict, invalid, not_found

Obj = dict[str, Any]
STALE = "the object has been modified; please apply your changes to the latest version and try again"
MAX_CAS_RETRIES = 10


class Strategy(Protocol):
    """Per-resource rules, as apiserver's RESTCreateStrategy/RESTUpdateStrategy."""

    group: str
    version: str
    kind: str
    resource: str

    def prepare_for_create(self, obj: Obj) -> None: ...
    def prepare_for_update(self, new: Obj, old: Obj) -> None: ...
    def prepare_for_status_update(self, new: Obj, old: Obj) -> Obj: ...
    def validate(self, obj: Obj) -> list[FieldError]: ...
    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]: ...
    def fields(self, obj: Obj) -> dict[str, str]: ...


@dataclass
class ListResult:
    items: list[Obj]
    resource_version: str
    continue_token: str | None
    remaining: int | None = None


@dataclass(frozen=True)
class Selection:
    labels: list[Requirement]
    fields: list[Requirement]

    def matches(self, strategy: Strategy, obj: Obj) -> bool:
        meta = obj.get("metadata") or {}
        return matches(self.labels, meta.get("labels")) and matches(self.fields, strategy.fields(obj))


EVERYTHING = Selection([], [])


def _encode_continue(revision: int, start_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": revision, "start": start_key}).encode()).decode()


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError):
        raise StatusError(400, "continue key is not valid: could not decode the continue token") from None


class Store:
    def __init__(self, etcd: EtcdClient, strategy: Strategy, prefix: str) -> None:
        self.etcd = etcd
        self.strategy = strategy
        self.prefix = prefix.rstrip("/") + "/"

    # ---- helpers -------------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return self.prefix + name

    def _decode(self, kv: KeyValue, revision: int | None = None) -> Obj:
        obj = orjson.loads(kv.value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(revision or kv.mod_revision)
        return obj

    @staticmethod
    def _encode(obj: Obj) -> bytes:
        meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
        return orjson.dumps({**obj, "metadata": meta})

    def _type_meta(self, obj: Obj) -> None:
        obj["apiVersion"] = f"{self.strategy.group}/{self.strategy.version}"
        obj["kind"] = self.strategy.kind

    def _check(self, errors: list[FieldError], name: str) -> None:
        if errors:
            raise invalid(self.strategy.group, self.strategy.kind, name, errors)

    # ---- reads ---------------------------------------------------------------------------
    async def get(self, name: str) -> Obj:
        kv, _ = await self.etcd.get(self._key(name))
        if kv is None:
            raise not_found(self.strategy.group, self.strategy.resource, name)
        return self._decode(kv)

    async def list(self, selection: Selection = EVERYTHING, *, limit: int = 0, continue_token: str | None = None) -> ListResult:
        revision, start = 0, None
        if continue_token:
            revision, start = _decode_continue(continue_token)
        items: list[Obj] = []
        while True:
            try:
                kvs, read_rev, more = await self.etcd.range(self.prefix, start_key=start, limit=limit or 0, revision=revision)
            except Compacted:
                raise StatusError(410, "The provided continue parameter is too old to display a consistent list result. "
                                  "You can start a new list without the continue parameter.", "Expired") from None
            revision = revision or read_rev
            items += [obj for kv in kvs if selection.matches(self.strategy, obj := self._decode(kv))]
            if not more or not kvs:
                return ListResult(items, str(revision), None)
            start = kvs[-1].key + "\x00"
            if limit and len(items) >= limit:
                return ListResult(items, str(revision), _encode_continue(revision, start))

    # ---- writes --------------------------------------------------------------------------
    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        if meta.get("resourceVersion"):
            raise StatusError(400, "resourceVersion should not be set on objects to be created")
        meta.pop("namespace", None)
        self._type_meta(obj)
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"):
            meta.pop(field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        self.strategy.prepare_for_create(obj)
        self._check(self.strategy.validate(obj), meta.get("name", ""))
        if dry_run:
            kv, revision = await self.etcd.get(self._key(meta["name"]))
            if kv is not None:
                raise already_exists(self.strategy.group, self.strategy.resource, meta["name"])
            return obj
        created, revision = await self.etcd.create(self._key(meta["name"]), self._encode(obj))
        if not created:
            raise already_exists(self.strategy.group, self.strategy.resource, meta["name"])
        meta["resourceVersion"] = str(revision)
        return obj

    async def update(
        self,
        name: str,
        transform: Callable[[Obj], Obj],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Read, transform, validate and compare-and-swap, retrying on races. ``transform`` gets a
        private copy of the current object; a resourceVersion in its result is a precondition."""
        for _ in range(MAX_CAS_RETRIES):
            kv, _ = await self.etcd.get(self._key(name))
            if kv is None:
                raise not_found(self.strategy.group, self.strategy.resource, name)
            old = self._decode(kv)
            new = transform(copy.deepcopy(old))
            wanted_rv = (new.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise conflict(self.strategy.group, self.strategy.resource, name, STALE)
            new = self._prepare_update(new, old, subresource)
            if new == old:
                return old  # no-op: nothing written, resourceVersion unchanged
            if dry_run:
                return new
            deleting = new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers")
            if deleting:
                ok, revision, _ = await self.etcd.delete(self._key(name), kv.mod_revision)
            else:
                ok, revision, _ = await self.etcd.update(self._key(name), self._encode(new), kv.mod_revision)
            if ok:
                new["metadata"]["resourceVersion"] = str(revision)
                return new
            if wanted_rv:
                raise conflict(self.strategy.group, self.strategy.resource, name, STALE)
        raise StatusError(409, f"too many concurrent updates of {name}; try again", "Conflict")

    def _prepare_update(self, new: Obj, old: Obj, subresource: str | None) -> Obj:
        self._type_meta(new)
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        if meta.get("name", old_meta["name"]) != old_meta["name"]:
            raise StatusError(400, f'the name of the object ({meta.get("name")}) does not match the name on the URL ({old_meta["name"]})')
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise conflict(self.strategy.group, self.strategy.resource, old_meta["name"], "Precondition failed: UID in precondition differs from object")
        if subresource == "status":
            new = self.strategy.prepare_for_status_update(new, old)
            meta = new["metadata"]
        else:
            # System fields come from storage, whatever the request says.
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            meta.pop("namespace", None)
            self.strategy.prepare_for_update(new, old)
            self._check(self.strategy.validate_update(new, old), old_meta["name"])
        meta["resourceVersion"] = old_meta["resourceVersion"]
        return new

    async def delete(self, name: str, *, dry_run: bool = False, preconditions: dict[str, str] | None = None) -> tuple[Obj, bool]:
        """Delete, or mark for deletion when finalizers remain. Returns (object, deleted now)."""
        preconditions = preconditions or {}
        for _ in range(MAX_CAS_RETRIES):
            kv, _ = await self.etcd.get(self._key(name))
            if kv is None:
                raise not_found(self.strategy.group, self.strategy.resource, name)
            obj = self._decode(kv)
            meta = obj["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                raise conflict(self.strategy.group, self.strategy.resource, name, "Precondition failed: UID in precondition differs from object")
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise conflict(self.strategy.group, self.strategy.resource, name, STALE)
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return obj, False
                meta["deletionTimestamp"] = now_rfc3339()
                meta["deletionGracePeriodSeconds"] = 0
                meta["generation"] = int(meta.get("generation", 0)) + 1
                if dry_run:
                    return obj, False
                ok, revision, _ = await self.etcd.update(self._key(name), self._encode(obj), kv.mod_revision)
                if ok:
                    meta["resourceVersion"] = str(revision)
                    return obj, False
                continue
            if dry_run:
                return obj, True
            ok, _, _ = await self.etcd.delete(self._key(name), kv.mod_revision)
            if ok:
                return obj, True
        raise StatusError(409, f"too many concurrent updates of {name}; try again", "Conflict")

    # ---- watch ---------------------------------------------------------------------------
    async def watch(
        self, resource_version: str | None, selection: Selection = EVERYTHING, *, bookmarks: bool = False
    ) -> AsyncIterator[tuple[str, Obj]]:
        """Events as (type, object). Without a resourceVersion (or "0") it first sends the current
        objects as ADDED, as kube-apiserver does; otherwise it starts after that version."""
        if not resource_version or resource_version == "0":
            listing = await self.list(selection)
            for item in listing.items:
                yield "ADDED", item
            start = int(listing.resource_version) + 1
        else:
            try:
                start = int(resource_version) + 1
            except ValueError:
                raise StatusError(400, f"invalid resource version: {resource_version!r}") from None
        try:
            async for ev in self.etcd.watch(self.prefix, start):
                if ev.type == "PROGRESS":
                    if bookmarks:
                        yield "BOOKMARK", self._bookmark(ev.revision)
                    continue
                assert ev.kv is not None
                old = self._decode(ev.prev_kv) if ev.prev_kv else None
                if ev.type == "DELETE":
                    if old is not None and selection.matches(self.strategy, old):
                        old["metadata"]["resourceVersion"] = str(ev.kv.mod_revision)
                        yield "DELETED", old
                    continue
                new = self._decode(ev.kv)
                new_ok = selection.matches(self.strategy, new)
                old_ok = old is not None and selection.matches(self.strategy, old)
                if new_ok:
                    yield ("MODIFIED" if old_ok else "ADDED"), new
                elif old_ok:
                    yield "DELETED", new
        except Compacted as e:
            raise StatusError(410, f"too old resource version: {start - 1} ({e.compact_revision})", "Expired") from None

    def _bookmark(self, revision: int) -> Obj:
        return {
            "apiVersion": f"{self.strategy.group}/{self.strategy.version}",
            "kind": self.strategy.kind,
            "metadata": {"resourceVersion": str(revision)},
        }
