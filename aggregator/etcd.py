"""An async etcd v3 client over etcd's JSON gateway (``/v3/kv/*``, ``/v3/watch``), on aiohttp with
mutual TLS. The gateway speaks the same API as gRPC, with bytes as base64 and int64 as strings.

Only what a Kubernetes-style store needs: point reads, prefix ranges with paging, create-if-absent,
compare-and-swap on ``mod_revision``, compare-and-delete, and prefix watches with progress
notifications. A compacted revision raises :class:`Compacted`.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

REQUEST_TIMEOUT = 10.0


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _unb64(data: str | None) -> bytes:
    return base64.b64decode(data) if data else b""


def prefix_end(prefix: str) -> str:
    """The exclusive end of the key range that holds every key starting with ``prefix``."""
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return raw.decode()


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: bytes
    mod_revision: int
    create_revision: int

    @classmethod
    def from_json(cls, kv: dict[str, Any]) -> KeyValue:
        return cls(
            key=_unb64(kv.get("key")).decode(),
            value=_unb64(kv.get("value")),
            mod_revision=int(kv.get("mod_revision", 0)),
            create_revision=int(kv.get("create_revision", 0)),
        )


@dataclass(frozen=True)
class WatchEvent:
    type: str  # "PUT" or "DELETE"; "PROGRESS" for a progress notification (no key)
    kv: KeyValue | None
    prev_kv: KeyValue | None
    revision: int


class EtcdError(Exception):
    pass


class Compacted(EtcdError):
    """The requested revision is older than etcd's compaction point."""

    def __init__(self, compact_revision: int = 0) -> None:
        self.compact_revision = compact_revision
        super().__init__(f"required revision has been compacted (compacted at {compact_revision})")


class EtcdClient:
    def __init__(self, endpoint: str, ssl_context: ssl.SSLContext) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl, limit=32))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(
            self.endpoint + path, json=body, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        ) as resp:
            data = orjson.loads(await resp.read())
            if resp.status != 200:
                message = data.get("message") or data.get("error") or str(data)
                if "compacted" in message:
                    raise Compacted()
                raise EtcdError(f"etcd {path}: {resp.status}: {message}")
            return data

    async def get(self, key: str) -> tuple[KeyValue | None, int]:
        """The key's value (or None) and the store revision of the read."""
        data = await self._call("/v3/kv/range", {"key": _b64(key)})
        kvs = data.get("kvs") or []
        return (KeyValue.from_json(kvs[0]) if kvs else None), int(data["header"]["revision"])

    async def range(
        self, prefix: str, *, start_key: str | None = None, limit: int = 0, revision: int = 0
    ) -> tuple[list[KeyValue], int, bool]:
        """Keys under ``prefix`` from ``start_key`` on; returns (kvs, revision, more)."""
        body: dict[str, Any] = {"key": _b64(start_key or prefix), "range_end": _b64(prefix_end(prefix))}
        if limit:
            body["limit"] = str(limit)
        if revision:
            body["revision"] = str(revision)
        data = await self._call("/v3/kv/range", body)
        kvs = [KeyValue.from_json(kv) for kv in data.get("kvs") or []]
        return kvs, int(data["header"]["revision"]), bool(data.get("more"))

    async def _txn(self, compare: dict[str, Any], success: dict[str, Any], key: str) -> tuple[bool, int, KeyValue | None]:
        data = await self._call(
            "/v3/kv/txn",
            {"compare": [compare], "success": [success], "failure": [{"request_range": {"key": _b64(key)}}]},
        )
        revision = int(data["header"]["revision"])
        if data.get("succeeded"):
            return True, revision, None
        kvs = ((data.get("responses") or [{}])[0].get("response_range") or {}).get("kvs") or []
        return False, revision, KeyValue.from_json(kvs[0]) if kvs else None

    async def create(self, key: str, value: bytes) -> tuple[bool, int]:
        """Put only if absent. Returns (created, revision)."""
        ok, revision, _ = await self._txn(
            {"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"},
            {"request_put": {"key": _b64(key), "value": _b64(value)}},
            key,
        )
        return ok, revision

    async def update(self, key: str, value: bytes, mod_revision: int) -> tuple[bool, int, KeyValue | None]:
        """Put only if the key's mod_revision is still ``mod_revision``. Returns (ok, revision, current)."""
        return await self._txn(
            {"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(mod_revision)},
            {"request_put": {"key": _b64(key), "value": _b64(value)}},
            key,
        )

    async def delete(self, key: str, mod_revision: int) -> tuple[bool, int, KeyValue | None]:
        """Delete only if the key's mod_revision is still ``mod_revision``."""
        return await self._txn(
            {"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(mod_revision)},
            {"request_delete_range": {"key": _b64(key)}},
            key,
        )

    async def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        """Events under ``prefix`` from ``start_revision`` on, plus PROGRESS notifications."""
        body = {
            "create_request": {
                "key": _b64(prefix),
                "range_end": _b64(prefix_end(prefix)),
                "start_revision": str(start_revision),
                "prev_kv": True,
                "progress_notify": True,
            }
        }
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=REQUEST_TIMEOUT)
        async with self.session.post(self.endpoint + "/v3/watch", json=body, timeout=timeout) as resp:
            if resp.status != 200:
                raise EtcdError(f"etcd watch: {resp.status}: {await resp.text()}")
            async for line in resp.content:
                if not line.strip():
                    continue
                message = orjson.loads(line)
                if "error" in message:
                    raise EtcdError(f"etcd watch: {message['error']}")
                result = message.get("result") or {}
                if result.get("compact_revision") and result.get("canceled"):
                    raise Compacted(int(result["compact_revision"]))
                if result.get("canceled"):
                    raise EtcdError(f"etcd watch canceled: {result.get('cancel_reason', '')}")
                revision = int((result.get("header") or {}).get("revision", 0))
                events = result.get("events") or []
                if not events and not result.get("created"):
                    yield WatchEvent("PROGRESS", None, None, revision)
                for ev in events:
                    prev = ev.get("prev_kv")
                    yield WatchEvent(
                        ev.get("type", "PUT"),
                        KeyValue.from_json(ev["kv"]),
                        KeyValue.from_json(prev) if prev else None,
                        revision,
                    )
