"""Helpers for cluster failover tests: taints on Clusters (restored afterwards), ClusterTaintPolicies
(deleted afterwards) and a Deployment with its PropagationPolicy, read back as the binding sees it."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import yaml

from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.propagation import get, works


def taints(env: LocalEnv, cluster: str) -> list[dict[str, Any]]:
    return env.kubectl_json("get", "cluster", cluster)["spec"].get("taints") or []


def has_taint(env: LocalEnv, cluster: str, key: str) -> dict[str, Any] | None:
    return next((t for t in taints(env, cluster) if t["key"] == key), None)


def cp_flags(env: LocalEnv) -> list[str]:
    return [f"--kubeconfig={env.karmada_kubeconfig}", "--karmada-context=karmada-apiserver"]


@contextmanager
def tainted(env: LocalEnv, cluster: str, taint: str) -> Iterator[str]:
    """``karmadactl taint clusters <cluster> <taint>`` (key[=value]:Effect), removed afterwards;
    yields the command's output."""
    key_effect = taint.split("=")[0].split(":")[0] + ":" + taint.rsplit(":", 1)[1]
    out = karmadactl("taint", "clusters", cluster, taint, *cp_flags(env)).stdout
    try:
        yield out
    finally:
        if has_taint(env, cluster, key_effect.split(":")[0]):
            karmadactl("taint", "clusters", cluster, f"{key_effect}-", *cp_flags(env))


def ctp_yaml(name: str, spec: dict[str, Any]) -> str:
    return yaml.safe_dump({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": name}, "spec": spec})


@contextmanager
def cluster_taint_policy(env: LocalEnv, name: str, spec: dict[str, Any]) -> Iterator[None]:
    """A ClusterTaintPolicy; afterwards it is deleted and the taints it names are taken off every
    cluster (deleting a policy leaves its taints, as upstream)."""
    env.kubectl("apply", "-f", "-", input=ctp_yaml(name, spec))
    try:
        yield
    finally:
        env.kubectl("delete", "clustertaintpolicy", name, "--ignore-not-found", check=False)
        keys = {(t["key"], t["effect"]) for t in spec["taints"]}
        for member in env.state.members:
            current = taints(env, member)
            kept = [t for t in current if (t["key"], t["effect"]) not in keys]
            if kept != current:
                env.kubectl("patch", "cluster", member, "--type=merge", "-p", json.dumps({"spec": {"taints": kept or None}}))


def binding(env: LocalEnv, namespace: str, name: str) -> dict[str, Any]:
    found = get(env, "resourcebinding", f"{name}-deployment", namespace)
    assert found is not None, f"no binding for {namespace}/{name}"
    return found


def targets(b: dict[str, Any]) -> dict[str, int]:
    return {c["name"]: c.get("replicas", 0) for c in b["spec"].get("clusters") or []}


def tasks(b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["fromCluster"]: t for t in b["spec"].get("gracefulEvictionTasks") or []}


def healthy(b: dict[str, Any], cluster: str) -> bool:
    return any(i["clusterName"] == cluster and i.get("health") == "Healthy" for i in (b.get("status") or {}).get("aggregatedStatus") or [])


def work_clusters(env: LocalEnv, namespace: str, name: str) -> set[str]:
    """Clusters holding a live (not deleting) Work of Deployment ``namespace/name``."""
    return set(works(env, "Deployment", name, namespace))


class History:
    """Every version of the objects a ``kubectl get --watch`` sees, in order. A graceful eviction
    task, and the labels it injects, can live for a fraction of a second (kwok makes the new copy
    healthy fast), too short for polling to catch."""

    def __init__(self, env: LocalEnv, *target: str, namespace: str, context: str = "karmada-apiserver") -> None:
        config = env.karmada_kubeconfig if context == "karmada-apiserver" else env.members_kubeconfig
        cmd = [str(env.kubectl_path), "--kubeconfig", config, "--context", context, "get", *target, "-n", namespace, "--watch", "-o", "json"]
        self.versions: list[dict[str, Any]] = []
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        decoder, buffer = json.JSONDecoder(), ""
        for line in self._proc.stdout:
            buffer += line
            while buffer.strip():
                try:
                    obj, end = decoder.raw_decode(buffer.lstrip())
                except json.JSONDecodeError:
                    break  # the object goes on in the next lines
                self.versions.append(obj)
                buffer = buffer.lstrip()[end:]

    def first(self, predicate: Any) -> dict[str, Any] | None:
        return next((v for v in list(self.versions) if predicate(v)), None)

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._reader.join(timeout=10)


@contextmanager
def history(env: LocalEnv, *target: str, namespace: str, context: str = "karmada-apiserver") -> Iterator[History]:
    """``target``: kubectl's ``TYPE [NAME]``; without a name, every object of the type in ``namespace``."""
    recorded = History(env, *target, namespace=namespace, context=context)
    try:
        yield recorded
    finally:
        recorded.stop()


def binding_history(env: LocalEnv, namespace: str, name: str) -> AbstractContextManager[History]:
    """The versions of Deployment ``name``'s ResourceBinding."""
    return history(env, "resourcebinding", f"{name}-deployment", namespace=namespace)
