"""The API steps of ``register`` and ``unregister``: a certificate through a CSR, objects
created (and undone) in order, the agent Deployment's rollout, the preflight. Each step takes the
client it runs as; the command decides which identity does what."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any, TypeVar

from pykarmada.karmada.bootstrap import csr as agent_csr
from pykarmada.karmada.bootstrap.rbac import AGENT_KUBECONFIG_SECRET, AGENT_NAME, AGENT_SERVICE_ACCOUNT, ObjectRef, collection_path, ref
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.watch import wait_for_object

T = TypeVar("T")


class StepError(Exception):
    """A step that cannot go on; the message says which and why."""


async def _watch_until(client: KubeClient, collection: str, name: str, done: Callable[[dict[str, Any]], T | None], timeout: float, late: str) -> T:
    try:
        return await wait_for_object(client, collection, name, done, timeout)
    except asyncio.TimeoutError:
        raise StepError(late) from None


async def request_certificate(client: KubeClient, name: str, common_name: str, *, expiration_seconds: int, timeout: float) -> tuple[bytes, bytes]:
    """Post a CSR for (CN, O=system:karmada:agents) and wait (watching it) for the certificate;
    return (certificate PEM, key PEM)."""
    pair = agent_csr.key_and_request(common_name, [agent_csr.AGENT_GROUP])
    await client.create(agent_csr.CSR_PATH, agent_csr.csr_object(name, pair.csr_pem, expiration_seconds=expiration_seconds))

    def issued(current: dict[str, Any]) -> bytes | None:
        status = current.get("status") or {}
        if status.get("certificate"):
            return base64.b64decode(status["certificate"])
        for condition in status.get("conditions") or []:
            if condition.get("type") in ("Denied", "Failed") and condition.get("status", "True") == "True":
                raise StepError(f"CSR {name} was {condition['type'].lower()}: {condition.get('message') or condition.get('reason', '')}")
        return None

    late = (
        f"CSR {name} got no certificate within {timeout:.0f}s: approve it with `kubectl certificate approve {name}` "
        "on the control plane, or enable the agentcsrapproving controller of karmada-controller-manager"
    )
    return await _watch_until(client, agent_csr.CSR_PATH, name, issued, timeout, late), pair.key_pem


async def delete_quietly(client: KubeClient, path: str) -> None:
    """Delete; an object already gone is fine."""
    try:
        await client.delete(path)
    except ApiError as e:
        if not e.not_found:
            raise


async def create_objects(client: KubeClient, objects: list[dict[str, Any]], *, replace: frozenset[str] = frozenset()) -> list[ObjectRef]:
    """Create each object in order; one that exists is kept (or, for kinds in ``replace``,
    overwritten). Return what this call created, for undoing it."""
    created = []
    for obj in objects:
        try:
            await client.create(collection_path(obj), obj)
            created.append(ref(obj))
        except ApiError as e:
            if not e.already_exists:
                raise
            if obj["kind"] in replace:
                current = await client.get(ref(obj).path())
                await client.replace(ref(obj).path(), {**obj, "metadata": {**obj["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}})
    return created


async def delete_objects(client: KubeClient, refs: list[ObjectRef]) -> list[str]:
    """Delete in reverse order of creation; return the failures (as lines) instead of raising."""
    failures = []
    for item in reversed(refs):
        try:
            await delete_quietly(client, item.path())
        except (ApiError, OSError) as e:
            failures.append(f"{item}: {e}")
    return failures


async def preflight(member: KubeClient, namespace: str) -> list[str]:
    """What in the member shows an agent is installed already (register then stops)."""
    if not await member.exists(f"/api/v1/namespaces/{namespace}"):
        return []
    checks = (
        (f"/api/v1/namespaces/{namespace}/secrets/{AGENT_KUBECONFIG_SECRET}", f"{namespace}/{AGENT_KUBECONFIG_SECRET} Secret already exists"),
        (f"/api/v1/namespaces/{namespace}/serviceaccounts/{AGENT_SERVICE_ACCOUNT}", f"{namespace}/{AGENT_SERVICE_ACCOUNT} ServiceAccount already exists"),
        (f"/apis/apps/v1/namespaces/{namespace}/deployments/{AGENT_NAME}", f"{namespace}/{AGENT_NAME} Deployment already exists"),
    )
    errors = []
    for path, message in checks:
        try:
            if await member.exists(path):
                errors.append(message)
        except ApiError as e:
            errors.append(str(e))
    return errors


def rolled_out(deployment: dict[str, Any]) -> bool:
    """kubectl rollout status: the controller saw this generation, every replica is updated and
    available, and no old one is left."""
    meta, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return False
    replicas = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    return updated >= replicas and status.get("replicas", 0) <= updated and status.get("availableReplicas", 0) >= updated


async def wait_rollout(client: KubeClient, namespace: str, name: str, timeout: float) -> None:
    late = f"Deployment {namespace}/{name} in the member did not roll out within {timeout:.0f}s"
    await _watch_until(client, f"/apis/apps/v1/namespaces/{namespace}/deployments", name, lambda d: True if rolled_out(d) else None, timeout, late)
