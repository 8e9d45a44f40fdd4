"""Helpers for policy objects in e2e tests: a namespace per test, apply from files, cleanup.

Policies carry finalizers that only the controllers remove; until those run in the environment,
cleanup removes the finalizers itself so namespaces and cluster-scoped policies go away.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.framework.env import LocalEnv

TESTDATA = Path(__file__).resolve().parents[1] / "testdata"
NAMESPACED = ("propagationpolicies", "overridepolicies", "resourcebindings", "works")
CLUSTER_SCOPED = ("clusterpropagationpolicies", "clusteroverridepolicies", "clusterresourcebindings")


def _drop_finalizers_and_delete(env: LocalEnv, resource: str, name: str, namespace: str | None = None) -> None:
    ns = ["-n", namespace] if namespace else []
    patch = json.dumps({"metadata": {"finalizers": None}})
    env.kubectl("patch", resource, name, *ns, "--type=merge", "-p", patch, check=False)
    env.kubectl("delete", resource, name, *ns, "--ignore-not-found", "--wait=false", check=False)


@contextmanager
def scratch_namespace(env: LocalEnv, prefix: str = "pw") -> Iterator[str]:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    env.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        for resource in NAMESPACED:
            out = env.kubectl("get", resource, "-n", name, "-o", "name", check=False).stdout.split()
            for item in out:
                _drop_finalizers_and_delete(env, resource, item.split("/", 1)[1], name)
        env.kubectl("delete", "namespace", name, "--wait=false", check=False)


def delete_cluster_scoped(env: LocalEnv, resource: str, name: str) -> None:
    _drop_finalizers_and_delete(env, resource, name)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def header(path: Path) -> dict[str, str]:
    """The ``# key: value`` comment lines at the top of a testdata file."""
    out = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        out[key.strip()] = value.strip()
    return out
