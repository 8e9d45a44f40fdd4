"""karmada-webhook: the admission webhooks of the policy and work APIs, one aiohttp server over TLS.

Every admission path takes an AdmissionReview v1 and answers one: a JSON Patch for mutations,
``allowed: false`` with code 403 for refusals. A body that is not an AdmissionReview gets HTTP 400;
an unexpected failure inside a rule is logged and answered with code 500, never a dropped
connection. Handlers are pure and synchronous (microseconds of work), so requests are served
concurrently on the event loop without threads.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from aiohttp import web

from pykarmada.kube.metrics_server import BindAddress, Endpoints, health_app, instrument_webhook, metrics_app
from pykarmada.kube.serving import serve_app
from pykarmada.webhooks import cluster_taint_policy, override_policy, propagation_policy, resource_binding, review, work
from pykarmada.webhooks.review import AdmissionRequest, AdmissionResponse, BadObject, MalformedReview

log = logging.getLogger(__name__)

Handler = Callable[[AdmissionRequest], AdmissionResponse]
# An AdmissionReview carries the object and the old object; Kubernetes objects are at most ~1.5 MiB.
MAX_BODY_BYTES = 8 * 1024 * 1024
TLS_VERSIONS = {
    "VersionTLS10": ssl.TLSVersion.TLSv1,
    "VersionTLS11": ssl.TLSVersion.TLSv1_1,
    "VersionTLS12": ssl.TLSVersion.TLSv1_2,
    "VersionTLS13": ssl.TLSVersion.TLSv1_3,
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}

# Paths and handlers, as upstream registers them (surfaces.md 3.1).
_ROUTES: dict[str, Handler] = {
    "/mutate-propagationpolicy": propagation_policy.mutate_propagation_policy_review,
    "/validate-propagationpolicy": propagation_policy.validate_propagation_policy_review,
    "/mutate-clusterpropagationpolicy": propagation_policy.mutate_cluster_propagation_policy_review,
    "/validate-clusterpropagationpolicy": propagation_policy.validate_cluster_propagation_policy_review,
    "/mutate-overridepolicy": override_policy.mutate_override_policy_review,
    "/validate-overridepolicy": override_policy.validate_override_policy_review,
    "/validate-clusteroverridepolicy": override_policy.validate_cluster_override_policy_review,
    "/mutate-resourcebinding": resource_binding.mutate_resource_binding_review,
    "/validate-resourcebinding": resource_binding.validate_resource_binding_review,
    "/mutate-clusterresourcebinding": resource_binding.mutate_cluster_resource_binding_review,
    "/mutate-work": work.mutate_work_review,
}


def routes(allow_no_execute_taint_policy: bool = False) -> dict[str, Handler]:
    """Every path with its handler; ``--allow-no-execute-taint-policy`` configures one of them."""
    handler = cluster_taint_policy.validate_cluster_taint_policy_review(allow_no_execute_taint_policy)
    return {**_ROUTES, "/validate-clustertaintpolicy": handler}


ROUTES = routes()


@dataclass(frozen=True)
class ServerSettings:
    tls_cert_file: str
    tls_private_key_file: str
    bind_address: str = "0.0.0.0"
    secure_port: int = 8443
    client_ca_file: str | None = None
    tls_min_version: str = "VersionTLS13"
    metrics_bind_address: BindAddress | None = None  # None: not served (the flags default to upstream's)
    health_probe_bind_address: BindAddress | None = None
    allow_no_execute_taint_policy: bool = False


def _bad_request(message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": "BadRequest", "code": 400}
    return web.json_response(body, status=400)


def admit(handler: Handler, req: AdmissionRequest) -> AdmissionResponse:
    """Run one rule on a decoded request; never raises."""
    if req.operation not in ("CREATE", "UPDATE"):
        return review.allowed(req)  # registered for CREATE and UPDATE only
    try:
        return handler(req)
    except BadObject as e:
        return review.errored(req.uid, 400, str(e))
    except Exception:
        log.exception("admission of %s %s %s/%s failed", req.operation, req.kind, req.namespace, req.name)
        return review.errored(req.uid, 500, "internal error while processing the admission review")


def _endpoint(path: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _bad_request(f"Content-Type must be application/json, not {request.content_type!r}")
        try:
            req = review.decode_review(await request.read())
        except MalformedReview as e:
            return _bad_request(f"malformed AdmissionReview: {e}")
        response = admit(handler, req)
        if not response["allowed"]:
            log.info(
                "%s: refused %s %s %s/%s: %s",
                path, req.operation, req.kind, req.namespace, req.name, response["status"].get("message", ""),
            )  # fmt: skip
        return web.Response(body=orjson.dumps(review.encode(response)), content_type="application/json")

    return endpoint


async def _ok(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def build_app(allow_no_execute_taint_policy: bool = False) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    for path in ("/readyz", "/readyz/", "/healthz", "/livez"):
        app.router.add_get(path, _ok)
    for path, handler in routes(allow_no_execute_taint_policy).items():
        app.router.add_post(path, instrument_webhook(path, _endpoint(path, handler)))
    return app


def build_ssl_context(settings: ServerSettings) -> ssl.SSLContext:
    """Server TLS: our serving certificate; with a client CA, callers must present a certificate
    it signed (the control plane presents one)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = TLS_VERSIONS[settings.tls_min_version]
    ctx.load_cert_chain(settings.tls_cert_file, settings.tls_private_key_file)
    ctx.set_alpn_protocols(["http/1.1"])
    if settings.client_ca_file:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=settings.client_ca_file)
    return ctx


async def serve(settings: ServerSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM or SIGINT (or until ``stop`` is set), then shut down within a second."""
    serving = False
    endpoints = Endpoints()
    endpoints.add("metrics", settings.metrics_bind_address, metrics_app())
    endpoints.add("health probes", settings.health_probe_bind_address, health_app(lambda: serving))

    def started() -> None:
        nonlocal serving
        serving = True
        log.info(
            "karmada-webhook serving on https://%s:%d (TLS >= %s, client certificates %s)",
            settings.bind_address, settings.secure_port, settings.tls_min_version,
            "required" if settings.client_ca_file else "not required",
        )  # fmt: skip

    await endpoints.start()
    try:
        await serve_app(build_app(settings.allow_no_execute_taint_policy), settings.bind_address, settings.secure_port, build_ssl_context(settings), stop=stop, on_started=started)
    finally:
        await endpoints.stop()
    log.info("shut down")
