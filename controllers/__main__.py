"""``python -m pykarmada.controllers``: the controller process (karmada-controller-manager)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from pykarmada.controllers import manager, registry
from pykarmada.controllers.context import Options
from pykarmada.karmada.estimation.flags import add_estimator_client_flags, estimator_client_options
from pykarmada.karmada.features import DEFAULTS, FeatureGateError, FeatureGates
from pykarmada.kube.flags import duration_flag
from pykarmada.kube.metrics_server import CannotServe, bind_address_flag


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="karmada-controller-manager", description=__doc__)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--controllers", default="*", help=f"'*', or names ({', '.join(registry.CONTROLLERS)}), '-name' disables")
    p.add_argument("--leader-elect", default="true", choices=["true", "false"])
    p.add_argument("--leader-elect-resource-namespace", default="karmada-system")
    p.add_argument("--cluster-status-update-frequency", type=duration_flag, default=10.0)
    p.add_argument("--cluster-success-threshold", type=duration_flag, default=30.0)
    p.add_argument("--cluster-failure-threshold", type=duration_flag, default=30.0)
    p.add_argument("--concurrent-workers", type=int, default=4)
    p.add_argument("--metrics-bind-address", type=bind_address_flag, default=":8080", help="host:port for /metrics (plain HTTP); 0 disables")
    p.add_argument("--health-probe-bind-address", type=bind_address_flag, default=":10357", help="host:port for /healthz and /readyz; 0 disables")
    p.add_argument("--feature-gates", default="", help=f"A=true,B=false; gates: {', '.join(f'{k} (default {v})' for k, v in DEFAULTS.items())}")
    p.add_argument("--enable-scheduler-estimator", nargs="?", const="true", default="false", choices=["true", "false"], help="Ask each member's karmada-scheduler-estimator too.")
    add_estimator_client_flags(p)
    p.add_argument("-v", "--v", type=int, default=0)
    a = p.parse_args(argv)
    try:
        gates = FeatureGates.parse(a.feature_gates)
    except FeatureGateError as e:
        p.error(f"--feature-gates: {e}")
    if bad := registry.unknown(a.controllers):
        p.error(f"--controllers: unknown controller(s) {', '.join(bad)}")
    logging.basicConfig(level=logging.DEBUG if a.v >= 4 else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return Options(
        kubeconfig=a.kubeconfig,
        controllers=a.controllers,
        leader_elect=a.leader_elect == "true",
        leader_elect_namespace=a.leader_elect_resource_namespace,
        cluster_status_update_frequency=a.cluster_status_update_frequency,
        cluster_success_threshold=a.cluster_success_threshold,
        cluster_failure_threshold=a.cluster_failure_threshold,
        workers=a.concurrent_workers,
        metrics_bind_address=a.metrics_bind_address,
        health_probe_bind_address=a.health_probe_bind_address,
        feature_gates=gates,
        enable_scheduler_estimator=a.enable_scheduler_estimator == "true",
        scheduler_estimator=estimator_client_options(p, a),
    )


async def _serve(options: Options) -> None:
    """Run until SIGTERM or SIGINT, then shut down in order (releasing the leader lease)."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    try:
        await manager.run(options)
    except asyncio.CancelledError:
        logging.getLogger(__name__).info("shut down")


def main(argv: list[str] | None = None) -> None:
    try:
        asyncio.run(_serve(parse_args(argv)))
    except CannotServe as e:
        logging.getLogger(__name__).error("cannot serve: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
