"""``python -m pykarmada.controllers``: the controller process (karmada-controller-manager)."""

from __future__ import annotations

import argparse
import logging

from pykarmada.controllers import manager, registry
from pykarmada.controllers.context import DEFAULT_EVENT_BURST, DEFAULT_EVENT_QPS, Options
from pykarmada.karmada.estimation.flags import add_estimator_client_flags, estimator_client_options
from pykarmada.karmada.eviction import DEFAULT_GRACEFUL_EVICTION_TIMEOUT
from pykarmada.karmada.features import DEFAULTS, FeatureGateError, FeatureGates
from pykarmada.kube import loop as event_loop
from pykarmada.kube.flags import go_bool, go_duration
from pykarmada.kube.metrics_server import CannotServe, bind_address_flag


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="karmada-controller-manager", description=__doc__)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--controllers", default="*", help=f"'*', or names ({', '.join(registry.CONTROLLERS)}), '-name' disables")
    p.add_argument("--leader-elect", default="true", choices=["true", "false"])
    p.add_argument("--leader-elect-resource-namespace", default="karmada-system")
    p.add_argument("--cluster-status-update-frequency", type=go_duration, default=10.0)
    p.add_argument("--cluster-success-threshold", type=go_duration, default=30.0)
    p.add_argument("--cluster-failure-threshold", type=go_duration, default=30.0)
    p.add_argument("--cluster-monitor-period", type=go_duration, default=5.0, help="how often Pull clusters' leases are checked")
    p.add_argument("--cluster-monitor-grace-period", type=go_duration, default=40.0, help="a Pull cluster silent this long becomes Ready=Unknown")
    p.add_argument("--cluster-startup-grace-period", type=go_duration, default=60.0, help="the same, for a cluster that never posted status")
    p.add_argument("--concurrent-workers", type=int, default=4)
    p.add_argument("--metrics-bind-address", type=bind_address_flag, default=":8080", help="host:port for /metrics (plain HTTP); 0 disables")
    p.add_argument("--health-probe-bind-address", type=bind_address_flag, default=":10357", help="host:port for /healthz and /readyz; 0 disables")
    p.add_argument("--feature-gates", default="", help=f"A=true,B=false; gates: {', '.join(f'{k} (default {v})' for k, v in DEFAULTS.items())}")
    p.add_argument("--enable-taint-manager", type=go_bool, nargs="?", const=True, default=True,
                   help="Evict bindings from clusters with NoExecute taints they do not tolerate (needs gate Failover; default true).")
    p.add_argument("--enable-no-execute-taint-eviction", type=go_bool, nargs="?", const=True, default=False,
                   help="Let NoExecute taints on clusters evict the workloads that do not tolerate them (default false).")
    p.add_argument("--no-execute-taint-eviction-purge-mode", default="Gracefully",
                   help="Directly or Gracefully: how NoExecute evictions clean up the old copies (default Gracefully).")
    p.add_argument("--resource-eviction-rate", type=float, default=0.5, help="Resources evicted per second in a cluster failover (default 0.5).")
    p.add_argument("--graceful-eviction-timeout", type=go_duration, default=DEFAULT_GRACEFUL_EVICTION_TIMEOUT,
                   help="How long graceful eviction tasks keep the old copies at most (default 10m).")
    p.add_argument("--enable-scheduler-estimator", nargs="?", const="true", default="false", choices=["true", "false"], help="Ask each member's karmada-scheduler-estimator too.")
    add_estimator_client_flags(p)
    p.add_argument("--event-qps", type=float, default=DEFAULT_EVENT_QPS,
                   help=f"Normal Events written per second at most, once --event-burst is spent; 0 writes them all (default {DEFAULT_EVENT_QPS:g}). Warnings are always written.")
    p.add_argument("--event-burst", type=int, default=DEFAULT_EVENT_BURST,
                   help=f"Normal Events written at once before --event-qps applies (default {DEFAULT_EVENT_BURST}).")
    p.add_argument("-v", "--v", type=int, default=0)
    a = p.parse_args(argv)
    if a.enable_no_execute_taint_eviction and a.no_execute_taint_eviction_purge_mode not in ("Gracefully", "Directly"):
        p.error(f"--no-execute-taint-eviction-purge-mode: Invalid mode {a.no_execute_taint_eviction_purge_mode!r} (Directly or Gracefully)")
    if a.event_qps < 0 or a.event_burst < 1:
        p.error(f"--event-qps must be at least 0 and --event-burst at least 1, not {a.event_qps:g} and {a.event_burst}")
    if a.resource_eviction_rate < 0:
        p.error(f"--resource-eviction-rate: must be greater than or equal to 0, not {a.resource_eviction_rate}")
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
        cluster_monitor_period=a.cluster_monitor_period,
        cluster_monitor_grace_period=a.cluster_monitor_grace_period,
        cluster_startup_grace_period=a.cluster_startup_grace_period,
        workers=a.concurrent_workers,
        metrics_bind_address=a.metrics_bind_address,
        health_probe_bind_address=a.health_probe_bind_address,
        feature_gates=gates,
        enable_taint_manager=a.enable_taint_manager,
        enable_no_execute_taint_eviction=a.enable_no_execute_taint_eviction,
        no_execute_taint_eviction_purge_mode=a.no_execute_taint_eviction_purge_mode,
        resource_eviction_rate=a.resource_eviction_rate,
        graceful_eviction_timeout=a.graceful_eviction_timeout,
        enable_scheduler_estimator=a.enable_scheduler_estimator == "true",
        scheduler_estimator=estimator_client_options(p, a),
        event_qps=a.event_qps,
        event_burst=a.event_burst,
    )


def main(argv: list[str] | None = None) -> None:
    try:
        event_loop.run(manager.until_signalled(manager.run(parse_args(argv)), __name__))
    except CannotServe as e:
        logging.getLogger(__name__).error("cannot serve: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
