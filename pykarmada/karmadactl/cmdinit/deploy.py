"""Install rendered objects into a host cluster and its new karmada-apiserver; remove them again.

Host objects are created in order and each workload is waited for with a progress line. What init
created is recorded as it goes, so a failure deletes it again (the namespace last) and says so.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from pykarmada.karmadactl.cmdinit.render import BOOTSTRAP_LABEL, ETCD_NODE_LABEL, HOST, Rendered
from pykarmada.kube.client import KubeClient
from pykarmada.kube.discovery import RESTMapper
from pykarmada.kube.errors import ApiError

FIELD_MANAGER = "karmadactl-init"
WORKLOADS = ("Deployment", "StatefulSet")
# What deinit lists by label in the namespace, in deletion order (upstream's, plus our kinds).
LABELLED = (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("v1", "Service"), ("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "ServiceAccount"))


class InstallError(Exception):
    """A step of init or deinit that failed, worded for the user."""


async def path_of(mapper: RESTMapper, obj: dict[str, Any]) -> str:
    info = await mapper.lookup(obj["apiVersion"], obj["kind"])
    meta = obj["metadata"]
    return info.path(namespace=meta.get("namespace") if info.namespaced else None, name=meta["name"])


async def apply(client: KubeClient, mapper: RESTMapper, obj: dict[str, Any], *, dry_run: bool = False) -> None:
    params = {"fieldManager": FIELD_MANAGER, "force": True}
    if dry_run:
        params["dryRun"] = "All"
    await client.patch(await path_of(mapper, obj), json.dumps(obj), patch_type="apply", **params)


def workload_ready(obj: dict[str, Any]) -> tuple[bool, str]:
    """Whether a Deployment or StatefulSet has rolled out; and its replicas as ``ready/wanted``."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    ready = status.get("availableReplicas" if obj["kind"] == "Deployment" else "readyReplicas") or 0
    updated = status.get("updatedReplicas") or 0
    current = status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 0)
    return current and ready >= wanted and updated >= wanted, f"{ready}/{wanted}"


async def wait_workload(client: KubeClient, path: str, name: str, timeout: float, say: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        ok, count = workload_ready(await client.get(path))
        if ok:
            say(f"{name} is ready ({count})")
            return
        if count != last:
            say(f"waiting for {name} ({count} ready)")
            last = count
        if time.monotonic() > deadline:
            raise InstallError(f"{name} was not ready within {timeout:g}s ({count} replicas ready); see its pods in the host cluster")
        await asyncio.sleep(2)


async def check_host(host: KubeClient, namespace: str) -> bool:
    """Refuse a terminating namespace or an existing installation; whether the namespace exists."""
    try:
        ns = await host.get(f"/api/v1/namespaces/{namespace}")
    except ApiError as e:
        if e.not_found:
            return False
        raise
    if (ns.get("status") or {}).get("phase") == "Terminating":
        raise InstallError(f"namespace {namespace} of the host cluster is terminating; wait until it is gone")
    found = await installed(host, namespace)
    if found:
        raise InstallError(f"Karmada is already installed in namespace {namespace} of the host cluster ({', '.join(found[:5])}{', ...' if len(found) > 5 else ''}); run deinit first")
    return True


def _collection(api_version: str, kind: str, namespace: str) -> str:
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return f"{base}/namespaces/{namespace}/{kind.lower()}s"


async def installed(host: KubeClient, namespace: str) -> list[str]:
    """``Kind/name`` of every object in ``namespace`` with init's label."""
    found = []
    for api_version, kind in LABELLED:
        items = (await host.list(_collection(api_version, kind, namespace), labelSelector=BOOTSTRAP_LABEL)).get("items") or []
        found += [f"{kind}/{i['metadata']['name']}" for i in items]
    return found


async def label_etcd_node(host: KubeClient, preferred: str | None) -> str | None:
    """Label one node ``karmada.io/etcd`` for hostPath storage unless one is; returns the node labelled."""
    nodes = (await host.list("/api/v1/nodes")).get("items") or []
    if any(ETCD_NODE_LABEL in (n["metadata"].get("labels") or {}) for n in nodes):
        return None
    if not nodes:
        raise InstallError("the host cluster has no nodes to run etcd on")
    chosen = next((n for n in nodes if n["metadata"]["name"] == preferred), nodes[0])
    name = chosen["metadata"]["name"]
    await host.patch(f"/api/v1/nodes/{name}", {"metadata": {"labels": {ETCD_NODE_LABEL: ""}}})
    return name


async def node_address(host: KubeClient) -> str:
    """The InternalIP of a control-plane node, else of the first node (upstream's default)."""
    nodes = (await host.list("/api/v1/nodes")).get("items") or []
    nodes.sort(key=lambda n: "node-role.kubernetes.io/control-plane" not in (n["metadata"].get("labels") or {}))
    for node in nodes:
        for address in (node.get("status") or {}).get("addresses") or []:
            if address.get("type") == "InternalIP":
                return str(address["address"])
    raise InstallError("no node of the host cluster has an InternalIP; give --karmada-apiserver-advertise-address")


class Installer:
    """Applies the rendered objects in init's order and undoes them on failure."""

    def __init__(self, host: KubeClient, rendered: list[Rendered], *, timeout: float, say: Callable[[str], None]) -> None:
        self.host, self.say, self.timeout = host, say, timeout
        self.host_objects = [r.obj for r in rendered if r.target == HOST]
        self.karmada_objects = [r.obj for r in rendered if r.target != HOST]
        self.created: list[dict[str, Any]] = []
        self.host_mapper = RESTMapper(host)

    def _workloads(self) -> list[dict[str, Any]]:
        return [o for o in self.host_objects if o["kind"] in WORKLOADS]

    async def install_host_base(self) -> None:
        """Namespace, Secrets, Services and the like: everything but the workloads."""
        for obj in self.host_objects:
            if obj["kind"] not in WORKLOADS:
                await self._create(obj)

    async def run_workloads(self, names: list[str] | None) -> None:
        """Start the workloads named (all remaining ones when None), each waited for."""
        for obj in self._workloads():
            name = obj["metadata"]["name"]
            if obj in self.created or (names is not None and name not in names):
                continue
            await self._create(obj)
            await wait_workload(self.host, await path_of(self.host_mapper, obj), f"{obj['kind']} {name}", self.timeout, self.say)

    async def install_karmada(self, karmada: KubeClient) -> None:
        mapper = RESTMapper(karmada)
        for obj in self.karmada_objects:
            if obj["kind"] == "CustomResourceDefinition" or not obj["kind"].endswith("WebhookConfiguration"):
                await apply(karmada, mapper, obj)
        for obj in self.karmada_objects:
            if obj["kind"].endswith("WebhookConfiguration"):
                await apply(karmada, mapper, obj)
        self.say(f"applied {len(self.karmada_objects)} objects to karmada-apiserver (CRDs, RBAC, APIService, webhook configurations)")

    async def _create(self, obj: dict[str, Any]) -> None:
        await apply(self.host, self.host_mapper, obj)
        self.created.append(obj)
        if obj["kind"] not in WORKLOADS:
            self.say(f"created {obj['kind']} {obj['metadata']['name']}")

    async def undo(self, created_namespace: bool) -> list[str]:
        """Delete what this run created, newest first; returns what could not be deleted."""
        left = []
        for obj in reversed(self.created):
            if obj["kind"] == "Namespace" and not created_namespace:
                continue
            try:
                await self.host.delete(await path_of(self.host_mapper, obj), propagationPolicy="Background")
            except ApiError as e:
                if not e.not_found:
                    left.append(f"{obj['kind']}/{obj['metadata']['name']} ({e})")
        return left


async def deinit(host: KubeClient, namespace: str, *, purge_namespace: bool, dry_run: bool, say: Callable[[str], None]) -> None:
    """Delete init's labelled objects in ``namespace``, its node labels, and the namespace if asked."""
    params = {"dryRun": "All"} if dry_run else {}
    for api_version, kind in LABELLED:
        collection = _collection(api_version, kind, namespace)
        for item in (await host.list(collection, labelSelector=BOOTSTRAP_LABEL)).get("items") or []:
            name = item["metadata"]["name"]
            await host.delete(f"{collection}/{name}", propagationPolicy="Background", **params)
            say(f"deleted {kind} {namespace}/{name}")
    for node in (await host.list("/api/v1/nodes", labelSelector=ETCD_NODE_LABEL)).get("items") or []:
        name = node["metadata"]["name"]
        if not dry_run:
            await host.patch(f"/api/v1/nodes/{name}", {"metadata": {"labels": {ETCD_NODE_LABEL: None}}})
        say(f"removed label {ETCD_NODE_LABEL} from node {name}")
    if purge_namespace:
        try:
            await host.delete(f"/api/v1/namespaces/{namespace}", **params)
            say(f"deleted namespace {namespace}")
        except ApiError as e:
            if not e.not_found:
                raise
