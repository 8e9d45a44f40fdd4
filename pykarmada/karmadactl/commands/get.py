"""``get``: list objects in the control plane and/or in member clusters (through the cluster
proxy), as one table with a CLUSTER column after NAME and a final ADOPTION column (``Y`` when the
member object carries ``karmada.io/managed=true``, ``N`` otherwise, ``-`` for control-plane rows)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from pykarmada.karmada import constants as c
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import ResourceInfo, UnknownKind, resolve_resource
from pykarmada.kube.errors import ApiError

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"


def _row_labels(row: dict[str, Any]) -> dict[str, str]:
    return ((row.get("object") or {}).get("metadata") or {}).get("labels") or {}


async def _table(client: KubeClient, prefix: str, info: ResourceInfo, *, namespace: str | None, name: str | None, selector: str) -> dict[str, Any]:
    path = prefix + info.path(namespace=namespace if info.namespaced else None, name=name)
    params = {"labelSelector": selector or None, "includeObject": "Metadata"}
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


@click.command("get")
@click.argument("resource")
@click.argument("names", nargs=-1)
@click.option("-s", "--operation-scope", type=click.Choice(["karmada", "members", "all"]), default="karmada", show_default=True)
@click.option("-C", "--clusters", "clusters", default="", help="Comma-separated member clusters (members/all scopes; default all).")
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("-l", "--labels", "selector", default="", help="Label selector.")
@click.option("-o", "--output", type=click.Choice(["", "wide", "json"]), default="")
@click.option("--no-headers", is_flag=True)
@click.option("--ignore-not-found", is_flag=True)
@control_plane_options(namespace=True)
def get(resource: str, names: tuple[str, ...], operation_scope: str, clusters: str, namespace: str, all_namespaces: bool, selector: str, output: str, no_headers: bool, ignore_not_found: bool, kubeconfig: str, karmada_context: str) -> None:
    """Display one or many resources in the control plane and member clusters."""
    conn = load(kubeconfig, karmada_context, "control plane")
    ns = None if all_namespaces else namespace

    async def run() -> list[tuple[str, dict[str, Any], bool]]:
        async with KubeClient(conn) as cp:
            info, _ = await resolve_resource(cp, resource)
            wanted = [x for x in clusters.split(",") if x]
            if operation_scope != "karmada" and not wanted:
                wanted = [item["metadata"]["name"] for item in (await cp.list(c.CLUSTERS_PATH))["items"]]
            results: list[tuple[str, dict[str, Any], bool]] = []
            if operation_scope in ("karmada", "all"):
                results += [("Karmada", t, False) for t in await _collect(cp, "", info, ns, names, selector, ignore_not_found)]
            if operation_scope in ("members", "all"):
                for cluster in wanted:
                    prefix = PROXY.format(cluster)
                    try:
                        await cp.get(prefix + "/api")
                    except ApiError as e:
                        raise click.ClickException(f"cluster({cluster}) is inaccessible, please check authorization or network: {e.message or e.reason}") from None
                    results += [(cluster, t, True) for t in await _collect(cp, prefix, info, ns, names, selector, ignore_not_found)]
            return results

    try:
        tables = asyncio.run(run())
    except UnknownKind as e:
        raise click.ClickException(str(e)) from None
    except ApiError as e:
        raise click.ClickException(e.message or str(e)) from None
    if output == "json":
        click.echo(json.dumps([{"cluster": cl, "rows": t.get("rows", [])} for cl, t, _ in tables], indent=2))
        return
    text = render(tables, wide=output == "wide", no_headers=no_headers, namespaced_all=all_namespaces)
    if text:
        click.echo(text)
    elif not ignore_not_found:
        click.echo("No resources found" + ("" if all_namespaces else f" in {namespace} namespace") + ".", err=True)


async def _collect(client: KubeClient, prefix: str, info: ResourceInfo, ns: str | None, names: tuple[str, ...], selector: str, ignore_not_found: bool) -> list[dict[str, Any]]:
    if not names:
        return [await _table(client, prefix, info, namespace=ns, name=None, selector=selector)]
    out = []
    for name in names:
        try:
            out.append(await _table(client, prefix, info, namespace=ns, name=name, selector=""))
        except ApiError as e:
            if not (e.not_found and (ignore_not_found or prefix)):
                raise
    return out
