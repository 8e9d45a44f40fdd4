"""``describe``: kubectl's describe, of the control plane or (``-s members -C <c>``) of a member
through the proxy, as upstream's. For one resource template of the control plane it adds a
``Propagation`` section: why it is, or is not, propagated: the policy that claimed it, its binding,
the scheduling result and the capacity the scheduler estimated for each cluster, per member cluster
the Work's conditions and health, and the clusters being left (graceful eviction tasks: why, by
whom, and what the old copy waits for)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from pykarmada.karmada import constants as c
from pykarmada.karmada.names import binding_name, execution_namespace, work_name
from pykarmada.karmadactl.commands.kubeconfig import context_namespace, load
from pykarmada.karmadactl.commands.kubectl_verbs import CLUSTER_C, SCOPE, Flag, Invocation, KubectlVerb, split_args
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition
from pykarmada.kube.discovery import UnknownKind, resolve_resource
from pykarmada.kube.errors import ApiError


def _cond(obj: dict[str, Any] | None, type_: str) -> str:
    cond = get_condition(((obj or {}).get("status") or {}).get("conditions"), type_)
    if cond is None:
        return "<none>"
    text = f"{cond.get('status')} ({cond.get('reason', '')})"
    return text + (f": {cond['message']}" if cond.get("message") else "")


def _capacity(binding: dict[str, Any]) -> dict[str, Any]:
    raw = ((binding.get("metadata") or {}).get("annotations") or {}).get(c.ESTIMATED_CAPACITY_ANNOTATION)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _eviction(task: dict[str, Any]) -> str:
    """Why and how a cluster is being left: reason and producer, purge mode, and what it waits for."""
    text = f"{task.get('reason', '')} (by {task.get('producer', '')}), purgeMode={task.get('purgeMode', '')}"
    if task.get("replicas"):
        text += f" replicas={task['replicas']}"
    if task.get("suppressDeletion"):
        text += ", kept until suppressDeletion is set to false"
    elif task.get("purgeMode") == "Gracefully":
        grace = f" or {task['gracePeriodSeconds']}s" if task.get("gracePeriodSeconds") else ""
        text += f", the old copy stays until the new placement is healthy{grace}"
    if task.get("creationTimestamp"):
        text += f", since {task['creationTimestamp']}"
    return text + (f": {task['message']}" if task.get("message") else "")


def render(template: dict[str, Any], binding: dict[str, Any] | None, works: dict[str, dict[str, Any] | None]) -> str:
    meta = template["metadata"]
    labels, ann = meta.get("labels") or {}, meta.get("annotations") or {}
    lines = [f"Name:         {meta['name']}"]
    if meta.get("namespace"):
        lines.append(f"Namespace:    {meta['namespace']}")
    lines.append(f"Kind:         {template.get('kind')} ({template.get('apiVersion')})")
    if ann.get(c.PROPAGATION_POLICY_NAME_ANNOTATION):
        policy = f"PropagationPolicy {ann.get(c.PROPAGATION_POLICY_NAMESPACE_ANNOTATION, '')}/{ann[c.PROPAGATION_POLICY_NAME_ANNOTATION]}"
    elif ann.get(c.CLUSTER_PROPAGATION_POLICY_ANNOTATION):
        policy = f"ClusterPropagationPolicy {ann[c.CLUSTER_PROPAGATION_POLICY_ANNOTATION]}"
    else:
        policy = "<none>"
    lines.append(f"Policy:       {policy}")
    if binding is None:
        why = "no PropagationPolicy or ClusterPropagationPolicy selects it" if policy == "<none>" else "its binding does not exist (yet)"
        lines.append(f"Propagation:  not propagated: {why}")
        return "\n".join(lines)
    bmeta = binding["metadata"]
    where = f"{bmeta.get('namespace')}/" if bmeta.get("namespace") else ""
    lines.append(f"Binding:      {binding.get('kind')} {where}{bmeta['name']}")
    lines.append(f"Scheduled:    {_cond(binding, 'Scheduled')}")
    lines.append(f"FullyApplied: {_cond(binding, 'FullyApplied')}")
    targets = (binding.get("spec") or {}).get("clusters") or []
    lines.append("Clusters:" + ("     <none>" if not targets else ""))
    health = {i.get("clusterName"): i.get("health", "Unknown") for i in (binding.get("status") or {}).get("aggregatedStatus") or []}
    for t in targets:
        name = t["name"]
        replicas = f" replicas={t['replicas']}" if "replicas" in t else ""
        work = works.get(name)
        applied = _cond(work, "Applied") if work is not None else "<no Work yet>"
        lines.append(f"  {name}:{replicas} health={health.get(name, 'Unknown')} Applied={applied}")
    capacity = _capacity(binding)
    if capacity:
        lines.append("Capacity:     " + ", ".join(f"{name}={value}" for name, value in sorted(capacity.items())) + " (replicas each cluster could hold, estimated when scheduled)")
    tasks = (binding.get("spec") or {}).get("gracefulEvictionTasks") or []
    if tasks:
        lines.append("Evicting:")
    for task in tasks:
        lines.append(f"  {task.get('fromCluster')}: {_eviction(task)}")
    if labels.get(c.RETAIN_REPLICAS_LABEL):
        lines.append(f"Note:         {c.RETAIN_REPLICAS_LABEL}={labels[c.RETAIN_REPLICAS_LABEL]}")
    return "\n".join(lines)


NAMESPACE = Flag("namespace", "--namespace", "-n")


def _one_object(inv: Invocation) -> tuple[str, str, str | None] | None:
    """(resource, name, namespace flag) when the describe named exactly one object, else None."""
    flags, rest = split_args(inv.rest, [NAMESPACE])
    if any(a.startswith("-") for a in rest):
        return None  # selectors, files, -A ...: kubectl's output alone
    if len(rest) == 1 and "/" in rest[0]:
        rest = rest[0].split("/", 1)
    if len(rest) != 2:
        return None
    return rest[0], rest[1], flags.get("namespace")


async def _propagation(conn: Any, resource: str, name: str, namespace: str) -> str:
    async with KubeClient(conn) as cp:
        info, _ = await resolve_resource(cp, resource)
        ns = namespace if info.namespaced else None
        template = await cp.get(info.path(namespace=ns, name=name))
        rb_name = binding_name(info.kind, name)
        path = (
            f"/apis/work.karmada.io/v1alpha2/namespaces/{ns}/resourcebindings/{rb_name}"
            if ns
            else f"/apis/work.karmada.io/v1alpha2/clusterresourcebindings/{rb_name}"
        )
        try:
            binding = await cp.get(path)
        except ApiError as e:
            if not e.not_found:
                raise
            binding = None
        works: dict[str, dict[str, Any] | None] = {}
        for target in ((binding or {}).get("spec") or {}).get("clusters") or []:
            w = work_name(info.kind, name, ns or "")
            try:
                works[target["name"]] = await cp.get(f"/apis/work.karmada.io/v1alpha1/namespaces/{execution_namespace(target['name'])}/works/{w}")
            except ApiError as e:
                if not e.not_found:
                    raise
                works[target["name"]] = None
        return render(template, binding, works)


def propagation_section(inv: Invocation, cluster: str | None) -> None:
    """After kubectl's describe of one control-plane object: how it is propagated."""
    target = _one_object(inv) if cluster is None else None
    if target is None:
        return
    resource, name, namespace = target
    conn = load(inv.kubeconfig, inv.karmada_context, "control plane")
    namespace = namespace or inv.given.namespace or context_namespace(inv.kubeconfig, inv.karmada_context)
    try:
        text = asyncio.run(_propagation(conn, resource, name, namespace))
    except (UnknownKind, ApiError):
        return  # kubectl described it; what we cannot add is not an error
    click.echo("Propagation:")
    click.echo("\n".join("  " + line for line in text.splitlines()))


describe = KubectlVerb(
    ["describe"], [SCOPE, CLUSTER_C],
    "Show details of a resource of the control plane (with how a template is propagated) or of a member cluster.",
    after=propagation_section,
)
