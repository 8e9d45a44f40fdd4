"""Kubernetes RequestInfo of a proxied path (``/api/v1/namespaces/ns/pods/name/log``...), and the
refusal of paths that could escape it (``..``, ``.``, encoded separators)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from pykarmada.aggregator.requestinfo import VERBS, resource_verb
from pykarmada.kube.status import StatusError

NAMESPACE_SUBRESOURCES = ("status", "finalize")
ENCODED_SEPARATORS = ("%2f", "%5c", "%2e", "%00")


@dataclass(frozen=True)
class KubeRequest:
    path: str
    verb: str
    is_resource_request: bool
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def gvr(self) -> str:
        return f"{self.group}/{self.version}/{self.resource}"


def check_raw_path(raw: str) -> None:
    """400 for a path with dot segments or encoded separators: what reaches a member is exactly
    the path that names it."""
    path = raw.split("?", 1)[0]
    lowered = path.lower()
    if any(e in lowered for e in ENCODED_SEPARATORS):
        raise StatusError(400, f"invalid path {unquote(path)!r}: encoded separators are not allowed")
    if any(seg in (".", "..") for seg in path.split("/")):
        raise StatusError(400, f"invalid path {path!r}: '.' and '..' segments are not allowed")


def parse(method: str, path: str, watch: bool) -> KubeRequest:
    parts = [p for p in path.split("/") if p]
    lower = VERBS.get(method.upper(), method.lower())
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return KubeRequest(path, lower, False)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = "/".join(rest[2:])
    return KubeRequest(path, resource_verb(method, bool(name), watch), True, group, version, namespace, resource, name, sub)
