"""karmada-search's own metrics: cache sizes per (cluster, resource), open watches, and the
latency of proxied requests by plugin."""

from __future__ import annotations

from pykarmada.kube.metrics import gauge, histogram

CACHE_OBJECTS = gauge("karmada_search_cache_objects", "Objects held by the search cache, by cluster and resource.", ["cluster", "resource"])
CACHE_BYTES = gauge("karmada_search_cache_bytes", "Bytes of encoded objects held by the search cache, by cluster and resource.", ["cluster", "resource"])
WATCHERS = gauge("karmada_search_proxy_watchers", "Open watches through the search proxy, by resource.", ["resource"])
PROXY_LATENCY = histogram(
    "karmada_search_proxy_request_duration_seconds", "Latency of requests through the search proxy (watches excluded), by plugin and verb.", ["plugin", "verb"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
