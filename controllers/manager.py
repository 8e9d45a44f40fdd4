"""Start order, as controller-runtime's manager: metrics and health endpoints -> (leader election)
-> informers -> wait for sync -> controllers. Shutdown cancels controllers, then informers, then
closes clients and endpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable

from pykarmada.controllers import registry
from pykarmada.controllers.context import ControllerContext, Options
from pykarmada.controllers.common.members import MemberClients
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.controller import Controller
from pykarmada.kube.events import broadcaster_for, budget_from_flags
from pykarmada.kube.leader import LeaderElector
from pykarmada.kube.metrics_server import Endpoints, health_app, metrics_app

log = logging.getLogger(__name__)
LEASE_NAME = "karmada-controller-manager"


async def until_signalled(main: Awaitable[None], name: str) -> None:
    """Run ``main`` until SIGTERM or SIGINT cancels it, so that it shuts down in order (the
    leader lease given back); shared by the controller process and the agent."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    try:
        await main
    except asyncio.CancelledError:
        logging.getLogger(name).info("shut down")


async def run(options: Options) -> None:
    control_plane = KubeClient(connection_from_kubeconfig(options.kubeconfig), user_agent="karmada-controller-manager")
    ctx = ControllerContext(options, control_plane, MemberClients(control_plane))
    await serve(ctx, LEASE_NAME, lambda: _lead(ctx))


async def serve(ctx: ControllerContext, lease_name: str, lead: Callable[[], Awaitable[None]], *, prepare: Callable[[], Awaitable[None]] | None = None) -> None:
    """Endpoints, then ``prepare()`` (the agent registers its cluster), then ``lead()`` once
    leader of Lease ``lease_name``; on the way out the lease is given back and the context's
    clients and endpoints are closed. Shared by the controller process and the agent."""
    options = ctx.options
    broadcaster_for(ctx.control_plane).budget = budget_from_flags(options.event_qps, options.event_burst)
    # A standby waiting for the lease is ready (as upstream's, whose readyz always passes): a
    # rolling update must not wait for it. The leader is ready once its informers synced.
    ctx.ready = options.leader_elect
    endpoints = Endpoints()
    endpoints.add("metrics", options.metrics_bind_address, metrics_app())
    endpoints.add("health probes", options.health_probe_bind_address, health_app(lambda: ctx.ready))
    try:
        await endpoints.start()
        if prepare is not None:
            await prepare()
        if options.leader_elect:
            identity = f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            elector = LeaderElector(
                ctx.control_plane, options.leader_elect_namespace, lease_name, identity,
                lease_duration=options.leader_elect_lease_duration, renew_deadline=options.leader_elect_renew_deadline, retry_period=options.leader_elect_retry_period,
            )
            await elector.run(lead)
        else:
            await lead()
    finally:
        for close in ctx.closers:
            await close()
        await ctx.members.close()
        await ctx.control_plane.close()
        await endpoints.stop()


async def _lead(ctx: ControllerContext) -> None:
    setups = [setup(ctx) for name, setup in registry.CONTROLLERS.items() if registry.enabled(ctx.options.controllers, name)]
    await run_controllers(ctx, [c for c in setups if c is not None])


async def run_controllers(ctx: ControllerContext, controllers: list[Controller]) -> None:  # type: ignore[type-arg]
    """Start the context's informers, wait for them to sync, then run the controllers until
    cancelled; the informers stop after them."""
    ctx.ready = False
    log.info("starting controllers: %s", ", ".join(c.name for c in controllers))
    for informer in ctx.informers.values():
        informer.start()
    await asyncio.gather(*(i.wait_synced() for i in ctx.informers.values()))
    ctx.ready = True
    try:
        await asyncio.gather(*(c.run() for c in controllers))
    finally:
        ctx.ready = False
        await ctx.member_informers.stop()
        for informer in ctx.informers.values():
            await informer.stop()
