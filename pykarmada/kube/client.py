"""An async client for one Kubernetes API server, on a single aiohttp session.

One :class:`KubeClient` per API server, shared by every caller on the event loop: aiohttp pools
connections per session, so a session per request would defeat keep-alive. Every call has a
timeout; failures come back as :class:`~pykarmada.kube.errors.ApiError`. Every request is
counted as client-go counts it (``rest_client_requests_total``, ``rest_client_request_duration_seconds``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError
from pykarmada.kube.metrics import REST_ERROR_CODE, observe_rest_request

PATCH_CONTENT_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}
DEFAULT_TIMEOUT = 30.0


def resource_path(
    api_version: str,
    plural: str,
    *,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
) -> str:
    """The REST path of a collection or object: ``/api/v1/...`` for the core group, else ``/apis/<g>/<v>/...``."""
    path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespace:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{plural}"
    if name:
        path += f"/{quote(name, safe='')}"
        if subresource:
            path += f"/{subresource}"
    return path


class KubeClient:
    """Requests to one API server. Use as ``async with KubeClient(conn) as client``."""

    def __init__(
        self, connection: Connection, *, timeout: float = DEFAULT_TIMEOUT, user_agent: str = "pykarmada", max_connections: int = 64
    ) -> None:
        self.connection = connection
        self.timeout = timeout
        # Open watches hold a pooled connection each: a client that carries many informers needs
        # a larger pool, or its plain requests queue behind the watches.
        self.max_connections = max_connections
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self.host = urlsplit(connection.server).netloc  # the ``host`` label of the client metrics

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.connection.ssl_context(), limit=self.max_connections)
            headers = {"User-Agent": self._user_agent, "Accept": "application/json"}
            headers.update(self.connection.auth_headers())
            self._session = aiohttp.ClientSession(
                base_url=None, connector=connector, headers=headers, raise_for_status=False
            )
        return self._session

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        return self.connection.server + path

    async def open(self, method: str, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        """Send a request and return the response with its body unread (release it with
        ``async with``); counted, as client-go counts requests, once the headers arrived."""
        started, code = time.perf_counter(), REST_ERROR_CODE
        try:
            resp = await self.session.request(method, self.url(path), **kwargs)
            code = resp.status
            return resp
        finally:
            observe_rest_request(method, self.host, code, time.perf_counter() - started)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON (or text) body, raise ApiError on non-2xx."""
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = content_type
        client_timeout = aiohttp.ClientTimeout(total=timeout or self.timeout)
        async with await self.open(method, path, params=_clean(params), data=data, headers=headers, timeout=client_timeout) as resp:
            payload = await _decode(resp)
            if resp.status >= 400:
                raise ApiError.from_response(resp.status, payload, method=method, path=path)
            return payload

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def list(self, path: str, **params: Any) -> dict[str, Any]:
        """List a collection, following ``continue`` tokens so the result holds every item."""
        items: list[Any] = []
        params = dict(params)
        while True:
            page = await self.request("GET", path, params=params)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                page["items"] = items
                return page
            params["continue"] = token

    async def create(self, path: str, obj: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        return await self.request("POST", path, params=params, body=obj)

    async def replace(self, path: str, obj: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        return await self.request("PUT", path, params=params, body=obj)

    async def patch(self, path: str, patch: Any, *, patch_type: str = "merge", **params: Any) -> dict[str, Any]:
        return await self.request("PATCH", path, params=params, body=patch, content_type=PATCH_CONTENT_TYPES[patch_type])

    async def delete(self, path: str, **params: Any) -> Any:
        return await self.request("DELETE", path, params=params)


def _clean(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop ``None`` values and spell booleans the way Kubernetes expects."""
    if not params:
        return None
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


async def _decode(resp: aiohttp.ClientResponse) -> Any:
    raw = await resp.read()
    if resp.content_type == "application/json" and raw:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw.decode(errors="replace") if raw else None
