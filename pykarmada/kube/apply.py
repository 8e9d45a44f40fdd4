"""Server-side apply of manifests: the same operation as ``kubectl apply --server-side``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import RESTMapper


def load_manifests(path: Path) -> list[dict[str, Any]]:
    """Every object in a YAML file, or in the ``*.yaml`` files of a directory (sorted by name)."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    docs: list[dict[str, Any]] = []
    for f in files:
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return docs


async def apply_objects(
    client: KubeClient, mapper: RESTMapper, objects: Iterable[dict[str, Any]], *, field_manager: str
) -> list[dict[str, Any]]:
    """Apply each object in order (force: this manager owns the fields it sets)."""
    applied = []
    for obj in objects:
        info = await mapper.lookup(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata") or {}
        path = info.path(namespace=meta.get("namespace") or "default", name=meta["name"])
        applied.append(
            await client.patch(path, json.dumps(obj), patch_type="apply", fieldManager=field_manager, force=True)
        )
    return applied
