"""Resource templates: which kinds the control plane serves, and reading one template.

``discover_template_kinds`` lists the API server's *preferred* resources that support list,
watch and delete, minus Karmada's own kinds (behaviour.md 1.1). The detector keeps one shared
informer per kind in ``ControllerContext.informers`` (keyed by collection path, so every
controller shares it); :class:`TemplateReader` reads a template from that informer and falls back
to a live GET while the kind has no synced informer.

Objects in a list answer carry no ``apiVersion``/``kind`` for built-in types, so everything read
here is returned as a shallow copy with both set; nested values stay shared and read-only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada.propagation import is_gvk_skipped
from pykarmada.kube.client import KubeClient, resource_path
from pykarmada.kube.discovery import RESTMapper, UnknownKind
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
Obj = dict[str, Any]
REQUIRED_VERBS = frozenset({"list", "watch", "delete"})
DISCOVERY_CONCURRENCY = 8
SYNC_WAIT = 10.0  # seconds a reader waits for a template informer that is still listing


@dataclass(frozen=True)
class TemplateKind:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def path(self) -> str:
        """The all-namespaces collection path, which is also the shared informer's key."""
        return resource_path(self.api_version, self.plural)

    def object_path(self, namespace: str, name: str) -> str:
        return resource_path(self.api_version, self.plural, namespace=namespace if self.namespaced else None, name=name)


def typed(obj: Mapping[str, Any], api_version: str, kind: str) -> Obj:
    """A shallow copy of ``obj`` with apiVersion and kind set."""
    out = dict(obj)
    out["apiVersion"], out["kind"] = api_version, kind
    return out


async def discover_template_kinds(client: KubeClient) -> list[TemplateKind]:
    """Preferred group versions only; resources with list+watch+delete; Karmada kinds skipped."""
    group_versions = ["v1"]
    groups = (await client.get("/apis")).get("groups") or []
    for group in groups:
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if preferred:
            group_versions.append(preferred)
    sem = asyncio.Semaphore(DISCOVERY_CONCURRENCY)

    async def one(gv: str) -> list[TemplateKind]:
        async with sem:
            try:
                doc = await client.get("/api/v1" if gv == "v1" else f"/apis/{gv}")
            except ApiError as e:
                log.info("discovery of %s failed: %s", gv, e)
                return []
        out = []
        for r in doc.get("resources") or ():
            if "/" in r.get("name", "") or not REQUIRED_VERBS <= set(r.get("verbs") or ()):
                continue
            if is_gvk_skipped(gv, r.get("kind") or ""):
                continue
            out.append(TemplateKind(gv, r["kind"], r["name"], bool(r.get("namespaced"))))
        return out

    results = await asyncio.gather(*(one(gv) for gv in group_versions))
    return [kind for found in results for kind in found]


def _older(version: str | None, than: str) -> bool:
    """Whether ``version`` may be older than ``than``. Versions are opaque to clients in
    principle; the API server's are etcd revisions, whose order the watch cache itself relies on,
    so they are compared as numbers, and anything else counts as possibly older."""
    if version == than:
        return False
    try:
        return int(version or "") < int(than)
    except ValueError:
        return True


class TemplateReader:
    """Templates by (apiVersion, kind, namespace, name): shared informer first, else a GET."""

    def __init__(self, client: KubeClient, informers: Mapping[str, Informer], mapper: RESTMapper | None = None) -> None:
        self.client = client
        self.informers = informers
        self.mapper = mapper or RESTMapper(client)

    async def kind_of(self, api_version: str, kind: str) -> TemplateKind | None:
        try:
            info = await self.mapper.lookup(api_version, kind)
        except UnknownKind:
            return None
        return TemplateKind(api_version, kind, info.plural, info.namespaced)

    async def synced_informer(self, tk: TemplateKind) -> Informer | None:
        """The kind's informer once synced; one that is still listing (start-up) is waited for a
        little, so that a burst of reconciles does not turn into a burst of GETs."""
        informer = self.informers.get(tk.path)
        if informer is None:
            return None
        if not informer.has_synced():
            try:
                await asyncio.wait_for(informer.wait_synced(), SYNC_WAIT)
            except asyncio.TimeoutError:
                return None
        return informer

    async def get(
        self, api_version: str, kind: str, namespace: str, name: str, *, resource_version: str | None = None, fresh: bool = False
    ) -> Obj | None:
        """The template, or None when it does not exist (or its kind is not served). With
        ``resource_version``, a cached copy older than that version is not used, and with
        ``fresh`` (after a conflict) no cached copy is: the template is read from the API server."""
        tk = await self.kind_of(api_version, kind)
        if tk is None:
            return None
        namespace = namespace if tk.namespaced else ""
        informer = None if fresh else await self.synced_informer(tk)
        if informer is not None:
            cached = informer.get(namespace, name)
            if cached is not None and (resource_version is None or not _older((cached.get("metadata") or {}).get("resourceVersion"), resource_version)):
                return typed(cached, api_version, kind)
        try:
            return typed(await self.client.get(tk.object_path(namespace, name)), api_version, kind)
        except ApiError as e:
            if e.not_found:
                return None
            raise

    async def get_ref(self, ref: Mapping[str, Any], *, at_least_its_version: bool = False) -> Obj | None:
        """The template a binding's ``spec.resource`` points to; with ``at_least_its_version``
        never older than the version the reference names."""
        version = (ref.get("resourceVersion") or None) if at_least_its_version else None
        return await self.get(ref.get("apiVersion") or "", ref.get("kind") or "", ref.get("namespace") or "", ref.get("name") or "", resource_version=version)

    async def list(self, api_version: str, kind: str, namespace: str = "", label_selector: str | None = None) -> list[Obj]:
        """Templates of one kind (in one namespace, if given), from the informer or a LIST."""
        tk = await self.kind_of(api_version, kind)
        if tk is None:
            return []
        informer = await self.synced_informer(tk)
        if informer is not None and label_selector is None:
            items = informer.list()
        else:
            path = resource_path(api_version, tk.plural, namespace=namespace if tk.namespaced else None)
            items = (await self.client.list(path, labelSelector=label_selector))["items"]
        if namespace and tk.namespaced:
            items = [o for o in items if (o.get("metadata") or {}).get("namespace") == namespace]
        return [typed(o, api_version, kind) for o in items]
