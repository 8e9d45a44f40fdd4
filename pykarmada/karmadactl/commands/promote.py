"""``promote TYPE NAME -C CLUSTER``: adopt an object that lives only in a member cluster. It is read
from the member (through the cluster proxy, or with ``--cluster-kubeconfig``), stripped of what the
member set itself, marked ``work.karmada.io/conflict-resolution: overwrite`` so the Work may take
over the existing member object, created in the control plane, and given a policy that keeps it in
that one cluster (``preserveResourcesOnDeletion``, ``conflictResolution: Overwrite``). With
``-d`` its dependencies (ConfigMaps, Secrets ...) are promoted too.

Unlike upstream, which creates the template and only then finds the policy name taken, every check
runs before the first write, so a refused promote leaves nothing behind."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from typing import Any

import click
import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmada.dependencies import get_dependencies
from pykarmada.karmada.names import generated_policy_name, gvk_string
from pykarmada.karmada.prune import prune_manifest
from pykarmada.karmadactl.commands.completion import cluster_names, resource_types
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.discovery import RESTMapper, ResourceInfo, UnknownKind, resolve_resource
from pykarmada.kube.errors import ApiError

PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"


def adopted(obj: dict[str, Any]) -> dict[str, Any]:
    """The member object as a template: pruned, and allowed to overwrite the member's copy."""
    out = copy.deepcopy(obj)
    prune_manifest(out)
    annotations = out["metadata"].setdefault("annotations", {})
    annotations.setdefault(c.CONFLICT_RESOLUTION_ANNOTATION, c.CONFLICT_RESOLUTION_OVERWRITE)
    return out


def promotion_policy(obj: dict[str, Any], policy_name: str, cluster: str, *, dependencies: bool) -> dict[str, Any]:
    namespace = obj["metadata"].get("namespace")
    metadata: dict[str, Any] = {"name": policy_name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": c.KIND_PROPAGATION_POLICY if namespace else c.KIND_CLUSTER_PROPAGATION_POLICY,
        "metadata": metadata,
        "spec": {
            "resourceSelectors": [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"]}],
            "placement": {"clusterAffinity": {"clusterNames": [cluster]}},
            "conflictResolution": c.CONFLICT_RESOLUTION_POLICY_OVERWRITE,
            "preserveResourcesOnDeletion": True,
            "propagateDeps": dependencies,
        },
    }


def _policy_path(policy: dict[str, Any]) -> str:
    ns = policy["metadata"].get("namespace")
    base = f"/apis/policy.karmada.io/v1alpha1/namespaces/{ns}/propagationpolicies" if ns else "/apis/policy.karmada.io/v1alpha1/clusterpropagationpolicies"
    return f"{base}/{policy['metadata']['name']}"


def _where(info: ResourceInfo, obj: dict[str, Any]) -> str:
    ns = obj["metadata"].get("namespace")
    group, _, version = info.api_version.rpartition("/")
    return f'"{group}/{version}, Resource={info.plural}"({ns + "/" if ns else ""}{obj["metadata"]["name"]})'


@click.command("promote", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("resource_type", metavar="TYPE", shell_complete=resource_types)
@click.argument("name")
@click.option("-C", "--cluster", default="", shell_complete=cluster_names, help="Name of the member cluster that holds the resource (required).")
@click.option("--cluster-kubeconfig", default="", help="Read the member with this kubeconfig instead of through the cluster proxy.")
@click.option("--cluster-context", default="", help="Context of --cluster-kubeconfig.")
@click.option("--auto-create-policy/--no-auto-create-policy", default=True, show_default=True, help="Create the policy that keeps it in the cluster.")
@click.option("--policy-name", default="", help="Name of that policy (default: generated as upstream).")
@click.option("-d", "--dependencies", is_flag=True, help="Promote its dependencies too.")
@click.option("-o", "--output", "output", default="", help="Print the template and policy (json|yaml) instead of creating them.")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@control_plane_options(namespace=True)
def promote(resource_type: str, name: str, cluster: str, cluster_kubeconfig: str, cluster_context: str, auto_create_policy: bool,
            policy_name: str, dependencies: bool, output: str, dry_run: bool, namespace: str, kubeconfig: str, karmada_context: str) -> None:
    """Promote a resource of a member cluster into the control plane, keeping it in that cluster."""
    if not cluster:
        raise click.UsageError("the cluster cannot be empty (-C/--cluster)")
    if output not in ("", "json", "yaml"):
        raise click.UsageError("invalid output format: supported formats are json and yaml")
    cp_conn = load(kubeconfig, karmada_context, "control plane")
    member_conn = (load(cluster_kubeconfig, cluster_context, f"cluster {cluster}") if cluster_kubeconfig
                   else dataclasses.replace(cp_conn, server=cp_conn.server + PROXY.format(cluster)))
    try:
        asyncio.run(_promote(cp_conn, member_conn, resource_type, name, namespace, cluster, auto_create_policy=auto_create_policy,
                             policy_name=policy_name, dependencies=dependencies, output=output, dry_run=dry_run))
    except UnknownKind as e:
        raise click.ClickException(str(e)) from None
    except ApiError as e:
        raise click.ClickException(e.message or str(e)) from None


async def _promote(cp_conn: Connection, member_conn: Connection, resource_type: str, name: str, namespace: str, cluster: str, *,
                   auto_create_policy: bool, policy_name: str, dependencies: bool, output: str, dry_run: bool) -> None:
    async with KubeClient(cp_conn) as cp, KubeClient(member_conn) as member:
        if not await cp.exists(f"{c.CLUSTERS_PATH}/{cluster}"):
            raise click.ClickException(f'cluster "{cluster}" not found: it is not joined to the control plane')
        info, _ = await resolve_resource(member, resource_type)
        ns = namespace if info.namespaced else None
        try:
            source = await member.get(info.path(namespace=ns, name=name))
        except ApiError as e:
            if e.not_found:
                raise click.ClickException(f"the {resource_type} {name} doesn't exist in cluster({cluster})") from None
            raise
        template = adopted(source)
        policy = None
        if auto_create_policy:
            pname = policy_name or generated_policy_name(ns or "", name, gvk_string(template["apiVersion"], template["kind"]))
            policy = promotion_policy(template, pname, cluster, dependencies=dependencies)
        if output:
            docs = [template] + ([policy] if policy else [])
            click.echo("\n".join(json.dumps(d, indent=4) for d in docs) if output == "json" else yaml.safe_dump_all(docs, sort_keys=False), nl=output == "json")
            return
        deps = await _dependencies(member, template, cluster) if dependencies else []
        # Every check before the first write.
        if await cp.exists(info.path(namespace=ns, name=name)):
            click.echo(f"Resource {_where(info, template)} already exist in karmada control plane, you can edit PropagationPolicy and OverridePolicy to propagate it", err=True)
            return
        if policy is not None and await cp.exists(_policy_path(policy)):
            what = f"{policy['kind']}({(ns + '/') if ns else ''}{policy['metadata']['name']})"
            raise click.ClickException(f"the {what} already exist, please edit it to propagate resource")
        if dry_run:
            click.echo(f"Resource {_where(info, template)} can be promoted (dry run: nothing written)")
            return
        for dep_info, dep in deps:
            await _create_dependency(cp, dep_info, dep)
        await cp.create(info.path(namespace=ns), template)
        click.echo(f"ResourceTemplate ({ns or ''}/{name}) is created successfully")
        if policy is not None:
            await cp.create(_policy_path(policy).rsplit("/", 1)[0], policy)
            click.echo(f"{policy['kind']} ({(ns + '/') if ns else ''}{policy['metadata']['name']}) is created successfully")
        click.echo(f"Resource {_where(info, template)} is promoted successfully")


async def _dependencies(member: KubeClient, template: dict[str, Any], cluster: str) -> list[tuple[ResourceInfo, dict[str, Any]]]:
    """The template's dependencies (the native interpreter's), read from the member and adopted."""
    found = []
    mapper = RESTMapper(member)
    for dep in get_dependencies(template) or []:
        if not dep.get("name"):
            continue  # selector-based dependencies (ServiceImport's EndpointSlices) stay with their owner
        info = await mapper.lookup(dep["apiVersion"], dep["kind"])
        try:
            obj = await member.get(info.path(namespace=dep.get("namespace") or None, name=dep["name"]))
        except ApiError as e:
            if e.not_found:
                raise click.ClickException(f"failed to get dependency {dep['kind']}({dep.get('namespace', '')}/{dep['name']}) in cluster({cluster}): not found") from None
            raise
        found.append((info, adopted(obj)))
    return found


async def _create_dependency(cp: KubeClient, info: ResourceInfo, obj: dict[str, Any]) -> None:
    ns = obj["metadata"].get("namespace")
    try:
        await cp.create(info.path(namespace=ns), obj)
    except ApiError as e:
        if not e.already_exists:
            raise
        click.echo(f"Dependency resource {_where(info, obj)} already exist in karmada control plane, you can edit PropagationPolicy and OverridePolicy to propagate it")
        return
    click.echo(f"Dependency resource {_where(info, obj)} is promoted successfully")
