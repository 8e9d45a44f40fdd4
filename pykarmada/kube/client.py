"""An async client for one Kubernetes API server, on a single aiohttp session.

One :class:`KubeClient` per API server, shared by every caller on the event loop: aiohttp pools
connections per session, so a session per request would defeat keep-alive. Every call has a
timeout; failures come back as :class:`~pykarmada.kube.errors.ApiError`.

A credential that changes (exec plugin, tokenFile) is asked for per request; a rotated client
certificate gives a new TLS context, and aiohttp keys its pooled connections by context, so new
requests open new connections while old ones drain. A 401 drops the credential that got it and
the request is sent once more with a fresh one (client-go drops it too, but returns the 401).
Every request is counted as client-go counts it (``rest_client_requests_total``,
``rest_client_request_duration_seconds``).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import orjson

from pykarmada.kube.config import Connection, load_client_cert
from pykarmada.kube.credentials import Credential
from pykarmada.kube.errors import ApiError
from pykarmada.kube.lineage import LINEAGE
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
        self._ssl = connection.ssl_context()
        self._cert_ssl: tuple[Credential, ssl.SSLContext] | None = None
        self.host = urlsplit(connection.server).netloc  # the ``host`` label of the client metrics

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=self.max_connections)
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

    def _ssl_for(self, cred: Credential | None) -> ssl.SSLContext:
        """Our TLS context, or one that presents the plugin's client certificate."""
        if cred is None or not cred.client_cert_pem or not cred.client_key_pem:
            return self._ssl
        if self._cert_ssl is None or self._cert_ssl[0] is not cred:
            ctx = self.connection.ssl_context()
            load_client_cert(ctx, cred.client_cert_pem, cred.client_key_pem)
            self._cert_ssl = (cred, ctx)
        return self._cert_ssl[1]

    @asynccontextmanager
    async def open(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One exchange with our credentials; the response is released on exit."""
        source = self.connection.credentials
        for attempt in (1, 2):
            cred = await source.get() if source is not None else None
            request_headers = dict(headers or {})
            if cred is not None and cred.token:
                request_headers["Authorization"] = f"Bearer {cred.token}"
            started, code = time.perf_counter(), REST_ERROR_CODE
            try:
                resp = await self.session.request(
                    method,
                    self.url(path),
                    params=_clean(params),
                    data=data,
                    headers=request_headers,
                    timeout=timeout,
                    ssl=self._ssl_for(cred),
                    proxy=self.connection.proxy_url,
                    server_hostname=self.connection.tls_server_name,
                )
                code = resp.status
            finally:
                # counted, as client-go counts requests, once the headers arrived
                observe_rest_request(method, self.host, code, time.perf_counter() - started)
            if resp.status == 401 and source is not None and cred is not None and attempt == 1:
                resp.release()
                source.invalidate(cred)
                continue
            try:
                yield resp
            finally:
                resp.release()
            return

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
            data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
            headers["Content-Type"] = content_type
        client_timeout = aiohttp.ClientTimeout(total=timeout or self.timeout)
        if method != "GET":
            LINEAGE.wrote(body)  # before the request: its watch event may come before the response
        async with self.open(method, path, params=params, data=data, headers=headers, timeout=client_timeout) as resp:
            payload = await _decode(resp)
            if resp.status >= 400:
                raise ApiError.from_response(resp.status, payload, method=method, path=path)
            if method != "GET":
                LINEAGE.wrote(payload)  # a create's UID is known only now
            return payload

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def exists(self, path: str) -> bool:
        """Whether GET ``path`` finds the object (404: no; any other error is raised)."""
        try:
            await self.request("GET", path)
            return True
        except ApiError as e:
            if e.not_found:
                return False
            raise

    async def list_pages(self, path: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """The pages of a list (``limit`` sets their size), following ``continue`` tokens."""
        params = dict(params)
        while True:
            page = await self.request("GET", path, params=params)
            yield page
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

    async def list(self, path: str, **params: Any) -> dict[str, Any]:
        """List a collection, following ``continue`` tokens so the result holds every item."""
        items: list[Any] = []
        async for page in self.list_pages(path, **params):
            items.extend(page.get("items") or [])
        page["items"] = items
        return page

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
            return orjson.loads(raw)
        except ValueError:
            return raw
    return raw.decode(errors="replace") if raw else None
