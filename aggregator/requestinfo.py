"""Kubernetes RequestInfo: what a request path and method mean, for routing and authorization."""

from __future__ import annotations

from dataclasses import dataclass

VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class RequestInfo:
    path: str
    verb: str
    is_resource_request: bool
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    proxy_path: str = ""  # after .../proxy, for the proxy subresource


def request_info(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    lower = VERBS.get(method.upper(), method.lower())
    if len(parts) < 4 or parts[0] != "apis":
        return RequestInfo(path, lower, False)
    group, version, rest = parts[1], parts[2], parts[3:]
    resource, name, sub, proxy_path = rest[0], "", "", ""
    if len(rest) > 1:
        name = rest[1]
    if len(rest) > 2:
        sub = rest[2]
        if sub == "proxy":
            # Everything after ".../proxy" belongs to the member (keep a trailing slash).
            marker = f"/{resource}/{name}/proxy"
            proxy_path = path[path.index(marker) + len(marker):] or "/"
    verb = lower
    if not name:
        if method.upper() in ("GET", "HEAD"):
            verb = "watch" if query.get("watch") in ("true", "1") else "list"
        elif method.upper() == "DELETE":
            verb = "deletecollection"
    return RequestInfo(path, verb, True, group, version, resource, sub, name, proxy_path)
