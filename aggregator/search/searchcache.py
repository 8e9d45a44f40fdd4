"""``search/cache/<kubernetes resource path>``: the cached objects of every matched, Ready cluster in
one list (all clusters visited, only ``labelSelector`` honoured). Errors are ``{"error": text}``,
as upstream answers them; ``search/opensearch/...`` is an empty 200 (no OpenSearch backend)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pykarmada.aggregator.auth import UserInfo
from pykarmada.aggregator.search import kubepath
from pykarmada.aggregator.search.caches import MultiClusterCache
from pykarmada.aggregator.search.proxying import MemberAuthorizer, list_filter, write_list
from pykarmada.kube.status import StatusError


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, body=json.dumps({"error": text}).encode(), content_type="application/json")


class SearchCacheHandler:
    def __init__(self, caches: MultiClusterCache, authz: MemberAuthorizer) -> None:
        self.caches = caches
        self.authz = authz

    async def handle(self, request: web.Request, user: UserInfo, category: str, path: str) -> web.StreamResponse:
        if category == "opensearch":
            return web.Response(status=200)
        if category != "cache":
            return _error(404, f'unknown search category "{category}": supported are "cache" and "opensearch"')
        try:
            kubepath.check_raw_path(request.raw_path)
        except StatusError as e:
            return _error(400, e.message)
        req = kubepath.parse("GET", path, False)
        if not req.is_resource_request or req.subresource:
            return _error(400, f"{path!r} is not a resource path of the form /api/v1/[namespaces/<ns>/]<resource>[/<name>]")
        info = self.caches.registered.get(req.gvr)
        if info is None:
            return _error(500, f'no ResourceRegistry caches "{req.resource}" in "{req.group or "core"}/{req.version}"')
        try:
            flt = list_filter(req, request.query, fields=False)
        except StatusError as e:
            return _error(400, e.message)
        if req.name:
            flt = type(flt)(flt.namespace, flt.labels, name=req.name)
        caches = await self.authz.visible(user, self.caches.caches(req.gvr), req, "list")
        items = [data for cache in caches for data in cache.matching(flt)]
        head: dict[str, Any] = {"apiVersion": info.api_version, "kind": f"{info.kind}List", "metadata": {}}
        return await write_list(request, head, items)
