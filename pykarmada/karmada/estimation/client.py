"""Client of the scheduler-estimators, shared by the scheduler and the descheduler.

Each member's estimator is found as upstream finds it: the Service ``<prefix>-<cluster>`` in
``--scheduler-estimator-service-namespace`` of the control plane. An ExternalName Service gives
``externalName:targetPort`` of its port numbered ``--scheduler-estimator-port``; without a
Service the in-cluster name ``<service>.<namespace>.svc.cluster.local:<port>`` is dialled.
(local-up registers ExternalName Services to ``localhost``.) Calls go over HTTPS with our client
certificate and give up after the timeout; every failure of one cluster's estimator - not found,
refused, timed out, a non-200 answer - is :data:`UNKNOWN` for that cluster, so callers fall back
to what they know. An outage is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from pykarmada.karmada.estimation.protocol import (
    MAX_AVAILABLE_REPLICAS_PATH,
    UNSCHEDULABLE_REPLICAS_PATH,
    UNKNOWN,
    max_available_replicas_body,
    unschedulable_replicas_body,
)
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)

DEFAULT_PORT = 10352
DEFAULT_SERVICE_PREFIX = "karmada-scheduler-estimator"
DEFAULT_SERVICE_NAMESPACE = "karmada-system"
DEFAULT_TIMEOUT = 3.0


def estimator_service_name(prefix: str, cluster: str) -> str:
    """``names.GenerateEstimatorServiceName``."""
    return f"{prefix}-{cluster}"


@dataclass(frozen=True)
class EstimatorClientOptions:
    timeout: float = DEFAULT_TIMEOUT
    port: int = DEFAULT_PORT
    service_prefix: str = DEFAULT_SERVICE_PREFIX
    service_namespace: str = DEFAULT_SERVICE_NAMESPACE
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    insecure_skip_verify: bool = False

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file or None)
        if self.insecure_skip_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.cert_file and self.key_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


class EstimatorUnavailable(Exception):
    """One cluster's estimator could not answer (the message says why, without secrets)."""


def address_from_service(service: Mapping[str, Any], port: int) -> str:
    """``host:port`` of an ExternalName Service's port ``port`` (upstream ``resolveCluster``)."""
    spec = service.get("spec") or {}
    name = (service.get("metadata") or {}).get("name")
    if spec.get("type") != "ExternalName":
        raise EstimatorUnavailable(f"service {name} has unsupported type {spec.get('type')!r} (ExternalName expected)")
    for item in spec.get("ports") or ():
        if item.get("port") == port:
            target = item.get("targetPort", port)
            if not isinstance(target, int):
                raise EstimatorUnavailable(f"service {name}: ExternalName service needs an integer targetPort, got {target!r}")
            host = spec.get("externalName") or ""
            return f"[{host}]:{target}" if ":" in host else f"{host}:{target}"
    raise EstimatorUnavailable(f"no service port {port} found for service {name!r}")


class EstimatorClient:
    """Calls to every member's estimator; one aiohttp session for all of them."""

    def __init__(self, control_plane: KubeClient, options: EstimatorClientOptions) -> None:
        self.control_plane = control_plane
        self.options = options
        self._ssl = options.ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._addresses: dict[str, str] = {}
        self._down: dict[str, str] = {}  # cluster -> why, while its estimator is unavailable

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl, limit=64))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def unavailable(self) -> dict[str, str]:
        """Clusters whose estimator is down now, with the reason."""
        return dict(self._down)

    async def _resolve(self, cluster: str) -> str:
        if cluster in self._addresses:
            return self._addresses[cluster]
        o = self.options
        name = estimator_service_name(o.service_prefix, cluster)
        try:
            service = await self.control_plane.get(f"/api/v1/namespaces/{o.service_namespace}/services/{name}")
            address = address_from_service(service, o.port)
        except ApiError as e:
            if not e.not_found:
                raise EstimatorUnavailable(f"cannot read service {o.service_namespace}/{name}: {e}") from None
            address = f"{name}.{o.service_namespace}.svc.cluster.local:{o.port}"
        self._addresses[cluster] = address
        return address

    async def _post(self, cluster: str, path: str, body: dict[str, Any], field_name: str) -> int:
        try:
            address = await self._resolve(cluster)
            timeout = aiohttp.ClientTimeout(total=self.options.timeout)
            async with self.session.post(f"https://{address}{path}", json=body, timeout=timeout) as resp:
                payload = await resp.json(content_type=None)
                if resp.status != 200:
                    message = (payload or {}).get("message") if isinstance(payload, dict) else None
                    raise EstimatorUnavailable(f"answered {resp.status}: {message or resp.reason}")
            value = payload.get(field_name) if isinstance(payload, dict) else None
            if not isinstance(value, int):
                raise EstimatorUnavailable(f"answer without an integer {field_name}")
        except (EstimatorUnavailable, aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as e:
            reason = str(e) or type(e).__name__
            if not isinstance(e, EstimatorUnavailable):
                self._addresses.pop(cluster, None)  # it may have moved: resolve again next time
            self._mark_down(cluster, reason)
            return UNKNOWN
        self._mark_up(cluster)
        return value

    def _mark_down(self, cluster: str, reason: str) -> None:
        if cluster not in self._down:
            log.warning("scheduler-estimator of cluster %s unavailable (%s); using the general estimate until it answers", cluster, reason)
        self._down[cluster] = reason

    def _mark_up(self, cluster: str) -> None:
        if self._down.pop(cluster, None) is not None:
            log.info("scheduler-estimator of cluster %s answers again", cluster)

    async def max_available_replicas(
        self, clusters: Sequence[str], requirements: Mapping[str, Any] | None, assumed: Mapping[str, list[dict[str, Any]]] | None = None
    ) -> dict[str, int]:
        """Per cluster the estimator's answer, or :data:`UNKNOWN`; the calls run concurrently."""
        assumed = assumed or {}
        answers = await asyncio.gather(
            *(
                self._post(c, MAX_AVAILABLE_REPLICAS_PATH, max_available_replicas_body(c, requirements, assumed.get(c)), "maxReplicas")
                for c in clusters
            )
        )
        return dict(zip(clusters, answers))

    async def unschedulable_replicas(self, clusters: Sequence[str], resource: Mapping[str, Any], threshold_seconds: float) -> dict[str, int]:
        answers = await asyncio.gather(
            *(
                self._post(c, UNSCHEDULABLE_REPLICAS_PATH, unschedulable_replicas_body(c, resource, threshold_seconds), "unschedulableReplicas")
                for c in clusters
            )
        )
        return dict(zip(clusters, answers))
