"""``clusters/<c>/proxy/<path>``: a request to the member's API server, made with the Cluster's
credentials while impersonating the caller, so that the member's RBAC decides.

Responses stream through unbuffered (watches, ``logs -f``). WebSocket upgrades (kubectl exec,
attach and port-forward since 1.30) are relayed frame by frame; SPDY upgrades are refused with a
message. Our own failures are ``Status`` objects: 404 for an unknown cluster, 503 for a cluster that
is not Ready or cannot be reached, with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from pykarmada.aggregator.auth import UserInfo
from pykarmada.aggregator.requestinfo import RequestInfo
from pykarmada.aggregator.cache import ObjectCache
from pykarmada.karmada.cluster import proxy_url
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError
from pykarmada.kube.secrets import SecretCache
from pykarmada.kube.serving import until_stopping
from pykarmada.kube.status import StatusError

log = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length",
}
STRIPPED_PREFIXES = ("x-remote-", "impersonate-")
SKIPPED_GROUPS = ("system:authenticated", "system:unauthenticated")
SECRET_TTL = 5.0


@dataclass(frozen=True)
class Target:
    endpoint: str
    token: str
    ca_pem: bytes
    insecure: bool
    proxy: str | None = None
    pull: bool = False
    cluster_token: str = ""  # of spec.secretRef: the cluster's own identity, for reading its data

    @property
    def pool_key(self) -> str:
        return hashlib.sha256(f"{self.endpoint}|{self.insecure}|".encode() + self.ca_pem).hexdigest()

    def unreachable(self, cluster: str, error: Exception) -> StatusError:
        via = f" through proxy {self.proxy}" if self.proxy else ""
        hint = "; it is a Pull-mode cluster: the control plane reaches it only when spec.apiEndpoint (or spec.proxyURL) is routable from here" if self.pull else ""
        return StatusError(503, f'cluster "{cluster}" cannot be reached at {self.endpoint}{via}: {error}{hint}')


class ProxyHandler:
    def __init__(self, clusters: ObjectCache, control_plane: KubeClient) -> None:
        self.clusters = clusters
        self.client = control_plane
        self._secrets = SecretCache(control_plane, ttl=SECRET_TTL)
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()

    # ---- target ---------------------------------------------------------------------------
    async def target(self, name: str) -> Target:
        cluster = await self.clusters.get(name)
        spec = cluster.get("spec") or {}
        ready = next((c for c in (cluster.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") != "True":
            raise StatusError(503, f'cluster "{name}" is not ready ({ready.get("reason", "")}: {ready.get("message", "")}); the proxy cannot reach it')
        endpoint = spec.get("apiEndpoint")
        pull = spec.get("syncMode") == "Pull"
        if not endpoint:
            if pull:
                raise StatusError(503, f'cluster "{name}" is a Pull-mode cluster without spec.apiEndpoint: the control plane has no direct route to it (its agent dials out; set the agent\'s --cluster-api-endpoint or --proxy-server-address to proxy to it)')
            raise StatusError(503, f'cluster "{name}" has no apiEndpoint reachable from the control plane')
        try:
            proxy = proxy_url(cluster)
        except ValueError as e:
            raise StatusError(503, str(e)) from None
        ref = spec.get("impersonatorSecretRef")
        if not ref:
            raise StatusError(503, f'cluster "{name}" has no impersonatorSecretRef: the proxy has no credentials for it')
        try:
            token = (await self._secrets.data(ref["namespace"], ref["name"])).get("token", b"").decode().strip()
            secret_ref = spec.get("secretRef")
            cluster_data = await self._secrets.data(secret_ref["namespace"], secret_ref["name"]) if secret_ref else {}
            ca = cluster_data.get("caBundle", b"")
        except ApiError as e:
            raise StatusError(503, f'cluster "{name}": cannot read its credentials: {e.message or e.reason}') from None
        if not token:
            raise StatusError(503, f'cluster "{name}": secret {ref.get("namespace")}/{ref.get("name")} has no token')
        cluster_token = cluster_data.get("token", b"").decode().strip()
        return Target(endpoint.rstrip("/"), token, ca, bool(spec.get("insecureSkipTLSVerification")), proxy, pull, cluster_token)

    def _session(self, target: Target) -> aiohttp.ClientSession:
        session = self._sessions.get(target.pool_key)
        if session is None or session.closed:
            # The Secret's caBundle is the only trust root; without one, the system's.
            ctx = Connection(server=target.endpoint, ca_pem=target.ca_pem or None, insecure_skip_verify=target.insecure).ssl_context()
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=ctx, limit=0, keepalive_timeout=60),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
            self._sessions[target.pool_key] = session
        return session

    # ---- request --------------------------------------------------------------------------
    @staticmethod
    def _headers(request: web.Request, user: UserInfo, target: Target) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {target.token}"), *caller_headers(request, user)]

    async def handle(self, request: web.Request, user: UserInfo, info: RequestInfo) -> web.StreamResponse:
        return await self.forward(request, user, info.name, info.proxy_path)

    async def forward(self, request: web.Request, user: UserInfo, cluster: str, path: str, body: bytes | None = None) -> web.StreamResponse:
        """``request`` to ``path`` of member ``cluster`` as the caller; ``body`` replaces the request's."""
        target = await self.target(cluster)
        url = target.endpoint + path
        if request.query_string:
            url += "?" + request.query_string
        if request.headers.get("Upgrade"):
            return await self._upgrade(request, user, target, url, cluster)
        session = self._session(target)
        data: Any = body if body is not None else (request.content if request.can_read_body else None)
        try:
            upstream = await session.request(
                request.method,
                url,
                headers=self._headers(request, user, target),
                data=data,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
                proxy=target.proxy,
            )
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            raise target.unreachable(cluster, e) from None
        return await relay_response(request, upstream)

    async def _upgrade(self, request: web.Request, user: UserInfo, target: Target, url: str, cluster: str) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise StatusError(400, "only WebSocket upgrades are proxied; SPDY is not supported (kubectl >= 1.30 uses WebSocket)")
        protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        headers = [(k, v) for k, v in self._headers(request, user, target) if not k.lower().startswith("sec-websocket")]
        session = self._session(target)
        try:
            upstream = await session.ws_connect(url.replace("https://", "wss://", 1), headers=headers, protocols=protocols, heartbeat=5, proxy=target.proxy)
        except aiohttp.WSServerHandshakeError as e:
            raise StatusError(e.status if e.status >= 400 else 502, f"member refused the upgrade: {e.message}") from None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            raise target.unreachable(cluster, e) from None
        downstream = web.WebSocketResponse(protocols=[upstream.protocol] if upstream.protocol else (), heartbeat=5)
        await downstream.prepare(request)

        async def relay(src: Any, dst: Any) -> None:
            async for msg in src:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    await dst.send_bytes(msg.data)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    await dst.send_str(msg.data)
                else:
                    break
            await dst.close()

        both = asyncio.gather(relay(upstream, downstream), relay(downstream, upstream), return_exceptions=True)
        await until_stopping(request.app, both)
        await downstream.close()
        await upstream.close()
        return downstream


async def relay_response(request: web.Request, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
    """Answer with the upstream response: one write for a bounded body, a stream otherwise."""
    async with upstream:
        headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        if upstream.headers.get("Content-Length") and not upstream.headers.get("Transfer-Encoding"):
            # A bounded body: one write. Unbounded ones (watch, logs -f) stream below.
            body = await upstream.read()
            bounded = web.Response(status=upstream.status, reason=upstream.reason, body=body)
            for k, v in headers:
                if k.lower() != "content-type":
                    bounded.headers.add(k, v)
            bounded.content_type = upstream.content_type
            if upstream.charset:
                bounded.charset = upstream.charset
            return bounded
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        for k, v in headers:
            response.headers.add(k, v)
        await response.prepare(request)

        async def relay() -> None:
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)

        # A shutdown ends the stream (a member watch, logs -f) cleanly; the client re-requests.
        await until_stopping(request.app, relay())
        await response.write_eof()
        return response


def caller_headers(request: web.Request, user: UserInfo) -> list[tuple[str, str]]:
    """The request's headers without hop-by-hop, credentials and identity headers, plus the
    impersonation of the caller (the sender adds its own Authorization)."""
    headers = [
        (k, v)
        for k, v in request.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() != "authorization" and not k.lower().startswith(STRIPPED_PREFIXES)
    ]
    headers.append(("Impersonate-User", user.name))
    headers += [("Impersonate-Group", g) for g in user.groups if g not in SKIPPED_GROUPS]
    return headers
