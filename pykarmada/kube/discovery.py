"""REST mapping from discovery: which plural and scope serve an ``apiVersion``/``kind``.

Discovery documents are fetched per group version on first use and cached; ``invalidate`` drops a
group version (or everything), for callers that know new kinds appeared (a CRD was created).
"""

from __future__ import annotations

from dataclasses import dataclass

from pykarmada.kube.client import KubeClient, resource_path
from pykarmada.kube.errors import ApiError


@dataclass(frozen=True)
class ResourceInfo:
    api_version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...]

    def path(self, *, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        return resource_path(
            self.api_version, self.plural, namespace=namespace if self.namespaced else None, name=name, subresource=subresource
        )


class UnknownKind(Exception):
    pass


async def resolve_resource(client: KubeClient, name: str) -> tuple[ResourceInfo, str]:
    """What a kubectl-style type name (``deploy``, ``deployments.apps``, ``pod``) means on this
    server: its ResourceInfo and singular name. Preferred versions only, as kubectl does."""
    name = name.lower()
    plural_or_short, _, group = name.partition(".")
    docs = [("v1", await client.get("/api/v1"))]
    for g in (await client.get("/apis")).get("groups") or []:
        if group and g["name"] != group and not g["name"].startswith(group + "."):
            continue
        gv = (g.get("preferredVersion") or g["versions"][0])["groupVersion"]
        try:
            docs.append((gv, await client.get(f"/apis/{gv}")))
        except ApiError:
            continue
    if group:
        docs = [(gv, d) for gv, d in docs if gv != "v1"]
    for gv, doc in docs:
        for r in doc.get("resources") or []:
            if "/" in r["name"]:
                continue
            names = {r["name"], r.get("singularName") or "", r["kind"].lower(), *(r.get("shortNames") or [])}
            if plural_or_short in names:
                info = ResourceInfo(gv, r["kind"], r["name"], bool(r.get("namespaced")), tuple(r.get("verbs") or ()))
                return info, r.get("singularName") or r["kind"].lower()
    raise UnknownKind(f'the server doesn\'t have a resource type "{name}"')


class RESTMapper:
    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._by_group_version: dict[str, dict[str, ResourceInfo]] = {}

    async def resources(self, api_version: str) -> dict[str, ResourceInfo]:
        """kind -> ResourceInfo for the top-level resources (no subresources) of a group version."""
        cached = self._by_group_version.get(api_version)
        if cached is not None:
            return cached
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            doc = await self.client.get(base)
        except ApiError as e:
            if e.not_found:
                raise UnknownKind(f"the server does not serve {api_version}") from None
            raise
        kinds = {
            r["kind"]: ResourceInfo(api_version, r["kind"], r["name"], bool(r.get("namespaced")), tuple(r.get("verbs") or ()))
            for r in doc.get("resources") or []
            if "/" not in r["name"]
        }
        self._by_group_version[api_version] = kinds
        return kinds

    async def lookup(self, api_version: str, kind: str) -> ResourceInfo:
        info = (await self.resources(api_version)).get(kind)
        if info is None:
            # The kind may be new since the cached document (a CRD just became established).
            self.invalidate(api_version)
            info = (await self.resources(api_version)).get(kind)
        if info is None:
            raise UnknownKind(f"the server does not serve kind {kind} in {api_version}")
        return info

    def invalidate(self, api_version: str | None = None) -> None:
        if api_version is None:
            self._by_group_version.clear()
        else:
            self._by_group_version.pop(api_version, None)
