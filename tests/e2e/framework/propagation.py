"""Helpers for the control-plane side of propagation: bindings, Works and their manifests, read
with the real kubectl from the control plane."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pykarmada.karmada.names import execution_namespace, work_name
from tests.e2e.framework.env import LocalEnv

SAMPLES = Path(__file__).resolve().parents[1] / "testdata" / "samples"


def sample(name: str) -> dict[str, Any]:
    return yaml.safe_load((SAMPLES / name).read_text())


def deployment(name: str, namespace: str, replicas: int = 1) -> dict[str, Any]:
    """A Deployment of ``replicas`` nginx pods labelled ``app: <name>``."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": "nginx"}]}}},
    }  # fmt: skip


@contextmanager
def namespace(env: LocalEnv, prefix: str = "cp") -> Iterator[str]:
    """A namespace of its own; deleting it lets the controllers clean up as they would for a
    user (finalizers are never stripped here)."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    env.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        env.kubectl("delete", "namespace", name, "--wait=false", check=False)


def nginx_override(name: str, cluster: str, overriders: dict[str, Any]) -> dict[str, Any]:
    """An OverridePolicy for Deployment ``nginx`` with one rule for ``cluster``."""
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": name},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
            "overrideRules": [{"targetCluster": {"clusterNames": [cluster]}, "overriders": overriders}],
        },
    }


@contextmanager
def cluster_role_propagated(env: LocalEnv, name: str, cluster: str = "member1") -> Iterator[None]:
    """A ClusterRole ``name`` and a ClusterPropagationPolicy of the same name sending it to
    ``cluster``; both deleted afterwards."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    cpp = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterPropagationPolicy",
        "metadata": {"name": name},
        "spec": {"resourceSelectors": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": name}], "placement": {"clusterAffinity": {"clusterNames": [cluster]}}},
    }
    apply(env, None, role, cpp)
    try:
        yield
    finally:
        env.kubectl("delete", "clusterpropagationpolicy", name, "--ignore-not-found", "--timeout=60s", check=False)
        env.kubectl("delete", "clusterrole", name, "--ignore-not-found", check=False)


def apply(env: LocalEnv, namespace: str | None, *objects: dict[str, Any]) -> None:
    ns = ["-n", namespace] if namespace else []
    env.kubectl("apply", *ns, "-f", "-", input=yaml.safe_dump_all(objects))


def get(env: LocalEnv, resource: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
    ns = ["-n", namespace] if namespace else []
    proc = env.kubectl("get", resource, name, *ns, "-o", "json", "--ignore-not-found")
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def works(env: LocalEnv, kind: str, name: str, namespace: str = "") -> dict[str, dict[str, Any]]:
    """The template's Works by cluster (same name in every execution namespace)."""
    wname = work_name(kind, name, namespace)
    out = {}
    for member in env.state.members:
        work = get(env, "work", wname, execution_namespace(member))
        if work is not None and not work["metadata"].get("deletionTimestamp"):
            out[member] = work
    return out


def manifest(work: dict[str, Any]) -> dict[str, Any]:
    return work["spec"]["workload"]["manifests"][0]


def work_replicas(env: LocalEnv, kind: str, name: str, namespace: str) -> dict[str, int]:
    return {c: manifest(w)["spec"].get("replicas") for c, w in works(env, kind, name, namespace).items()}


def scheduled(binding: dict[str, Any] | None) -> dict[str, int] | None:
    """``spec.clusters`` as {cluster: replicas} once the Scheduled condition is True."""
    if binding is None:
        return None
    cond = next((c for c in (binding.get("status") or {}).get("conditions") or [] if c["type"] == "Scheduled"), None)
    if not cond or cond["status"] != "True":
        return None
    return {c["name"]: c.get("replicas", 0) for c in binding["spec"].get("clusters") or []}


def events(env: LocalEnv, namespace: str, kind: str, name: str) -> list[dict[str, Any]]:
    items = env.kubectl_json("get", "events", "-n", namespace)["items"]
    return [e for e in items if e["involvedObject"].get("kind") == kind and e["involvedObject"].get("name") == name]
