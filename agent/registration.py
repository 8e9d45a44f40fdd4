"""Start-up registration (surfaces.md 5.2): the member's identity, the duplicate guard, the
member-side objects and control-plane Secrets for the reported secrets, the Cluster (created, or
updated when its spec differs) and the Secrets' ownerReference to it. Runs at every start, so a
restarted agent finds its Cluster and goes on."""

from __future__ import annotations

import copy
import logging
from typing import Any

from pykarmada.agent.options import AgentOptions
from pykarmada.karmada import constants as c
from pykarmada.karmada.join import member_cluster_id, member_credentials, own_secrets, registration_conflict, report_secrets, secret_ref
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class RegistrationError(Exception):
    """The agent cannot register its cluster; the message says why."""


def cluster_spec(existing: Obj | None, o: AgentOptions, cluster_id: str, member: Connection) -> Obj:
    """The Cluster's spec as upstream's agent mutates it: what the flags and the member's client
    config say, over what is there (defaults such as resourceModels, taints stay). Go's
    ``omitempty`` drops empty strings and false, so those keys are removed."""
    spec = copy.deepcopy(existing or {})
    wanted: Obj = {
        "syncMode": "Pull",
        "apiEndpoint": o.cluster_api_endpoint,
        # A proxy in the member's client config wins over --proxy-server-address.
        "proxyURL": member.proxy_url or o.proxy_server_address,
        "id": cluster_id,
        "insecureSkipTLSVerification": member.insecure_skip_verify,
    }
    if o.cluster_provider:
        wanted["provider"] = o.cluster_provider
    if o.cluster_region:
        wanted["region"] = o.cluster_region
    if o.cluster_zones:
        wanted["zones"] = list(o.cluster_zones)
    if o.report_credentials:
        wanted["secretRef"] = secret_ref(o.cluster_namespace, o.cluster_name)
    if o.report_impersonator:
        wanted["impersonatorSecretRef"] = secret_ref(o.cluster_namespace, o.cluster_name, impersonator=True)
    for key, value in wanted.items():
        if value in ("", False):
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


async def create_or_update_cluster(control_plane: KubeClient, o: AgentOptions, cluster_id: str, member: Connection) -> Obj:
    """Cluster ``<c>``: created when absent, else updated only when its spec differs."""
    path = f"{c.CLUSTERS_PATH}/{o.cluster_name}"
    try:
        existing = await control_plane.get(path)
    except ApiError as e:
        if not e.not_found:
            raise
        body = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": o.cluster_name}, "spec": cluster_spec(None, o, cluster_id, member)}
        log.info("creating cluster(%s)", o.cluster_name)
        return await control_plane.create(c.CLUSTERS_PATH, body)
    spec = cluster_spec(existing.get("spec"), o, cluster_id, member)
    if spec == existing.get("spec"):
        log.info("cluster(%s) already exists and is up to date", o.cluster_name)
        return existing
    updated = copy.deepcopy(existing)
    updated["spec"] = spec
    log.info("updating cluster(%s)", o.cluster_name)
    return await control_plane.replace(path, updated)


async def register(control_plane: KubeClient, member: KubeClient, o: AgentOptions) -> Obj:
    cluster_id = await member_cluster_id(member)
    clusters = (await control_plane.list(c.CLUSTERS_PATH))["items"]
    id_used, name_used, same = registration_conflict(clusters, o.cluster_name, cluster_id)
    if (id_used or name_used) and not same:
        raise RegistrationError(f"the cluster ID {cluster_id} or the cluster name {o.cluster_name} has been registered")
    token_data, impersonator_data = await member_credentials(
        member, o.cluster_name, o.cluster_namespace, credentials=o.report_credentials, impersonator=o.report_impersonator
    )
    secrets = await report_secrets(control_plane, o.cluster_name, o.cluster_namespace, token_data, impersonator_data)
    cluster = await create_or_update_cluster(control_plane, o, cluster_id, member.connection)
    await own_secrets(control_plane, cluster, secrets)
    log.info("cluster(%s) registered with the control plane (id %s)", o.cluster_name, cluster_id)
    return cluster
