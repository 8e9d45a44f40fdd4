"""Typed keys of what the application owns (set up in ``app._resources``)."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from aiohttp import web

from pykarmada.aggregator.etcd import EtcdClient
from pykarmada.aggregator.storage import Store
from pykarmada.kube.client import KubeClient

if TYPE_CHECKING:
    from pykarmada.aggregator.auth import Authenticator, Authorizer
    from pykarmada.aggregator.handlers.proxy import ProxyHandler
    from pykarmada.aggregator.search.proxying import SearchProxy
    from pykarmada.aggregator.search.searchcache import SearchCacheHandler

STORE = web.AppKey("store", Store)
REGISTRY_STORE = web.AppKey("registry_store", Store)  # search.karmada.io ResourceRegistry
ETCD = web.AppKey("etcd", EtcdClient)
CONTROL_PLANE = web.AppKey("control_plane", KubeClient)
AUTHN: web.AppKey["Authenticator"] = web.AppKey("authenticator")
AUTHZ: web.AppKey["Authorizer"] = web.AppKey("authorizer")
PROXY: web.AppKey["ProxyHandler"] = web.AppKey("proxy")
SEARCH_PROXY: web.AppKey["SearchProxy"] = web.AppKey("search_proxy")
SEARCH_CACHE: web.AppKey["SearchCacheHandler"] = web.AppKey("search_cache")
SERVER_SSL = web.AppKey("server_ssl", ssl.SSLContext)
