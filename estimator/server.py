"""karmada-scheduler-estimator: answers the scheduler's and the descheduler's questions about one
member cluster over HTTPS (``pykarmada.karmada.estimation.protocol``).

* ``MaxAvailableReplicas``: the per-node fit summed over the member's nodes, after the assumed
  workloads (gate ``SchedulingOvercommitProtection``), capped by the namespace's ResourceQuotas
  (gate ``ResourceQuotaEstimate``); 0 without nodes.
* ``GetUnschedulableReplicas``: pods of a Deployment's newest ReplicaSet unschedulable for
  longer than the threshold.

400 names the field of a request that cannot be answered (or a cluster name that is not ours);
503 says the member's API is unreachable, which the caller takes as "unknown".
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pykarmada.estimator import metrics
from pykarmada.estimator.member import Member
from pykarmada.karmada import features
from pykarmada.karmada.estimation.fit import max_available_replicas
from pykarmada.karmada.estimation.protocol import (
    MAX_AVAILABLE_REPLICAS_PATH,
    UNSCHEDULABLE_REPLICAS_PATH,
    ProtocolError,
    parse_max_available_replicas,
    parse_unschedulable_replicas,
)
from pykarmada.karmada.estimation.quota import quota_cap
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.metrics_server import BindAddress, Endpoints, health_app, metrics_app
from pykarmada.kube.serving import serve_app

log = logging.getLogger("pykarmada.estimator")
SUPPORTED_KINDS = {("apps/v1", "Deployment")}


@dataclass(frozen=True)
class Settings:
    kubeconfig: str
    cluster_name: str
    cert_file: str
    key_file: str
    client_ca_file: str = ""
    insecure_skip_client_verify: bool = False
    bind_address: str = "0.0.0.0"
    server_port: int = 10352
    metrics_bind_address: BindAddress | None = None
    health_probe_bind_address: BindAddress | None = None
    feature_gates: features.FeatureGates = features.FeatureGates()


class Failed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


class Estimator:
    def __init__(self, settings: Settings, member: Member) -> None:
        self.settings = settings
        self.member = member
        self.assumptions = settings.feature_gates.enabled(features.SCHEDULING_OVERCOMMIT_PROTECTION)

    def _check(self, cluster: str) -> None:
        if cluster != self.settings.cluster_name:
            raise Failed(400, f"cluster: cluster name does not match, got: {cluster}, desire: {self.settings.cluster_name}")
        if self.member.unreachable is not None:
            raise Failed(503, f"cluster {cluster}: {self.member.unreachable}")

    def max_available_replicas(self, body: Any) -> dict[str, Any]:
        request = parse_max_available_replicas(body)
        self._check(request.cluster)
        assumed = request.assumed_workloads if self.assumptions else []
        started = time.perf_counter()
        answer = max_available_replicas(self.member.book, request.requirements, assumed)
        metrics.observe(metrics.TYPE_MAX_AVAILABLE_REPLICAS, metrics.STEP_MAX_AVAILABLE_REPLICAS, time.perf_counter() - started, failed=False)
        if request.requirements is not None and answer > 0:
            quotas = self.member.namespace_quotas(request.requirements.namespace)
            answer = min(answer, quota_cap(quotas, request.requirements, assumed))
        return {"maxReplicas": answer}

    def unschedulable_replicas(self, body: Any) -> dict[str, Any]:
        request = parse_unschedulable_replicas(body)
        self._check(request.cluster)
        ref = request.resource
        if (ref.api_version, ref.kind) not in SUPPORTED_KINDS:
            raise Failed(400, f"resource.kind: kind({ref.kind}) of workload({ref.namespace}/{ref.name}) is not supported")
        count = self.member.unschedulable_pods(ref.namespace, ref.name, request.threshold_seconds)
        if count is None:
            raise Failed(404, f"resource: {ref.kind} {ref.namespace}/{ref.name} not found in cluster {request.cluster}")
        return {"unschedulableReplicas": count}


def _endpoint(type_: str, answer: Callable[[Any], dict[str, Any]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        started, failed = time.perf_counter(), True
        try:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                return _json(400, {"message": "body: not valid JSON"})
            try:
                response = answer(body)
            except ProtocolError as e:
                return _json(400, {"message": str(e), "field": e.field})
            except Failed as e:
                return _json(e.status, {"message": str(e)})
            failed = False
            return _json(200, response)
        finally:
            metrics.observe(type_, metrics.STEP_TOTAL, time.perf_counter() - started, failed=failed)

    return handler


def build_app(estimator: Estimator) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(MAX_AVAILABLE_REPLICAS_PATH, _endpoint(metrics.TYPE_MAX_AVAILABLE_REPLICAS, estimator.max_available_replicas))
    app.router.add_post(UNSCHEDULABLE_REPLICAS_PATH, _endpoint(metrics.TYPE_GET_UNSCHEDULABLE_REPLICAS, estimator.unschedulable_replicas))
    return app


def build_ssl_context(settings: Settings) -> ssl.SSLContext:
    """TLS 1.2+, our serving certificate; client certificates required when a client CA is given
    (unless ``--insecure-skip-grpc-client-verify``)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(settings.cert_file, settings.key_file)
    if settings.client_ca_file and not settings.insecure_skip_client_verify:
        ctx.load_verify_locations(settings.client_ca_file)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    quotas = settings.feature_gates.enabled(features.RESOURCE_QUOTA_ESTIMATE)
    async with KubeClient(connection_from_kubeconfig(settings.kubeconfig), user_agent="karmada-scheduler-estimator", max_connections=16) as client:
        member = Member(client, quotas=quotas)
        estimator = Estimator(settings, member)
        endpoints = Endpoints()
        endpoints.add("metrics", settings.metrics_bind_address, metrics_app())
        endpoints.add("health probes", settings.health_probe_bind_address, health_app(member.synced))
        await endpoints.start()
        try:
            await member.start()
            log.info("starting karmada cluster(%s) accurate scheduler estimator", settings.cluster_name)
            await serve_app(
                build_app(estimator),
                settings.bind_address,
                settings.server_port,
                build_ssl_context(settings),
                stop=stop,
                on_started=lambda: log.info("listening on %s:%d", settings.bind_address, settings.server_port),
            )
        finally:
            await member.stop()
            await endpoints.stop()
            log.info("shutting down cluster(%s) accurate scheduler estimator", settings.cluster_name)
