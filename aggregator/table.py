"""Server-side printing: the ``Table`` that ``kubectl get clusters`` shows, and the default table
(``Name``, ``Created At``) of resources without printer columns (ResourceRegistry)."""

from __future__ import annotations

import datetime
from typing import Any

COLUMNS = [
    ("Name", "name", 0, "Name must be unique within a namespace."),
    ("Version", "", 0, "KubernetesVersion represents version of the member cluster."),
    ("Mode", "", 0, "SyncMode describes how a cluster syncs resources from karmada control plane."),
    ("Ready", "", 0, "The aggregate readiness state of this cluster for accepting workloads."),
    ("Age", "", 0, "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ("Zones", "", 1, "Zones represents the failure zones of the member cluster."),
    ("Region", "", 1, "Region represents the region of the member cluster locate in."),
    ("Provider", "", 1, "Provider represents the cloud provider name of the member cluster."),
    ("API-Endpoint", "", 1, "The API endpoint of the member cluster."),
    ("Proxy-URL", "", 1, "ProxyURL is the proxy URL for the cluster."),
]


def human_age(timestamp: str | None, now: datetime.datetime | None = None) -> str:
    """kubectl's short duration: 45s, 5m, 3h, 2d, 3y..."""
    if not timestamp:
        return "<unknown>"
    try:
        created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<unknown>"
    seconds = int(((now or datetime.datetime.now(datetime.timezone.utc)) - created).total_seconds())
    if seconds < 0:
        return "<invalid>"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


def _ready(obj: dict[str, Any]) -> str:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") or "Unknown"
    return "Unknown"


def row_cells(obj: dict[str, Any]) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    meta = obj.get("metadata") or {}
    return [
        meta.get("name", ""),
        status.get("kubernetesVersion", ""),
        spec.get("syncMode", ""),
        _ready(obj),
        human_age(meta.get("creationTimestamp")),
        ",".join(spec.get("zones") or []) or "<none>",
        spec.get("region") or "<none>",
        spec.get("provider") or "<none>",
        spec.get("apiEndpoint", ""),
        spec.get("proxyURL") or "<none>",
    ]


DEFAULT_COLUMNS = [
    ("Name", "name", 0, "Name must be unique within a namespace."),
    ("Created At", "", 0, "CreationTimestamp is a timestamp representing the server time when this object was created."),
]


def default_cells(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata") or {}
    return [meta.get("name", ""), meta.get("creationTimestamp", "")]


def build_table(
    objects: list[dict[str, Any]],
    *,
    columns: list[tuple[str, str, int, str]] = COLUMNS,
    cells: Any = row_cells,
    version: str = "v1",
    resource_version: str = "",
    continue_token: str | None = None,
    include_object: str = "Metadata",
    no_headers: bool = False,
) -> dict[str, Any]:
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": cells(obj)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": f"meta.k8s.io/{version}",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    table: dict[str, Any] = {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": meta, "rows": rows}
    if not no_headers:
        table["columnDefinitions"] = [
            {"name": name, "type": "string", "format": fmt, "description": desc, "priority": priority}
            for name, fmt, priority, desc in columns
        ]
    return table
