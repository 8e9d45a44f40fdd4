"""Helpers for the scheduler-estimator and descheduler tests: calling an estimator as the
scheduler does (HTTPS with local-up's client certificate), what a member's nodes really allow,
and Deployments placed by an Aggregated policy."""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from typing import Any

import yaml

from pykarmada.karmada.estimation.fit import max_available_replicas, node_infos
from pykarmada.karmada.estimation.protocol import parse_replica_requirements
from pykarmada.localup.state import Layout
from tests.e2e.framework.env import LocalEnv

ESTIMATOR = "karmada-scheduler-estimator"


def pki(env: LocalEnv) -> Path:
    return Layout(env.state_dir).pki / "karmada"


def post(env: LocalEnv, member: str, path: str, body: Any, *, client_cert: bool = True) -> tuple[int, dict[str, Any]]:
    ctx = ssl.create_default_context(cafile=str(pki(env) / "ca.crt"))
    if client_cert:
        ctx.load_cert_chain(pki(env) / f"{ESTIMATOR}-client.crt", pki(env) / f"{ESTIMATOR}-client.key")
    conn = http.client.HTTPSConnection("localhost", env.state.ports[f"{member}/{ESTIMATOR}"], context=ctx, timeout=10)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def answers(env: LocalEnv, member: str) -> bool:
    """The member's estimator answers (it may still be starting)."""
    try:
        return post(env, member, "/v1/MaxAvailableReplicas", {"cluster": member})[0] == 200
    except OSError:
        return False


def truth(env: LocalEnv, member: str, request: dict[str, Any]) -> int:
    """What the member's nodes and pods allow, computed here from what kubectl reads."""
    nodes = env.kubectl_json("get", "nodes", context=member)["items"]
    pods = env.kubectl_json("get", "pods", "-A", "--field-selector=status.phase!=Succeeded,status.phase!=Failed", context=member)["items"]
    return max_available_replicas(node_infos(nodes, pods), parse_replica_requirements(request, "r"))


def apply(env: LocalEnv, *objects: dict[str, Any], context: str = "karmada-apiserver") -> None:
    env.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objects), context=context)


def deployment(name: str, namespace: str, replicas: int, cpu: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = {"app": name, **(labels or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]},
            },
        },
    }


def aggregated_policy(name: str, namespace: str, clusters: list[str], selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", **selector}],
            "placement": {
                "clusterAffinity": {"clusterNames": clusters},
                "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
            },
        },
    }


def scheduled_condition(env: LocalEnv, namespace: str, name: str) -> dict[str, Any] | None:
    proc = env.kubectl("get", "rb", f"{name}-deployment", "-n", namespace, "-o", "json", "--ignore-not-found")
    if not proc.stdout.strip():
        return None
    rb = json.loads(proc.stdout)
    cond = next((c for c in (rb.get("status") or {}).get("conditions") or [] if c["type"] == "Scheduled"), None)
    if cond is None:
        return None
    return {**cond, "clusters": {c["name"]: c.get("replicas", 0) for c in rb["spec"].get("clusters") or []}}
