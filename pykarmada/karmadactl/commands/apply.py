"""``apply``: kubectl apply, and with ``--all-clusters`` or ``-C/--cluster`` a companion
PropagationPolicy (ClusterPropagationPolicy for cluster-scoped objects) for every object applied,
as upstream's: one resource selector (apiVersion, kind, name, namespace), ``clusterAffinity`` the
named clusters (empty: all), named by :func:`generated_policy_name`. kubectl reads the files
(``-f``, ``-k``, ``-R``, URLs) in a client-side dry run first; the policies are then applied in
the same kubectl run as the objects."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from typing import Any

import click
import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmada.names import generated_policy_name, gvk_string
from pykarmada.karmadactl.commands.kubeconfig import context_namespace, load
from pykarmada.karmadactl.commands.kubectl_verbs import Flag, Invocation, KubectlVerb, run_kubectl, split_args
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import RESTMapper, UnknownKind
from pykarmada.kube.errors import ApiError

ALL_CLUSTERS = Flag("all_clusters", "--all-clusters", takes_value=False, help="Propagate the objects to every member cluster.")
CLUSTERS = Flag("clusters", "--cluster", "-C", multiple=True, help="Propagate the objects to these member clusters (a list).")
NAMESPACE = Flag("namespace", "--namespace", "-n")


def companion_policy(obj: dict[str, Any], namespace: str | None, clusters: list[str]) -> dict[str, Any]:
    """The policy that propagates ``obj`` (``namespace`` None: cluster-scoped) to ``clusters`` (all when empty)."""
    name = obj["metadata"]["name"]
    selector = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name}
    if namespace:
        selector["namespace"] = namespace
    policy_name = generated_policy_name(namespace or "", name, gvk_string(obj["apiVersion"], obj["kind"]))
    metadata: dict[str, Any] = {"name": policy_name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": c.KIND_PROPAGATION_POLICY if namespace else c.KIND_CLUSTER_PROPAGATION_POLICY,
        "metadata": metadata,
        "spec": {"resourceSelectors": [selector], "placement": {"clusterAffinity": {"clusterNames": clusters} if clusters else {}}},
    }


def _objects(listing: dict[str, Any]) -> list[dict[str, Any]]:
    if listing.get("kind") == "List" or ("items" in listing and listing.get("kind", "").endswith("List")):
        return [o for item in listing.get("items") or [] for o in _objects(item)]
    return [listing]


class ApplyVerb(KubectlVerb):
    def __init__(self) -> None:
        super().__init__(["apply"], [ALL_CLUSTERS, CLUSTERS],
                         "Apply a configuration to resources in the control plane; --all-clusters or -C also propagates them.")

    def kubectl(self, inv: Invocation, server: str | None) -> int:
        clusters = [x for x in inv.flags.get("clusters", "").split(",") if x]
        if not inv.flags.get("all_clusters") and not clusters:
            return super().kubectl(inv, server)
        if inv.flags.get("all_clusters") and clusters:
            raise click.UsageError("--all-clusters and --cluster cannot be used together")
        base = inv.kubectl_args(server)
        dry = subprocess.run([*base, "--dry-run=client", "-o", "json"], capture_output=True, text=True)
        if dry.returncode != 0:
            click.echo(dry.stderr, err=True, nl=False)
            return dry.returncode
        objects = _objects(json.loads(dry.stdout)) if dry.stdout.strip() else []
        policies = asyncio.run(self._policies(inv, objects, clusters))
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="karmadactl-apply-", delete=False) as f:
            yaml.safe_dump_all(policies, f, sort_keys=False)
        try:
            return run_kubectl([*base, "-f", f.name])
        finally:
            os.unlink(f.name)

    @staticmethod
    async def _policies(inv: Invocation, objects: list[dict[str, Any]], clusters: list[str]) -> list[dict[str, Any]]:
        conn = load(inv.kubeconfig, inv.karmada_context, "control plane")
        namespace = split_args(inv.rest, [NAMESPACE])[0].get("namespace") or inv.given.namespace or context_namespace(inv.kubeconfig, inv.karmada_context)
        async with KubeClient(conn) as cp:
            mapper = RESTMapper(cp)
            missing = []
            for cluster in clusters:
                try:
                    await cp.get(f"{c.CLUSTERS_PATH}/{cluster}")
                except ApiError as e:
                    if not e.not_found:
                        raise click.ClickException(f"cluster {cluster}: {e.message or e.reason}") from None
                    missing.append(cluster)
            if missing:
                raise click.ClickException("; ".join(f"cluster {m} does not exist" for m in missing))
            out = []
            for obj in objects:
                try:
                    info = await mapper.lookup(obj["apiVersion"], obj["kind"])
                except UnknownKind as e:
                    raise click.ClickException(f"unable to recognize resource: {e}") from None
                ns = (obj["metadata"].get("namespace") or namespace) if info.namespaced else None
                out.append(companion_policy(obj, ns, clusters))
            return out


apply = ApplyVerb()
