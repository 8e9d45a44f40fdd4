"""``proxying/<name>/proxy/<kubernetes path>``: a merged multi-cluster view for kubectl and informers.

Dispatch, first plugin that accepts (upstream's order): ``cache`` (get/list/watch of a registered
resource, answered from the cache), ``cluster`` (anything else on a registered resource: forwarded
to the one member that holds the object, as the caller), ``karmada`` (everything else: the control
plane, impersonating the caller). The caller sees only the clusters whose RBAC lets them read the
resource there: a SubjectAccessReview in each member, made with the cluster's credentials.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from pykarmada.aggregator.auth import UserInfo
from pykarmada.aggregator.handlers.proxy import ProxyHandler, caller_headers, relay_response
from pykarmada.aggregator.negotiation import negotiate
from pykarmada.aggregator.search import kubepath, metrics
from pykarmada.aggregator.search.caches import MultiClusterCache
from pykarmada.aggregator.search.encoding import MultiClusterContinue, MultiClusterResourceVersion, encode_versions
from pykarmada.aggregator.search.kubepath import KubeRequest
from pykarmada.aggregator.search.printers import printer_for
from pykarmada.aggregator.search.store import CACHE_SOURCE_ANNOTATION, Filter, ResourceCache, Watcher
from pykarmada.aggregator.table import build_table
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.labels import SelectorError, parse_field_selector, parse_label_selector
from pykarmada.kube.serving import until_stopping
from pykarmada.kube.status import StatusError, not_found

log = logging.getLogger(__name__)
SAR_SECONDS = 10.0
CHUNK = 256 * 1024
MIN_WATCH_TIMEOUT = 1800
FIELDS = {"metadata.name": "", "metadata.namespace": ""}


def list_filter(req: KubeRequest, query: Any, *, fields: bool = True) -> Filter:
    try:
        labels = tuple(parse_label_selector(query.get("labelSelector", "")))
        reqs = parse_field_selector(query.get("fieldSelector", ""), FIELDS) if fields else []
    except SelectorError as e:
        raise StatusError(400, str(e)) from None
    values: dict[str, str | None] = {"name": None, "field_namespace": None, "negated_name": None, "negated_namespace": None}
    for r in reqs:
        which = "name" if r.key == "metadata.name" else "namespace"
        value = r.values[0] if r.values else ""
        if r.op in ("=", "in"):
            values["name" if which == "name" else "field_namespace"] = value
        else:
            values["negated_" + which] = value
    return Filter(req.namespace, labels, **values)


def _int(query: Any, name: str) -> int:
    try:
        value = int(query.get(name, "0") or 0)
    except ValueError:
        raise StatusError(400, f"{name}: Invalid value: {query.get(name)!r}: must be an integer") from None
    if value < 0:
        raise StatusError(400, f"{name}: Invalid value: {value}: must be greater than or equal to 0")
    return value


def _labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


class MemberAuthorizer:
    """May the caller read this resource in that member? Asked of the member, cached briefly."""

    def __init__(self, caches: MultiClusterCache) -> None:
        self.caches = caches
        self._answers: dict[str, tuple[float, bool]] = {}

    async def allowed(self, user: UserInfo, cluster: str, req: KubeRequest, verb: str) -> bool:
        if "system:masters" in user.groups:
            return True
        spec: dict[str, Any] = {
            "user": user.name,
            "groups": list(user.groups),
            "extra": user.extra,
            "resourceAttributes": {"group": req.group, "version": req.version, "resource": req.resource, "namespace": req.namespace, "verb": verb, "name": req.name},
        }
        if user.uid:
            spec["uid"] = user.uid
        key = cluster + "|" + json.dumps(spec, sort_keys=True)
        held = self._answers.get(key)
        if held and held[0] > time.monotonic():
            return held[1]
        try:
            client = await self.caches.client(cluster)
            review = await client.create("/apis/authorization.k8s.io/v1/subjectaccessreviews", {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
            allowed = bool((review.get("status") or {}).get("allowed"))
        except (ApiError, StatusError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            log.warning("SubjectAccessReview in %s failed: %s", cluster, e)
            return False
        if len(self._answers) > 10000:
            self._answers.clear()
        self._answers[key] = (time.monotonic() + SAR_SECONDS, allowed)
        return allowed

    async def visible(self, user: UserInfo, caches: list[ResourceCache], req: KubeRequest, verb: str) -> list[ResourceCache]:
        answers = await asyncio.gather(*(self.allowed(user, c.cluster, req, verb) for c in caches))
        return [c for c, ok in zip(caches, answers) if ok]


async def write_list(request: web.Request, head: dict[str, Any], items: list[bytes]) -> web.StreamResponse:
    """A list written in chunks from the cached bytes: the items are never decoded or joined whole."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    prefix = json.dumps(head, separators=(",", ":"))[:-1] + ',"items":['
    buf = bytearray(prefix.encode())
    for i, data in enumerate(items):
        if i:
            buf += b","
        buf += data
        if len(buf) >= CHUNK:
            await response.write(bytes(buf))
            buf.clear()
    buf += b"]}"
    await response.write(bytes(buf))
    await response.write_eof()
    return response


# (objects, resourceVersion, continue token, without column definitions) -> a Table
TablePrinter = Callable[[list[dict[str, Any]], str, str | None, bool], dict[str, Any]]


def _table_printer(request: web.Request, req: KubeRequest) -> TablePrinter | None:
    """How to print the answer when the client asked for a Table (kubectl get does); else None."""
    rep = negotiate(request.headers.get("Accept"))
    if rep.kind != "Table":
        return None
    columns, cells = printer_for(req.group, req.resource)
    include = request.query.get("includeObject", "Metadata")

    def table(objects: list[dict[str, Any]], resource_version: str, token: str | None, no_headers: bool) -> dict[str, Any]:
        return build_table(objects, columns=columns, cells=cells, version=rep.version, resource_version=resource_version,
                           continue_token=token, include_object=include, no_headers=no_headers)  # fmt: skip

    return table


class SearchProxy:
    def __init__(self, caches: MultiClusterCache, members: ProxyHandler, control_plane: KubeClient) -> None:
        self.caches = caches
        self.members = members
        self.control_plane = control_plane
        self.authz = MemberAuthorizer(caches)

    async def handle(self, request: web.Request, user: UserInfo, path: str) -> web.StreamResponse:
        kubepath.check_raw_path(request.raw_path)
        req = kubepath.parse(request.method, path, request.query.get("watch") in ("true", "1"))
        registered = req.is_resource_request and req.gvr in self.caches.registered
        started = time.perf_counter()
        plugin = "karmada"
        try:
            if registered and not req.subresource and req.verb in ("get", "list", "watch"):
                plugin = "cache"
                return await self._cache(request, user, req)
            if registered:
                plugin = "cluster"
                return await self._cluster(request, user, req, path)
            return await self._karmada(request, user, path)
        finally:
            if req.verb != "watch":
                metrics.PROXY_LATENCY.labels(plugin, req.verb).observe(time.perf_counter() - started)

    # ---- cache plugin -----------------------------------------------------------------------
    async def _cache(self, request: web.Request, user: UserInfo, req: KubeRequest) -> web.StreamResponse:
        caches = self.caches.caches(req.gvr)
        await asyncio.gather(*(asyncio.wait_for(c.synced.wait(), 10) for c in caches), return_exceptions=True)
        caches = [c for c in caches if c.synced.is_set()]
        table = _table_printer(request, req)
        if req.verb == "get":
            return await self._get(req, user, caches, table)
        flt = list_filter(req, request.query)
        caches = await self.authz.visible(user, caches, req, req.verb)
        if req.verb == "watch":
            return await self._watch(request, req, caches, flt, table)
        return await self._list(request, req, caches, flt, table)

    async def _get(self, req: KubeRequest, user: UserInfo, caches: list[ResourceCache], table: TablePrinter | None) -> web.Response:
        found = [(c, data) for c in caches if (data := c.get(req.namespace, req.name)) is not None]
        found = [(c, d) for (c, d), ok in zip(found, await asyncio.gather(*(self.authz.allowed(user, c.cluster, req, "get") for c, _ in found))) if ok]
        if not found:
            raise not_found(req.group, req.resource, req.name)
        if len(found) > 1:
            names = ", ".join(c.cluster for c, _ in found)
            raise StatusError(409, f'{req.resource} "{req.name}" is found in more than one cluster: {names}; ask one cluster through clusters/<name>/proxy', "Conflict")
        cache, data = found[0]
        obj = json.loads(data)
        obj["metadata"]["resourceVersion"] = encode_versions({cache.cluster: str(obj["metadata"].get("resourceVersion", ""))})
        if table is not None:
            return web.json_response(table([obj], obj["metadata"]["resourceVersion"], None, False))
        return web.Response(body=json.dumps(obj, separators=(",", ":")).encode(), content_type="application/json")

    async def _list(self, request: web.Request, req: KubeRequest, caches: list[ResourceCache], flt: Filter, table: TablePrinter | None) -> web.StreamResponse:
        limit = _int(request.query, "limit")
        token = request.query.get("continue", "")
        start_cluster, start_key = "", ""
        if token:
            cont = MultiClusterContinue.decode(token)
            start_cluster, start_key = cont.cluster, cont.continue_
            if not start_cluster:
                raise StatusError(400, "continue key is not valid: it names no cluster")
        items: list[bytes] = []
        next_token = ""
        versions = {c.cluster: c.resource_version for c in caches}
        remaining = limit
        todo = [c for c in caches if not start_cluster or c.cluster >= start_cluster]
        for i, cache in enumerate(todo):
            after = start_key if cache.cluster == start_cluster else ""
            page, resume = cache.select(flt, after, remaining)
            items += page
            if limit:
                remaining -= len(page)
                if resume:
                    next_token = MultiClusterContinue(encode_versions(versions) if versions else "", cache.cluster, resume).encode()
                    break
                if remaining == 0:
                    if i + 1 < len(todo):
                        next_token = MultiClusterContinue(encode_versions(versions) if versions else "", todo[i + 1].cluster).encode()
                    break
        first = caches[0] if caches else None
        head: dict[str, Any] = {
            "apiVersion": (first.list_api_version if first else "") or "v1",
            "kind": (first.list_kind if first else "") or "List",
            "metadata": {"resourceVersion": encode_versions(versions) if versions else ""},
        }
        if next_token:
            head["metadata"]["continue"] = next_token
        if table is not None:
            return web.json_response(table([json.loads(data) for data in items], head["metadata"]["resourceVersion"], next_token or None, False))
        return await write_list(request, head, items)

    async def _watch(self, request: web.Request, req: KubeRequest, caches: list[ResourceCache], flt: Filter, table: TablePrinter | None) -> web.StreamResponse:
        timeout = _int(request.query, "timeoutSeconds") or random.randint(MIN_WATCH_TIMEOUT, 2 * MIN_WATCH_TIMEOUT)
        requested = MultiClusterResourceVersion.decode(request.query.get("resourceVersion", ""))
        bookmarks = request.query.get("allowWatchBookmarks") in ("true", "1")
        seen = MultiClusterResourceVersion({c.cluster: requested.get(c.cluster) for c in caches if requested.get(c.cluster) not in ("", "0")})
        watcher = Watcher()
        subscribed: list[ResourceCache] = []
        try:
            for cache in caches:
                cache.subscribe(watcher, requested.get(cache.cluster), flt)
                subscribed.append(cache)
            response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            metrics.WATCHERS.labels(req.resource).inc()
            try:
                first = caches[0] if caches else None
                kind = (first.list_kind[: -len("List")] if first and first.list_kind.endswith("List") else "")
                mark = {"kind": kind, "apiVersion": first.list_api_version if first else ""}
                await asyncio.wait_for(until_stopping(request.app, self._stream(response, watcher, flt, seen, mark if bookmarks else None, table)), timeout)
            except asyncio.TimeoutError:
                pass
            finally:
                metrics.WATCHERS.labels(req.resource).dec()
            return response
        finally:
            for cache in subscribed:
                cache.unsubscribe(watcher)

    async def _stream(
        self, response: web.StreamResponse, watcher: Watcher, flt: Filter, seen: MultiClusterResourceVersion, bookmark: dict[str, str] | None, table: TablePrinter | None
    ) -> None:
        """Events until the watcher is closed; a bookmark (of the resource's kind) after a quiet
        minute. With a table each event carries a one-row Table, the first with its columns."""
        headers = True
        while True:
            try:
                item = await asyncio.wait_for(watcher.queue.get(), 60)
            except asyncio.TimeoutError:
                if bookmark is not None and seen.versions:
                    event = {"type": "BOOKMARK", "object": {**bookmark, "metadata": {"resourceVersion": seen.encode()}}}
                    await response.write(json.dumps(event).encode() + b"\n")
                continue
            if item is None:
                return  # the set of caches changed: the client lists again
            cluster, event = item
            obj = json.loads(event.data)
            meta = obj.get("metadata") or {}
            seen.set(cluster, str(meta.get("resourceVersion", event.rv)))
            if not flt.key_matches(f'{meta.get("namespace", "")}/{meta.get("name", "")}') or not flt.labels_match(_labels_of(obj)):
                continue
            meta["resourceVersion"] = seen.encode()
            if table is not None:
                obj, headers = table([obj], meta["resourceVersion"], None, not headers), False
            await response.write(b'{"type":"' + event.type.encode() + b'","object":' + json.dumps(obj, separators=(",", ":")).encode() + b"}\n")

    # ---- cluster plugin ---------------------------------------------------------------------
    async def _cluster(self, request: web.Request, user: UserInfo, req: KubeRequest, path: str) -> web.StreamResponse:
        if not req.name:
            qualified = f"{req.resource}.{req.group}" if req.group else req.resource
            raise StatusError(405, f'{req.verb} is not supported on resources of kind "{qualified}"', "MethodNotAllowed")
        holders = [c.cluster for c in self.caches.caches(req.gvr) if c.get(req.namespace, req.name) is not None]
        if not holders:
            raise not_found(req.group, req.resource, req.name)
        if len(holders) > 1:
            raise StatusError(409, f'{req.resource} "{req.name}" is found in more than one cluster: {", ".join(holders)}', "Conflict")
        body = None
        if request.method == "PUT":
            body = restore_for_cluster(await request.read(), holders[0])
        return await self.members.forward(request, user, holders[0], path, body)

    # ---- karmada plugin ---------------------------------------------------------------------
    async def _karmada(self, request: web.Request, user: UserInfo, path: str) -> web.StreamResponse:
        if request.headers.get("Upgrade"):
            raise StatusError(400, "upgrades to the control plane are not proxied by karmada-search; use the control plane directly")
        headers = caller_headers(request, user)
        if user.uid:
            headers.append(("Impersonate-Uid", user.uid))
        for key, values in user.extra.items():
            # Header names cannot hold "/" (authentication.kubernetes.io/credential-id): escaped, as client-go does.
            headers += [(f"Impersonate-Extra-{quote(key, safe='')}", v) for v in values]
        url = path + ("?" + request.query_string if request.query_string else "")
        data = request.content if request.can_read_body else None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        try:
            async with self.control_plane.open(request.method, url, data=data, headers=CIMultiDict(headers), timeout=timeout) as upstream:
                return await relay_response(request, upstream)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            raise StatusError(503, f"the control plane cannot be reached: {e}") from None


def restore_for_cluster(raw: bytes, cluster: str) -> bytes:
    """A PUT body as the member expects it: no cache annotation, the member's resourceVersion."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return raw
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return raw
    annotations = meta.get("annotations") or {}
    annotations.pop(CACHE_SOURCE_ANNOTATION, None)
    if not annotations:
        meta.pop("annotations", None)
    if rv := meta.get("resourceVersion"):
        mrv = MultiClusterResourceVersion.decode(rv)
        if mrv.versions.get(cluster):
            meta["resourceVersion"] = mrv.versions[cluster]
    return json.dumps(obj).encode()

