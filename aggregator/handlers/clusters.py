"""REST verbs of a cluster-scoped resource kept in our etcd (``clusters``, ``resourceregistries``)
and its ``status``: get, list, watch, create, update, patch, delete, deletecollection, with dryRun,
fieldValidation, Table and PartialObjectMetadata output. ``ResourceHandlers`` holds what differs
per resource: the application key of its store, its URL, its schema and its table."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import orjson
import yaml
from aiohttp import web

from pykarmada.aggregator import keys
from pykarmada.aggregator.appkeys import STORE
from pykarmada.aggregator.negotiation import Representation, negotiate, partial_metadata
from pykarmada.aggregator.openapi import cluster_schema, unknown_fields
from pykarmada.aggregator.patch import PATCH_TYPES, apply_patch, parse_patch
from pykarmada.aggregator.storage import Selection, Store
from pykarmada.aggregator.table import COLUMNS, build_table, row_cells
from pykarmada.kube.serving import until_stopping
from pykarmada.kube.labels import SelectorError, parse_field_selector, parse_label_selector
from pykarmada.kube.status import StatusError

log = logging.getLogger(__name__)

SUPPORTED_FIELDS = {"metadata.name": "", "metadata.namespace": ""}
MIN_WATCH_TIMEOUT = 1800


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json", headers=headers)


def _selection(request: web.Request) -> Selection:
    try:
        return Selection(
            parse_label_selector(request.query.get("labelSelector", "")),
            parse_field_selector(request.query.get("fieldSelector", ""), SUPPORTED_FIELDS),
        )
    except SelectorError as e:
        raise StatusError(400, str(e)) from None


def _dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise StatusError(400, f'dryRun: Unsupported value: "{v}": supported values: "All"')
    return bool(values)


async def _read_body(request: web.Request, strategy: Any) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = yaml.safe_load(raw) if "yaml" in (request.content_type or "") else json.loads(raw)
    except (ValueError, yaml.YAMLError) as e:
        raise StatusError(400, f"the body of the request could not be decoded: {e}") from None
    if not isinstance(body, dict):
        raise StatusError(400, f"the body of the request must be a {strategy.kind} object")
    group_version = f"{strategy.group}/{strategy.version}"
    if body.get("kind", strategy.kind) != strategy.kind or body.get("apiVersion", group_version) != group_version:
        raise StatusError(400, f'the API version in the data ({body.get("apiVersion")}) and kind ({body.get("kind")}) do not match {group_version} {strategy.kind}')
    return body


def _field_validation(request: web.Request, obj: dict[str, Any], schema: dict[str, Any]) -> dict[str, str]:
    """Unknown fields: Strict refuses, Warn (the default) answers a Warning header, Ignore drops."""
    mode = request.query.get("fieldValidation", "Warn")
    if mode not in ("Ignore", "Warn", "Strict"):
        raise StatusError(400, f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", "Strict", "Warn"')
    unknown = unknown_fields(obj, schema)
    if not unknown or mode == "Ignore":
        return {}
    if mode == "Strict":
        listed = ", ".join(f'unknown field "{f}"' for f in unknown)
        raise StatusError(400, f"strict decoding error: {listed}")
    return {"Warning": ", ".join(f'299 - "unknown field \\"{f}\\""' for f in unknown)}


class ResourceHandlers:
    """Stateless: each request uses its application's store under ``store_key``."""

    def __init__(
        self, store_key: web.AppKey[Store], base: str, schema: dict[str, Any], *, list_kind: str,
        columns: list[tuple[str, str, int, str]] = COLUMNS, cells: Any = row_cells,
    ) -> None:  # fmt: skip
        self.store_key, self.base, self.schema, self.list_kind = store_key, base, schema, list_kind
        self.columns, self.cells = columns, cells

    def _store(self, request: web.Request) -> Store:
        return request.app[self.store_key]

    def _group_version(self, request: web.Request) -> str:
        strategy = self._store(request).strategy
        return f"{strategy.group}/{strategy.version}"

    def _table(self, objects: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        return build_table(objects, columns=self.columns, cells=self.cells, **kw)

    def _render(self, obj: dict[str, Any], rep: Representation, request: web.Request) -> Any:
        if rep.kind == "Table":
            return self._table([obj], version=rep.version, resource_version=obj["metadata"].get("resourceVersion", ""), include_object=request.query.get("includeObject", "Metadata"))
        if rep.kind == "PartialObjectMetadata":
            return partial_metadata(obj, rep.version)
        return obj

    def routes(self) -> list[web.RouteDef]:
        base = self.base
        return [
            web.get(base, self.list_or_watch),
            web.post(base, self.create),
            web.delete(base, self.delete_collection),
            web.get(base + "/{name}", self.get),
            web.put(base + "/{name}", self.update),
            web.patch(base + "/{name}", self.patch),
            web.delete(base + "/{name}", self.delete),
            web.get(base + "/{name}/status", self.get),
            web.put(base + "/{name}/status", self.update),
            web.patch(base + "/{name}/status", self.patch),
        ]

    @staticmethod
    def _subresource(request: web.Request) -> str | None:
        return "status" if request.path.endswith("/status") else None

    async def get(self, request: web.Request) -> web.Response:
        rep = negotiate(request.headers.get("Accept"))
        return _json(self._render(await self._store(request).get(request.match_info["name"]), rep, request))

    async def list_or_watch(self, request: web.Request) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        selection = _selection(request)
        if request.query.get("watch") in ("true", "1"):
            return await self._watch(request, rep, selection)
        try:
            limit = int(request.query.get("limit", "0") or 0)
        except ValueError:
            raise StatusError(400, "limit must be an integer") from None
        result = await self._store(request).list(selection, limit=limit, continue_token=request.query.get("continue") or None)
        if rep.kind == "Table":
            return _json(self._table(result.items, version=rep.version, resource_version=result.resource_version, continue_token=result.continue_token, include_object=request.query.get("includeObject", "Metadata")))
        meta: dict[str, Any] = {"resourceVersion": result.resource_version}
        if result.continue_token:
            meta["continue"] = result.continue_token
        if rep.kind == "PartialObjectMetadata":
            items = [partial_metadata(i, rep.version) for i in result.items]
            return _json({"apiVersion": f"meta.k8s.io/{rep.version}", "kind": "PartialObjectMetadataList", "metadata": meta, "items": items})
        return _json({"apiVersion": self._group_version(request), "kind": self.list_kind, "metadata": meta, "items": result.items})

    async def _watch(self, request: web.Request, rep: Representation, selection: Selection) -> web.StreamResponse:
        try:
            timeout = int(request.query.get("timeoutSeconds") or random.randint(MIN_WATCH_TIMEOUT, 2 * MIN_WATCH_TIMEOUT))
        except ValueError:
            raise StatusError(400, "timeoutSeconds must be an integer") from None
        bookmarks = request.query.get("allowWatchBookmarks") in ("true", "1")
        events = self._store(request).watch(request.query.get("resourceVersion"), selection, bookmarks=bookmarks)
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        first_table = True

        async def stream() -> None:
            nonlocal first_table
            async for kind, obj in events:
                if kind == "BOOKMARK" or rep.kind == "object":
                    out = obj
                elif rep.kind == "Table":
                    out = self._table([obj], version=rep.version, resource_version=obj["metadata"]["resourceVersion"], no_headers=not first_table, include_object=request.query.get("includeObject", "Metadata"))
                    first_table = False
                else:
                    out = partial_metadata(obj, rep.version)
                if not response.prepared:
                    await response.prepare(request)
                await response.write(orjson.dumps({"type": kind, "object": out}) + b"\n")

        try:
            # Answer the headers at once: clients wait for them before they read events.
            await response.prepare(request)
            # Shutting down ends the stream as the timeout does: cleanly, the client watches again.
            await asyncio.wait_for(until_stopping(request.app, stream()), timeout)
        except asyncio.TimeoutError:
            pass
        except StatusError as e:
            await response.write(json.dumps({"type": "ERROR", "object": e.to_status()}).encode() + b"\n")
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        finally:
            await events.aclose()
        return response

    async def create(self, request: web.Request) -> web.Response:
        body = await _read_body(request, self._store(request).strategy)
        headers = _field_validation(request, body, self.schema)
        created = await self._store(request).create(body, dry_run=_dry_run(request))
        return _json(self._render(created, negotiate(request.headers.get("Accept")), request), 201, headers)

    async def update(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await _read_body(request, self._store(request).strategy)
        headers = _field_validation(request, body, self.schema)
        if body.get("metadata", {}).get("name", name) != name:
            raise StatusError(400, f'the name of the object ({body["metadata"]["name"]}) does not match the name on the URL ({name})')
        updated = await self._store(request).update(name, lambda _old: body, subresource=self._subresource(request), dry_run=_dry_run(request))
        return _json(self._render(updated, negotiate(request.headers.get("Accept")), request), 200, headers)

    async def patch(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = request.content_type
        if content_type not in PATCH_TYPES:
            raise StatusError(415, f"the body of the request was in an unknown format - accepted media types include: {', '.join(PATCH_TYPES)}", "UnsupportedMediaType")
        patch = parse_patch(content_type, await request.read())
        dry_run = _dry_run(request)
        if content_type == "application/apply-patch+yaml":
            if not request.query.get("fieldManager"):
                raise StatusError(422, "fieldManager: Required value: is required for apply patch", "Invalid")
            try:
                return await self._apply_patch(request, name, patch, dry_run)
            except StatusError as e:
                if e.code != 404:
                    raise
                created = await self._store(request).create({**patch, "metadata": {**patch.get("metadata", {}), "name": name}}, dry_run=dry_run)
                return _json(self._render(created, negotiate(request.headers.get("Accept")), request), 201)
        headers: dict[str, str] = {}

        def transform(current: dict[str, Any]) -> dict[str, Any]:
            patched = apply_patch(content_type, current, patch)
            headers.update(_field_validation(request, patched, self.schema))
            return patched

        updated = await self._store(request).update(name, transform, subresource=self._subresource(request), dry_run=dry_run)
        return _json(self._render(updated, negotiate(request.headers.get("Accept")), request), 200, headers)

    async def _apply_patch(self, request: web.Request, name: str, patch: dict[str, Any], dry_run: bool) -> web.Response:
        _field_validation(request, patch, self.schema)
        updated = await self._store(request).update(
            name, lambda current: apply_patch("application/apply-patch+yaml", current, patch), subresource=self._subresource(request), dry_run=dry_run
        )
        return _json(self._render(updated, negotiate(request.headers.get("Accept")), request))

    async def delete(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        preconditions = {}
        raw = await request.read()
        if raw:
            try:
                options = json.loads(raw)
            except ValueError:
                raise StatusError(400, "DeleteOptions could not be decoded") from None
            preconditions = (options or {}).get("preconditions") or {}
        obj, _ = await self._store(request).delete(name, dry_run=_dry_run(request), preconditions=preconditions)
        return _json(obj)

    async def delete_collection(self, request: web.Request) -> web.Response:
        dry_run = _dry_run(request)
        result = await self._store(request).list(_selection(request))
        deleted = []
        for item in result.items:
            try:
                obj, _ = await self._store(request).delete(item["metadata"]["name"], dry_run=dry_run)
                deleted.append(obj)
            except StatusError as e:
                if e.code != 404:
                    raise
        return _json({"apiVersion": self._group_version(request), "kind": self.list_kind, "metadata": {"resourceVersion": result.resource_version}, "items": deleted})


def cluster_handlers() -> ResourceHandlers:
    return ResourceHandlers(STORE, keys.CLUSTERS_PATH, cluster_schema(), list_kind="ClusterList")
