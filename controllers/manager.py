"""Start order, as controller-runtime's manager: metrics and health endpoints -> (leader election)
-> informers -> wait for sync -> controllers. Shutdown cancels controllers, then informers, then
closes clients and endpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from pykarmada.controllers import registry
from pykarmada.controllers.context import ControllerContext, Options
from pykarmada.controllers.common.members import MemberClients
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.leader import LeaderElector
from pykarmada.kube.metrics_server import Endpoints, health_app, metrics_app

log = logging.getLogger(__name__)
LEASE_NAME = "karmada-controller-manager"


async def run(options: Options) -> None:
    control_plane = KubeClient(connection_from_kubeconfig(options.kubeconfig), user_agent="karmada-controller-manager")
    ctx = ControllerContext(options, control_plane, MemberClients(control_plane))
    # A standby waiting for the lease is ready (as upstream's, whose readyz always passes): a
    # rolling update must not wait for it. The leader is ready once its informers synced.
    ctx.ready = options.leader_elect
    endpoints = Endpoints()
    endpoints.add("metrics", options.metrics_bind_address, metrics_app())
    endpoints.add("health probes", options.health_probe_bind_address, health_app(lambda: ctx.ready))
    try:
        await endpoints.start()
        if options.leader_elect:
            identity = f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            elector = LeaderElector(control_plane, options.leader_elect_namespace, LEASE_NAME, identity)
            await elector.run(lambda: _lead(ctx))
        else:
            await _lead(ctx)
    finally:
        for close in ctx.closers:
            await close()
        await ctx.members.close()
        await control_plane.close()
        await endpoints.stop()


async def _lead(ctx: ControllerContext) -> None:
    ctx.ready = False
    controllers = [setup(ctx) for name, setup in registry.CONTROLLERS.items() if registry.enabled(ctx.options.controllers, name)]
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
