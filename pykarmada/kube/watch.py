"""Watch streams: one watch request as an async iterator of events, and list-then-watch that
survives expired resourceVersions.

Contract of :func:`list_and_watch`: it yields a synthetic ``ADDED`` event for every object of the
initial list, then the server's events in order. ``BOOKMARK`` events only advance the remembered
resourceVersion and are not yielded. When the server answers 410 Gone (the version was compacted),
it lists again and yields the list as ``ADDED`` events, so a consumer that treats events as "this
object now looks like this" converges; consumers must therefore be level-triggered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import orjson

from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)

WATCH_TIMEOUT_SECONDS = 300
RETRY_DELAY = 1.0
T = TypeVar("T")


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: dict[str, Any]


async def watch_events(
    client: KubeClient,
    path: str,
    *,
    resource_version: str | None = None,
    timeout_seconds: int = WATCH_TIMEOUT_SECONDS,
    allow_bookmarks: bool = True,
    **params: Any,
) -> AsyncIterator[WatchEvent]:
    """One watch request; ends when the server closes the stream. An ERROR event is raised as ApiError."""
    query = dict(params, watch=True, timeoutSeconds=timeout_seconds, allowWatchBookmarks=allow_bookmarks)
    if resource_version:
        query["resourceVersion"] = resource_version
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=client.timeout, sock_read=timeout_seconds + 30)
    async with client.open("GET", path, params=query, timeout=timeout) as resp:
        if resp.status >= 400:
            body: Any = await resp.read()
            try:
                body = json.loads(body)
            except ValueError:
                pass
            raise ApiError.from_response(resp.status, body, method="WATCH", path=path)
        async for line in resp.content:
            if not line.strip():
                continue
            event = orjson.loads(line)
            if event.get("type") == "ERROR":
                status = event.get("object") or {}
                raise ApiError.from_response(int(status.get("code") or 500), status, method="WATCH", path=path)
            yield WatchEvent(event["type"], event["object"])


async def list_and_watch(client: KubeClient, path: str, **params: Any) -> AsyncIterator[WatchEvent]:
    """List, then watch from the list's resourceVersion forever (see the module contract)."""
    resource_version: str | None = None
    while True:
        if resource_version is None:
            listing = await client.list(path, **params)
            for item in listing.get("items") or []:
                yield WatchEvent("ADDED", item)
            resource_version = listing["metadata"]["resourceVersion"]
        try:
            async for event in watch_events(client, path, resource_version=resource_version, **params):
                resource_version = event.object.get("metadata", {}).get("resourceVersion") or resource_version
                if event.type != "BOOKMARK":
                    yield event
        except ApiError as e:
            if not e.gone:
                raise
            log.debug("watch %s: resourceVersion %s expired, listing again", path, resource_version)
            resource_version = None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, asyncio.TimeoutError) as e:
            log.debug("watch %s interrupted (%s); resuming from %s", path, e, resource_version)
            await asyncio.sleep(RETRY_DELAY)


async def wait_for_object(client: KubeClient, collection: str, name: str, done: Callable[[dict[str, Any]], T | None], timeout: float) -> T:
    """List ``name`` in ``collection``, then watch it, until ``done`` returns a value (it may
    raise); ``asyncio.TimeoutError`` after ``timeout`` seconds. A watch sees the change as it
    happens, where a poll would wait out its interval."""
    selector = f"metadata.name={name}"

    async def run() -> T:
        while True:
            listing = await client.request("GET", collection, params={"fieldSelector": selector})
            for item in listing.get("items") or []:
                if (value := done(item)) is not None:
                    return value
            rv = listing["metadata"]["resourceVersion"]
            async for event in watch_events(client, collection, resource_version=rv, fieldSelector=selector, timeout_seconds=max(int(timeout), 1)):
                if event.type in ("ADDED", "MODIFIED") and (value := done(event.object)) is not None:
                    return value

    return await asyncio.wait_for(run(), timeout)
