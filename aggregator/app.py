"""The aggregated API server application: ``build_app(settings)`` wires storage, authentication,
authorization and handlers; resources are owned through ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pykarmada.aggregator import keys, openapi
from pykarmada.aggregator.appkeys import AUTHN, AUTHZ, CONTROL_PLANE, ETCD, PROXY, REGISTRY_STORE, SEARCH_CACHE, SEARCH_PROXY, SERVER_SSL, STORE
from pykarmada.aggregator.cache import ObjectCache
from pykarmada.aggregator.auth import HEALTH_PATHS, Authenticator, Authorizer, forbidden_message
from pykarmada.karmada.cluster import ClusterStrategy
from pykarmada.aggregator.etcd import EtcdClient
from pykarmada.aggregator.handlers.clusters import ResourceHandlers, cluster_handlers
from pykarmada.aggregator.handlers.proxy import ProxyHandler
from pykarmada.aggregator.requestinfo import metric_labels, request_info
from pykarmada.aggregator.search import discovery as search_discovery
from pykarmada.aggregator.search.caches import MultiClusterCache
from pykarmada.aggregator.search.proxying import SearchProxy
from pykarmada.aggregator.search.searchcache import SearchCacheHandler
from pykarmada.aggregator.table import DEFAULT_COLUMNS, default_cells
from pykarmada.karmada.resourceregistry import ResourceRegistryStrategy
from pykarmada.aggregator.storage import Store
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.metrics import APISERVER_COMPONENT, observe_apiserver_request
from pykarmada.kube.metrics_server import metrics_handler
from pykarmada.kube.serving import serve_app, track_stopping
from pykarmada.kube.status import StatusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    kubeconfig: str
    etcd_servers: str
    etcd_cafile: str
    etcd_certfile: str
    etcd_keyfile: str
    tls_cert_file: str
    tls_private_key_file: str
    etcd_prefix: str = "/registry"
    bind_address: str = "0.0.0.0"
    secure_port: int = 443
    tls_min_version: str = "VersionTLS13"


SETTINGS = web.AppKey("settings", Settings)
USER = "user"  # the authenticated caller, kept on the request for handlers that act as them
INFO = "request_info"  # what the request asks for (RequestInfo), as authorized


def server_ssl_context(settings: Settings) -> ssl.SSLContext:
    """TLS for the server; client certificates are optional at the handshake (a bearer token may
    authenticate instead) and verified against the CAs of extension-apiserver-authentication."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if settings.tls_min_version == "VersionTLS13" else ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(settings.tls_cert_file, settings.tls_private_key_file)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def _status_response(e: StatusError) -> web.Response:
    return web.Response(status=e.code, body=json.dumps(e.to_status()).encode(), content_type="application/json")


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except StatusError as e:
        return _status_response(e)
    except web.HTTPException as e:
        if e.status == 404:
            return _status_response(StatusError(404, "the server could not find the requested resource"))
        if e.status == 405:
            return _status_response(StatusError(405, f"the server does not allow this method on the requested resource: {request.method}"))
        raise
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("internal error serving %s %s", request.method, request.path)
        return _status_response(StatusError(500, "an internal error occurred; see the server log"))


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path in HEALTH_PATHS:
        return await handler(request)
    user = await request.app[AUTHN].authenticate(request)
    if user is None:
        raise StatusError(401, "Unauthorized")
    info = request_info(request.method, request.path, dict(request.query))
    allowed, reason = await request.app[AUTHZ].authorize(user, info)
    if not allowed:
        raise StatusError(403, forbidden_message(user, info, reason))
    request[USER] = user
    request[INFO] = info
    if not info.is_resource_request:
        return await handler(request)
    # Resource requests are counted as kube-apiserver counts them (apiserver_request_*).
    labels = metric_labels(info, request.content_type, request.query.getall("dryRun", []), APISERVER_COMPONENT)
    started, code = time.perf_counter(), 500
    try:
        response = await handler(request)
        code = response.status
        return response
    except StatusError as e:
        code = e.code
        raise
    except web.HTTPException as e:
        code = e.status
        raise
    finally:
        observe_apiserver_request(labels, code, time.perf_counter() - started)


async def _resources(app: web.Application) -> Any:
    settings = app[SETTINGS]
    etcd_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    etcd_ssl.load_verify_locations(settings.etcd_cafile)
    etcd_ssl.load_cert_chain(settings.etcd_certfile, settings.etcd_keyfile)
    etcd = EtcdClient(settings.etcd_servers.split(",")[0], etcd_ssl)
    control_plane = KubeClient(connection_from_kubeconfig(settings.kubeconfig), user_agent="karmada-aggregated-apiserver")
    store = Store(etcd, ClusterStrategy(), settings.etcd_prefix.rstrip("/") + keys.STORAGE_SUBPATH)
    registries = Store(etcd, ResourceRegistryStrategy(), settings.etcd_prefix.rstrip("/") + search_discovery.STORAGE_SUBPATH)
    authenticator = Authenticator(control_plane, app[SERVER_SSL])
    await authenticator.load()
    app[ETCD], app[CONTROL_PLANE], app[STORE], app[REGISTRY_STORE] = etcd, control_plane, store, registries
    app[AUTHN], app[AUTHZ] = authenticator, Authorizer(control_plane)
    clusters = ObjectCache(store)
    app[PROXY] = ProxyHandler(clusters, control_plane)
    search_caches = MultiClusterCache(store, registries, control_plane, app[PROXY])
    app[SEARCH_PROXY] = SearchProxy(search_caches, app[PROXY], control_plane)
    app[SEARCH_CACHE] = SearchCacheHandler(search_caches, app[SEARCH_PROXY].authz)
    tasks = [
        asyncio.create_task(authenticator.follow(), name="follow extension-apiserver-authentication"),
        asyncio.create_task(clusters.run(), name="cluster cache"),
        asyncio.create_task(search_caches.run(), name="search cache"),
    ]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await app[PROXY].close()
    await control_plane.close()
    await etcd.close()


def _json_handler(data: Any) -> Any:
    body = json.dumps(data).encode()

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handler


async def _cluster_proxy(request: web.Request) -> web.StreamResponse:
    return await request.app[PROXY].handle(request, request[USER], request[INFO])


async def _proxying(request: web.Request) -> web.StreamResponse:
    return await request.app[SEARCH_PROXY].handle(request, request[USER], "/" + request.match_info["path"])


async def _search(request: web.Request) -> web.StreamResponse:
    return await request.app[SEARCH_CACHE].handle(request, request[USER], request.match_info["category"], "/" + request.match_info["path"])


async def _proxying_root(request: web.Request) -> web.StreamResponse:
    return await request.app[SEARCH_PROXY].handle(request, request[USER], "/")


def _registry_handlers() -> ResourceHandlers:
    return ResourceHandlers(
        REGISTRY_STORE, search_discovery.REGISTRIES_PATH, search_discovery.registry_schema(),
        list_kind="ResourceRegistryList", columns=DEFAULT_COLUMNS, cells=default_cells,
    )  # fmt: skip


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _readyz(request: web.Request) -> web.Response:
    try:
        await request.app[ETCD].get("/health-check")
    except Exception as e:  # noqa: BLE001
        return web.Response(status=500, text=f"etcd: {e}")
    return web.Response(text="ok")


def build_app(settings: Settings, server_ssl: ssl.SSLContext) -> web.Application:
    app = web.Application(middlewares=[errors_middleware, auth_middleware], client_max_size=8 * 1024 * 1024)
    app[SETTINGS] = settings
    app[SERVER_SSL] = server_ssl
    app.cleanup_ctx.append(_resources)
    track_stopping(app)
    v3, search_v3 = openapi.openapi_v3(), search_discovery.openapi_v3()
    groups = openapi.api_group_list()
    groups["groups"].append({k: v for k, v in search_discovery.api_group().items() if k not in ("kind", "apiVersion")})
    v3_index = openapi.openapi_v3_index(openapi.document_hash(v3))
    sgv = search_discovery.GROUP_VERSION
    v3_index["paths"][f"apis/{sgv}"] = {"serverRelativeURL": f"/openapi/v3/apis/{sgv}?hash={openapi.document_hash(search_v3)}"}
    app.add_routes(
        [
            web.get("/healthz", _healthz),
            web.get("/livez", _healthz),
            web.get("/readyz", _readyz),
            web.get("/metrics", metrics_handler),  # authorized like any non-resource path (SubjectAccessReview)
            web.get("/apis", _json_handler(groups)),
            web.get(f"/apis/{keys.GROUP}", _json_handler(openapi.api_group())),
            web.get(f"/apis/{keys.GROUP}/{keys.VERSION}", _json_handler(openapi.api_resource_list())),
            web.get("/openapi/v2", _json_handler(openapi.openapi_v2())),
            web.get("/openapi/v3", _json_handler(v3_index)),
            web.get(f"/openapi/v3/apis/{keys.GROUP}/{keys.VERSION}", _json_handler(v3)),
            *cluster_handlers().routes(),
            web.route("*", f"/apis/{keys.GROUP}/{keys.VERSION}/clusters/{{name}}/proxy{{path:(/.*)?}}", _cluster_proxy),
            # search.karmada.io: the second route group
            web.get(f"/apis/{search_discovery.GROUP}", _json_handler(search_discovery.api_group())),
            web.get(search_discovery.BASE, _json_handler(search_discovery.api_resource_list())),
            web.get(f"/openapi/v3/apis/{sgv}", _json_handler(search_v3)),
            *_registry_handlers().routes(),
            web.route("*", search_discovery.BASE + "/proxying/{name}/proxy/{path:.*}", _proxying),
            web.route("*", search_discovery.BASE + "/proxying/{name}/proxy", _proxying_root),
            web.get(search_discovery.BASE + "/search/{category}/{path:.*}", _search),
        ]
    )
    return app


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT; then watches end cleanly and the process exits promptly."""
    server_ssl = server_ssl_context(settings)
    await serve_app(build_app(settings, server_ssl), settings.bind_address, settings.secure_port, server_ssl)
    log.info("shut down")
