"""Plain-HTTP endpoints beside a component, as controller-runtime serves them: ``/metrics`` on
``--metrics-bind-address`` and ``/healthz``/``/readyz`` on ``--health-probe-bind-address``; and
the instrumentation of webhook handlers as controller-runtime's webhook server does it.

Addresses are spelled as Go spells them: ``:8080`` (every interface), ``127.0.0.1:8080``,
``[::1]:8080``; ``0`` (or empty) turns the endpoint off.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from pykarmada.kube.metrics import CONTENT_TYPE, WEBHOOK_IN_FLIGHT, WEBHOOK_LATENCY, WEBHOOK_REQUESTS, exposition

log = logging.getLogger(__name__)


class BadAddress(ValueError):
    pass


class CannotServe(Exception):
    """An endpoint could not bind its address (in use, not ours...)."""


@dataclass(frozen=True)
class BindAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bind_address(value: str) -> BindAddress | None:
    """``host:port`` -> BindAddress; ``0`` or empty -> None (off). Raises BadAddress saying why."""
    value = value.strip()
    if value in ("", "0"):
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadAddress(f"{value!r} is not host:port with a port between 1 and 65535 (e.g. :8080, 127.0.0.1:8080), nor 0 to disable")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise BadAddress(f"{value!r}: an IPv6 host must be in brackets, e.g. [::1]:8080")
    return BindAddress(host or "0.0.0.0", int(port))


def bind_address_flag(value: str) -> BindAddress | None:
    """``type=`` of an argparse flag: a refused address becomes a usage error naming the flag."""
    try:
        return parse_bind_address(value)
    except BadAddress as e:
        raise argparse.ArgumentTypeError(str(e)) from None


async def metrics_handler(_request: web.Request) -> web.Response:
    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE})


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def metrics_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    return app


def health_app(ready: Callable[[], bool]) -> web.Application:
    """``/healthz`` answers while the event loop runs; ``/readyz`` once ``ready()`` says so."""

    async def readyz(_request: web.Request) -> web.Response:
        if ready():
            return web.Response(text="ok")
        return web.Response(status=500, text="not ready")

    app = web.Application()
    for path in ("/healthz", "/healthz/ping", "/livez"):
        app.router.add_get(path, _ok)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/readyz/ping", readyz)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def instrument_webhook(path: str, handler: Handler) -> Handler:
    """``handler`` counted under ``webhook=path``: requests in flight, latency, and requests by
    HTTP code (the 200 and 500 series exist from the start, as upstream's)."""
    in_flight, latency = WEBHOOK_IN_FLIGHT.labels(path), WEBHOOK_LATENCY.labels(path)
    for code in ("200", "500"):
        WEBHOOK_REQUESTS.labels(path, code)

    async def instrumented(request: web.Request) -> web.StreamResponse:
        in_flight.inc()
        started, code = time.perf_counter(), 500
        try:
            response = await handler(request)
            code = response.status
            return response
        finally:
            in_flight.dec()
            latency.observe(time.perf_counter() - started)
            WEBHOOK_REQUESTS.labels(path, str(code)).inc()

    return instrumented


class Endpoints:
    """The plain-HTTP servers of one process; ``start`` binds them all, ``stop`` closes them."""

    def __init__(self) -> None:
        self._planned: list[tuple[str, BindAddress, web.Application]] = []
        self._runners: list[web.AppRunner] = []

    def add(self, what: str, address: BindAddress | None, app: web.Application) -> None:
        if address is not None:
            self._planned.append((what, address, app))

    async def start(self) -> None:
        try:
            for what, address, app in self._planned:
                runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
                await runner.setup()
                self._runners.append(runner)
                try:
                    await web.TCPSite(runner, address.host, address.port).start()
                except OSError as e:
                    raise CannotServe(f"{what} on {address}: {e.strerror or e}") from None
                log.info("serving %s on http://%s", what, address)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()
