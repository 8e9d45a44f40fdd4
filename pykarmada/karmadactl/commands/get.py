"""``get``: list objects in the control plane and/or in member clusters (through the cluster
proxy), as one table with a CLUSTER column after NAME and a final ADOPTION column (``Y`` when the
member object carries ``karmada.io/managed=true``, ``N`` otherwise, ``-`` for control-plane rows)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import click
import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmadactl.commands.completion import cluster_names, resource_types
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import ResourceInfo, UnknownKind, resolve_resource
from pykarmada.kube import jsonpath
from pykarmada.kube.errors import ApiError
from pykarmada.kube.watch import watch_events

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"


def _row_labels(row: dict[str, Any]) -> dict[str, str]:
    return ((row.get("object") or {}).get("metadata") or {}).get("labels") or {}


async def _table(client: KubeClient, prefix: str, info: ResourceInfo, *, namespace: str | None, name: str | None, selector: str, field_selector: str = "") -> dict[str, Any]:
    path = prefix + info.path(namespace=namespace if info.namespaced else None, name=name)
    params = {"labelSelector": selector or None, "fieldSelector": field_selector or None, "includeObject": "Metadata"}
    return await client.request("GET", path, params=params, headers={"Accept": TABLE})


def render(tables: list[tuple[str, dict[str, Any], bool]], *, wide: bool, no_headers: bool, namespaced_all: bool) -> str:
    """Tables of (cluster, table, from a member) as one text table."""
    columns: list[dict[str, Any]] = []
    for _, table, _ in tables:
        if table.get("columnDefinitions"):
            columns = [col for col in table["columnDefinitions"] if wide or not col.get("priority")]
            break
    indexes = [i for i, col in enumerate(next((t["columnDefinitions"] for _, t, _ in tables if t.get("columnDefinitions")), [])) if wide or not col.get("priority")]
    header = [col["name"].upper() for col in columns]
    header = header[:1] + ["CLUSTER"] + header[1:] + ["ADOPTION"]
    if namespaced_all:
        header = ["NAMESPACE"] + header
    rows = []
    for cluster, table, member in tables:
        for row in table.get("rows") or []:
            cells = [str(row["cells"][i]) for i in indexes]
            adoption = ("Y" if _row_labels(row).get(c.MANAGED_BY_KARMADA_LABEL) == c.MANAGED_BY_KARMADA_LABEL_VALUE else "N") if member else "-"
            line = cells[:1] + [cluster] + cells[1:] + [adoption]
            if namespaced_all:
                line = [((row.get("object") or {}).get("metadata") or {}).get("namespace", "")] + line
            rows.append(line)
    if not rows:
        return ""
    lines = rows if no_headers else [header] + rows
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in lines)


class OutputFormat(click.ParamType):
    """kubectl's ``-o``: wide, json, yaml, name, jsonpath=TEMPLATE (or a table by default)."""

    name = "format"
    CHOICES = ("", "wide", "json", "yaml", "name")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if value in self.CHOICES or str(value).startswith("jsonpath="):
            return str(value)
        self.fail(f'unable to match a printer suitable for the output format "{value}", allowed formats are: json,jsonpath,name,wide,yaml', param, ctx)


def print_objects(objects: list[dict[str, Any]], output: str, *, single: bool) -> str:
    """Objects as kubectl prints them for -o json|yaml|name|jsonpath: one named object as itself,
    anything else as a v1 List."""
    if output == "name":
        return "\n".join(f"{o['kind'].lower()}{'.' + o['apiVersion'].split('/')[0] if '/' in o['apiVersion'] else ''}/{o['metadata']['name']}" for o in objects)
    doc: dict[str, Any] = objects[0] if single and len(objects) == 1 else {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}
    if output == "json":
        return json.dumps(doc, indent=4)
    if output == "yaml":
        return yaml.safe_dump(doc, sort_keys=False).rstrip("\n")
    template = output.split("=", 1)[1]
    try:
        return jsonpath.render(template, doc)
    except jsonpath.JSONPathError as e:
        raise click.ClickException(f"error executing jsonpath {template!r}: {e}") from None


@click.command("get")
@click.argument("resource", shell_complete=resource_types)
@click.argument("names", nargs=-1)
@click.option("-s", "--operation-scope", type=click.Choice(["karmada", "members", "all"]), default="karmada", show_default=True)
@click.option("-C", "--clusters", "clusters", default="", shell_complete=cluster_names, help="Comma-separated member clusters (members/all scopes; default all).")
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("-l", "--labels", "--selector", "selector", default="", help="Label selector.")
@click.option("--field-selector", default="", help="Field selector (key1=value1,key2!=value2).")
@click.option("-o", "--output", type=OutputFormat(), default="", help="wide, json, yaml, name or jsonpath=TEMPLATE.")
@click.option("-w", "--watch", is_flag=True, help="After listing, watch for changes.")
@click.option("--watch-only", is_flag=True, help="Watch for changes without listing first.")
@click.option("--output-watch-events", is_flag=True, help="Print the event type (ADDED, MODIFIED, DELETED) of each watched change.")
@click.option("--no-headers", is_flag=True)
@click.option("--ignore-not-found", is_flag=True)
@control_plane_options(namespace=True)
def get(resource: str, names: tuple[str, ...], operation_scope: str, clusters: str, namespace: str, all_namespaces: bool, selector: str,
        field_selector: str, output: str, watch: bool, watch_only: bool, output_watch_events: bool, no_headers: bool, ignore_not_found: bool,
        kubeconfig: str, karmada_context: str) -> None:
    """Display one or many resources in the control plane and member clusters."""
    conn = load(kubeconfig, karmada_context, "control plane")
    ns = None if all_namespaces else namespace
    query = Query(ns, names, selector, field_selector, ignore_not_found)
    tabular = output in ("", "wide")

    async def targets(cp: KubeClient) -> tuple[ResourceInfo, list[tuple[str, str, bool]]]:
        """The resource and (cluster label, path prefix, is a member) per place to read."""
        info, _ = await resolve_resource(cp, resource)
        wanted = [x for x in clusters.split(",") if x]
        if operation_scope != "karmada" and not wanted:
            wanted = [item["metadata"]["name"] for item in (await cp.list(c.CLUSTERS_PATH))["items"]]
        places = [("Karmada", "", False)] if operation_scope in ("karmada", "all") else []
        for cluster in wanted if operation_scope in ("members", "all") else []:
            prefix = PROXY.format(cluster)
            try:
                await cp.get(prefix + "/api")
            except ApiError as e:
                raise click.ClickException(f"cluster({cluster}) is inaccessible, please check authorization or network: {e.message or e.reason}") from None
            places.append((cluster, prefix, True))
        return info, places

    async def run() -> None:
        async with KubeClient(conn) as cp:
            info, places = await targets(cp)
            if not watch_only:
                if tabular:
                    tables = [(label, t, member) for label, prefix, member in places for t in await _collect(cp, prefix, info, query)]
                    text = render(tables, wide=output == "wide", no_headers=no_headers, namespaced_all=all_namespaces)
                    if text:
                        click.echo(text)
                    elif not ignore_not_found and not watch:
                        click.echo("No resources found" + ("" if all_namespaces else f" in {namespace} namespace") + ".", err=True)
                else:
                    objects = [o for _, prefix, _ in places for o in await _objects(cp, prefix, info, query)]
                    if objects or not ignore_not_found:
                        click.echo(print_objects(objects, output, single=len(names) == 1 and len(places) == 1))
            if watch or watch_only:
                await _watch(cp, info, places, query, output=output, events=output_watch_events)

    try:
        asyncio.run(run())
    except UnknownKind as e:
        raise click.ClickException(str(e)) from None
    except ApiError as e:
        raise click.ClickException(e.message or str(e)) from None
    except KeyboardInterrupt:
        pass


@dataclass(frozen=True)
class Query:
    namespace: str | None
    names: tuple[str, ...]
    selector: str
    field_selector: str
    ignore_not_found: bool

    def params(self) -> dict[str, Any]:
        return {"labelSelector": self.selector or None, "fieldSelector": self.field_selector or None}


async def _objects(client: KubeClient, prefix: str, info: ResourceInfo, q: Query) -> list[dict[str, Any]]:
    def typed(obj: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": info.api_version, "kind": info.kind, **obj}

    if not q.names:
        listing = await client.request("GET", prefix + info.path(namespace=q.namespace), params=q.params())
        return [typed(o) for o in listing.get("items") or []]
    out = []
    for name in q.names:
        try:
            out.append(typed(await client.get(prefix + info.path(namespace=q.namespace, name=name))))
        except ApiError as e:
            if not (e.not_found and (q.ignore_not_found or prefix)):
                raise
    return out


async def _watch(cp: KubeClient, info: ResourceInfo, places: list[tuple[str, str, bool]], q: Query, *, output: str, events: bool) -> None:
    """Follow every place's watch; each change is printed as a row of its cluster (or as the object)."""

    async def follow(label: str, prefix: str, member: bool) -> None:
        path = prefix + info.path(namespace=q.namespace)
        listing = await cp.request("GET", path, params={**q.params(), "limit": 1})
        last_row: dict[tuple[str, str], str] = {}  # a deleted object is printed as it last looked
        async for event in watch_events(cp, path, resource_version=listing["metadata"].get("resourceVersion"), **{k: v for k, v in q.params().items() if v}):
            meta = event.object.get("metadata") or {}
            if event.type == "BOOKMARK" or (q.names and meta.get("name") not in q.names):
                continue
            key = (meta.get("namespace", ""), meta.get("name", ""))
            if output not in ("", "wide"):
                text = print_objects([{"apiVersion": info.api_version, "kind": info.kind, **event.object}], output, single=True)
            elif event.type == "DELETED":
                text = last_row.pop(key, meta.get("name", ""))
            else:
                try:
                    row = await _table(cp, prefix, info, namespace=meta.get("namespace"), name=meta["name"], selector="")
                except ApiError:
                    continue  # gone again before we could print it: its DELETED event follows
                text = last_row[key] = render([(label, row, member)], wide=output == "wide", no_headers=True, namespaced_all=q.namespace is None)
            click.echo(f"{event.type:<10} {text}" if events else text)

    await asyncio.gather(*(follow(*place) for place in places))


async def _collect(client: KubeClient, prefix: str, info: ResourceInfo, q: Query) -> list[dict[str, Any]]:
    if not q.names:
        return [await _table(client, prefix, info, namespace=q.namespace, name=None, selector=q.selector, field_selector=q.field_selector)]
    out = []
    for name in q.names:
        try:
            out.append(await _table(client, prefix, info, namespace=q.namespace, name=name, selector=""))
        except ApiError as e:
            if not (e.not_found and (q.ignore_not_found or prefix)):
                raise
    return out
