"""``top node|pod``: resource usage in member clusters, read from each member's ``metrics.k8s.io``
through the cluster proxy, as one table with upstream's columns (a CLUSTER column after NAME). A
member that serves no metrics API (no metrics-server) is named in one line on stderr; the others
are still shown, and the exit code is non-zero when any cluster failed."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import click

from pykarmada.karmada import constants as c
from pykarmada.karmadactl.commands.completion import cluster_names
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError
from pykarmada.kube.quantity import parse_quantity

PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"
METRICS = "/apis/metrics.k8s.io/v1beta1"
POD_COLUMNS = ["NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"]
NODE_COLUMNS = ["NAME", "CLUSTER", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]


def cpu_text(cores: float) -> str:
    return f"{int(round(cores * 1000))}m"


def memory_text(nbytes: float) -> str:
    return f"{int(nbytes // (1024 * 1024))}Mi"


def _usage(container_or_node: dict[str, Any]) -> tuple[float, float]:
    usage = container_or_node.get("usage") or {}
    return float(parse_quantity(usage.get("cpu", "0"))), float(parse_quantity(usage.get("memory", "0")))


def table(rows: list[list[str]], header: list[str], *, no_headers: bool) -> str:
    lines = rows if no_headers else [header, *rows]
    if not lines:
        return ""
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in lines)


async def _clusters(cp: KubeClient, wanted: list[str]) -> list[str]:
    known = sorted(x["metadata"]["name"] for x in (await cp.list(c.CLUSTERS_PATH))["items"])
    if missing := [w for w in wanted if w not in known]:
        raise click.ClickException(f"cluster(s) {', '.join(missing)} not found")
    return wanted or known


async def _per_cluster(conn: Connection, clusters: list[str], fetch: Any) -> tuple[list[tuple[str, Any]], list[str]]:
    """``fetch(client)`` in every cluster; results, and one error line per cluster that failed."""

    async def one(cluster: str) -> tuple[str, Any, str | None]:
        async with KubeClient(dataclasses.replace(conn, server=conn.server + PROXY.format(cluster))) as member:
            try:
                return cluster, await fetch(member), None
            except ApiError as e:
                if e.status == 404 or (e.status == 503 and "metrics" in (e.message or "")):
                    return cluster, None, f"cluster({cluster}): Metrics API not available (is metrics-server installed in the member?)"
                return cluster, None, f"cluster({cluster}): {e.message or e.reason}"

    results = await asyncio.gather(*(one(x) for x in clusters))
    return [(x, r) for x, r, err in results if err is None], [err for _, _, err in results if err]


def _finish(text: str, errors: list[str]) -> None:
    if text:
        click.echo(text)
    for line in errors:
        click.echo(f"error: {line}", err=True)
    if errors:
        raise SystemExit(1)


@click.group("top", context_settings={"help_option_names": ["-h", "--help"]})
def top() -> None:
    """Display resource (CPU/memory) usage of member clusters."""


def _sort(rows: list[tuple[list[str], float, float]], sort_by: str) -> list[list[str]]:
    if sort_by not in ("", "cpu", "memory"):
        raise click.UsageError("--sort-by accepts only cpu or memory")
    if sort_by:
        rows = sorted(rows, key=lambda r: r[1] if sort_by == "cpu" else r[2], reverse=True)
    return [r[0] for r in rows]


@top.command("node")
@click.argument("name", required=False)
@click.option("--clusters", "-C", default="", shell_complete=cluster_names, help="Comma-separated member clusters (default all).")
@click.option("-l", "--selector", default="", help="Label selector.")
@click.option("--sort-by", default="", help="cpu or memory.")
@click.option("--no-headers", is_flag=True)
@click.option("--show-capacity", is_flag=True, help="Percentages of capacity instead of allocatable.")
@control_plane_options()
def top_node(name: str | None, clusters: str, selector: str, sort_by: str, no_headers: bool, show_capacity: bool, kubeconfig: str, karmada_context: str) -> None:
    """Display resource usage of nodes in member clusters."""
    conn = load(kubeconfig, karmada_context, "control plane")

    async def fetch(member: KubeClient) -> Any:
        path = f"{METRICS}/nodes" + (f"/{name}" if name else "")
        metrics = await member.request("GET", path, params={"labelSelector": selector or None})
        nodes = {n["metadata"]["name"]: n for n in (await member.list("/api/v1/nodes"))["items"]}
        return ([metrics] if name else metrics.get("items") or []), nodes

    async def run() -> tuple[str, list[str]]:
        async with KubeClient(conn) as cp:
            found, errors = await _per_cluster(conn, await _clusters(cp, [x for x in clusters.split(",") if x]), fetch)
        rows = []
        for cluster, (items, nodes) in found:
            for m in items:
                cpu, mem = _usage(m)
                node = nodes.get(m["metadata"]["name"]) or {}
                base = (node.get("status") or {}).get("capacity" if show_capacity else "allocatable") or {}
                cap_cpu, cap_mem = float(parse_quantity(base.get("cpu", "0"))), float(parse_quantity(base.get("memory", "0")))
                pct = lambda used, total: f"{int(used * 100 / total)}%" if total else "<unknown>"  # noqa: E731
                rows.append(([m["metadata"]["name"], cluster, cpu_text(cpu), pct(cpu, cap_cpu), memory_text(mem), pct(mem, cap_mem)], cpu, mem))
        return table(_sort(rows, sort_by), NODE_COLUMNS, no_headers=no_headers), errors

    _finish(*asyncio.run(run()))


@top.command("pod")
@click.argument("name", required=False)
@click.option("-C", "--clusters", default="", shell_complete=cluster_names, help="Comma-separated member clusters (default all).")
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("-l", "--selector", default="", help="Label selector.")
@click.option("--field-selector", default="", help="Field selector.")
@click.option("--sort-by", default="", help="cpu or memory.")
@click.option("--containers", is_flag=True, help="Print usage of containers within a pod.")
@click.option("--sum", "show_sum", is_flag=True, help="Print the sum of the resource usage.")
@click.option("--no-headers", is_flag=True)
@control_plane_options(namespace=True)
def top_pod(name: str | None, clusters: str, all_namespaces: bool, selector: str, field_selector: str, sort_by: str, containers: bool,
            show_sum: bool, no_headers: bool, namespace: str, kubeconfig: str, karmada_context: str) -> None:
    """Display resource usage of pods in member clusters."""
    if name and selector:
        raise click.UsageError("only one of NAME or selector can be provided")
    conn = load(kubeconfig, karmada_context, "control plane")

    async def fetch(member: KubeClient) -> Any:
        base = f"{METRICS}/pods" if all_namespaces else f"{METRICS}/namespaces/{namespace}/pods"
        if name:
            return [await member.get(f"{base}/{name}")]
        return (await member.request("GET", base, params={"labelSelector": selector or None, "fieldSelector": field_selector or None})).get("items") or []

    async def run() -> tuple[str, list[str]]:
        async with KubeClient(conn) as cp:
            found, errors = await _per_cluster(conn, await _clusters(cp, [x for x in clusters.split(",") if x]), fetch)
        rows, total_cpu, total_mem = [], 0.0, 0.0
        for cluster, items in found:
            for m in items:
                parts = [(ctr.get("name", ""), *_usage(ctr)) for ctr in m.get("containers") or []]
                cpu, mem = sum(p[1] for p in parts), sum(p[2] for p in parts)
                total_cpu, total_mem = total_cpu + cpu, total_mem + mem
                lead = [m["metadata"].get("namespace", "")] if all_namespaces else []
                if containers:
                    rows += [([*lead, m["metadata"]["name"], ctr, cluster, cpu_text(cc), memory_text(cm)], cc, cm) for ctr, cc, cm in parts]
                else:
                    rows.append(([*lead, m["metadata"]["name"], cluster, cpu_text(cpu), memory_text(mem)], cpu, mem))
        header = (["NAMESPACE"] if all_namespaces else []) + (["POD"] if containers else []) + POD_COLUMNS
        body = _sort(rows, sort_by)
        if show_sum and body:
            pad = len(header) - 2
            body += [["" for _ in range(pad)] + ["________", "________"], ["" for _ in range(pad)] + [cpu_text(total_cpu), memory_text(total_mem)]]
        return table(body, header, no_headers=no_headers), errors

    _finish(*asyncio.run(run()))
