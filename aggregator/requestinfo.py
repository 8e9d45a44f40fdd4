"""Kubernetes RequestInfo: what a request path and method mean, for routing and authorization."""

from __future__ import annotations

from dataclasses import dataclass

VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
# The ``verb`` label of apiserver_request_* for each RequestInfo verb, as kube-apiserver reports it.
METRIC_VERBS = {
    "get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT", "patch": "PATCH",
    "delete": "DELETE", "deletecollection": "DELETECOLLECTION",
}  # fmt: skip
APPLY_PATCH = "application/apply-patch+yaml"


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


def resource_verb(method: str, named: bool, watch: bool) -> str:
    """Kubernetes' verb of a resource request: on a collection GET is list or watch and DELETE is
    deletecollection."""
    verb = VERBS.get(method.upper(), method.lower())
    if not named:
        if method.upper() in ("GET", "HEAD"):
            return "watch" if watch else "list"
        if method.upper() == "DELETE":
            return "deletecollection"
    return verb


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
    verb = resource_verb(method, bool(name), query.get("watch") in ("true", "1"))
    return RequestInfo(path, verb, True, group, version, resource, sub, name, proxy_path)


def metric_labels(info: RequestInfo, content_type: str, dry_run: list[str], component: str) -> tuple[str, str, str, str, str, str, str, str]:
    """The labels of apiserver_request_total/_duration_seconds for a resource request: verb,
    dry_run, group, version, resource, subresource, scope, component."""
    verb = METRIC_VERBS.get(info.verb, "other")
    if info.subresource == "proxy":
        verb = "CONNECT"
    elif verb == "PATCH" and content_type == APPLY_PATCH:
        verb = "APPLY"
    scope = "resource" if info.name or info.verb == "create" else "cluster"
    return (verb, ",".join(dry_run), info.api_group, info.api_version, info.resource, info.subresource, scope, component)
