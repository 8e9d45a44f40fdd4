"""``python -m pykarmada.descheduler`` (``karmada-descheduler``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import uuid

from pykarmada.descheduler.descheduler import COMPONENT, Descheduler, Settings
from pykarmada.karmada.estimation.flags import add_estimator_client_flags, estimator_client_options
from pykarmada.kube import loop as event_loop
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.flags import go_duration, require_files
from pykarmada.kube.leader import LeaderElector
from pykarmada.kube.metrics_server import BindAddress, CannotServe, Endpoints, bind_address_flag, health_app, metrics_app

log = logging.getLogger("pykarmada.descheduler")


def parse_args(argv: list[str] | None = None) -> tuple[Settings, BindAddress | None, BindAddress | None]:
    p = argparse.ArgumentParser(prog=COMPONENT, description="Moves replicas that stay unschedulable in a member elsewhere.")
    p.add_argument("--kubeconfig", required=True, help="Path to karmada control plane kubeconfig file.")
    p.add_argument("--leader-elect", default="true", choices=["true", "false"])
    p.add_argument("--leader-elect-resource-namespace", default="karmada-system")
    p.add_argument("--descheduling-interval", type=go_duration, default=120.0, help="Time between two descheduling rounds (default 2m).")
    p.add_argument("--unschedulable-threshold", type=go_duration, default=300.0, help="How long a pod must be unschedulable to count (default 5m).")
    add_estimator_client_flags(p)
    p.add_argument("--metrics-bind-address", type=bind_address_flag, default=":8080")
    p.add_argument("--health-probe-bind-address", type=bind_address_flag, default=":10358")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    a = p.parse_args(argv)
    if a.descheduling_interval <= 0:
        p.error("--descheduling-interval must be greater than 0")
    require_files(p, a, "kubeconfig")
    logging.basicConfig(level=a.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings = Settings(
        kubeconfig=a.kubeconfig,
        leader_elect=a.leader_elect == "true",
        leader_elect_namespace=a.leader_elect_resource_namespace,
        descheduling_interval=a.descheduling_interval,
        unschedulable_threshold=a.unschedulable_threshold,
        estimator=estimator_client_options(p, a),
    )
    return settings, a.metrics_bind_address, a.health_probe_bind_address


async def run(settings: Settings, metrics: BindAddress | None, health: BindAddress | None) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    endpoints = Endpoints()
    endpoints.add("metrics", metrics, metrics_app())
    endpoints.add("health probes", health, health_app(lambda: True))
    async with KubeClient(connection_from_kubeconfig(settings.kubeconfig), user_agent=COMPONENT) as client:
        descheduler = Descheduler(client, settings)
        try:
            await endpoints.start()
            if settings.leader_elect:
                identity = f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
                await LeaderElector(client, settings.leader_elect_namespace, COMPONENT, identity).run(descheduler.run)
            else:
                await descheduler.run()
        except asyncio.CancelledError:
            log.info("shut down")
        finally:
            await endpoints.stop()


def main(argv: list[str] | None = None) -> None:
    try:
        event_loop.run(run(*parse_args(argv)))
    except CannotServe as e:
        log.error("cannot serve: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
