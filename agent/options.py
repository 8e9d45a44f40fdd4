"""karmada-agent's flags, with upstream's names and defaults (surfaces.md 5.1), and their
validation. Pure: parsing never touches a cluster, so it is unit-tested as it is."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from pykarmada.karmada.cluster import validate_name
from pykarmada.karmada.features import DEFAULTS, FeatureGateError, FeatureGates
from pykarmada.kube.flags import go_bool, go_duration
from pykarmada.kube.metrics_server import BindAddress, bind_address_flag

CLUSTER_STATUS, EXECUTION, WORK_STATUS, CERT_ROTATION = "clusterStatus", "execution", "workStatus", "certRotation"
SERVICE_EXPORT, ENDPOINTSLICE_COLLECT = "serviceExport", "endpointsliceCollect"
CONTROLLERS = (CLUSTER_STATUS, EXECUTION, WORK_STATUS, SERVICE_EXPORT, CERT_ROTATION, ENDPOINTSLICE_COLLECT)
DISABLED_BY_DEFAULT = frozenset({CERT_ROTATION})
# Upstream's names, accepted so that a register-generated command line runs; not implemented here.
NOT_IMPLEMENTED = frozenset({SERVICE_EXPORT, ENDPOINTSLICE_COLLECT})

KUBE_CREDENTIALS, KUBE_IMPERSONATOR, REPORT_NONE = "KubeCredentials", "KubeImpersonator", "None"

def string_slice(values: list[str] | None, default: list[str]) -> list[str]:
    """pflag's StringSlice: comma-separated, and repeating the flag appends."""
    if values is None:
        return list(default)
    return [item.strip() for v in values for item in v.split(",") if item.strip()]


@dataclass(frozen=True)
class AgentOptions:
    cluster_name: str
    karmada_kubeconfig: str = ""
    karmada_context: str = ""
    kubeconfig: str = ""
    cluster_namespace: str = "karmada-cluster"
    cluster_api_endpoint: str = ""
    proxy_server_address: str = ""
    cluster_provider: str = ""
    cluster_region: str = ""
    cluster_zones: tuple[str, ...] = ()
    report_secrets: tuple[str, ...] = (KUBE_CREDENTIALS, KUBE_IMPERSONATOR)
    controllers: tuple[str, ...] = ("*",)
    cluster_status_update_frequency: float = 10.0
    cluster_lease_duration: float = 40.0
    cluster_lease_renew_interval_fraction: float = 0.25
    cluster_success_threshold: float = 30.0
    cluster_failure_threshold: float = 30.0
    cluster_cache_sync_timeout: float = 120.0
    concurrent_work_syncs: int = 5
    concurrent_cluster_syncs: int = 5
    enable_cluster_resource_modeling: bool = True
    cert_rotation_checking_interval: float = 300.0
    cert_rotation_remaining_time_threshold: float = 0.2
    karmada_kubeconfig_namespace: str = "karmada-system"
    leader_elect: bool = True
    leader_elect_resource_namespace: str = "karmada-system"
    leader_elect_lease_duration: float = 15.0
    leader_elect_renew_deadline: float = 10.0
    leader_elect_retry_period: float = 2.0
    metrics_bind_address: BindAddress | None = None
    health_probe_bind_address: BindAddress | None = None
    feature_gates: FeatureGates = field(default_factory=FeatureGates)
    verbosity: int = 0

    @property
    def report_credentials(self) -> bool:
        return KUBE_CREDENTIALS in self.report_secrets

    @property
    def report_impersonator(self) -> bool:
        return KUBE_IMPERSONATOR in self.report_secrets

    def enabled(self, name: str) -> bool:
        """controller-runtime's selection: ``*`` turns on the on-by-default controllers, ``name``
        one more, ``-name`` one off."""
        if f"-{name}" in self.controllers:
            return False
        if name in self.controllers:
            return True
        return "*" in self.controllers and name not in DISABLED_BY_DEFAULT

    @property
    def lease_renew_interval(self) -> float:
        return lease_renew_interval(self.cluster_lease_duration, self.cluster_lease_renew_interval_fraction)


def lease_renew_interval(duration: float, fraction: float) -> float:
    """How often the cluster Lease is renewed: the lease duration times the fraction (40s x 0.25 = 10s)."""
    return duration * fraction


def validate(o: AgentOptions) -> list[str]:
    """Every problem at once, each naming the flag (upstream checks name, durations and fraction;
    we also refuse values upstream would silently ignore)."""
    errors = [f"--cluster-name: {str(e).removeprefix('metadata.name: ')}" for e in validate_name(o.cluster_name)]
    if o.cluster_status_update_frequency < 0:
        errors.append("--cluster-status-update-frequency: must be greater than or equal to 0")
    if o.cluster_lease_duration < 0:
        errors.append("--cluster-lease-duration: must be greater than or equal to 0")
    if not 0 < o.cluster_lease_renew_interval_fraction < 1:
        errors.append("--cluster-lease-renew-interval-fraction: must be greater than 0 and less than 1")
    bad = [s for s in o.report_secrets if s not in (KUBE_CREDENTIALS, KUBE_IMPERSONATOR, REPORT_NONE)]
    if bad:
        errors.append(f"--report-secrets: unknown value(s) {', '.join(bad)}; valid: {KUBE_CREDENTIALS}, {KUBE_IMPERSONATOR}, {REPORT_NONE}")
    unknown = [n for n in o.controllers if n != "*" and n.lstrip("-") not in CONTROLLERS]
    if unknown:
        errors.append(f"--controllers: unknown controller(s) {', '.join(unknown)}; known: {', '.join(CONTROLLERS)}")
    for flag, value in (("--concurrent-work-syncs", o.concurrent_work_syncs), ("--concurrent-cluster-syncs", o.concurrent_cluster_syncs)):
        if value < 1:
            errors.append(f"{flag}: must be at least 1")
    if not 0 <= o.cert_rotation_remaining_time_threshold <= 1:
        errors.append("--cert-rotation-remaining-time-threshold: must be between 0 and 1")
    return errors


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="karmada-agent", description="The agent of a Pull-mode member cluster: registers it and runs its controllers.")
    flag = p.add_argument
    flag("--karmada-kubeconfig", default="", help="Path to karmada control plane kubeconfig file.")
    flag("--karmada-context", default="", help="Name of the cluster context in karmada control plane kubeconfig file.")
    flag("--kubeconfig", default="", help="kubeconfig of the member cluster (default: $KUBECONFIG, in-cluster config, ~/.kube/config).")
    flag("--cluster-name", default="", help="Name of member cluster that the agent serves for.")
    flag("--cluster-namespace", default="karmada-cluster", help="Namespace in the control plane where member cluster secrets are stored.")
    flag("--cluster-api-endpoint", default="", help="APIEndpoint of the cluster.")
    flag("--proxy-server-address", default="", help="Address of the proxy server that is used to proxy to the cluster.")
    flag("--cluster-provider", default="")
    flag("--cluster-region", default="")
    flag("--cluster-zones", action="append")
    flag("--report-secrets", action="append", help="KubeCredentials, KubeImpersonator (default both) or None.")
    flag("--controllers", action="append", help=f"'*' enables the on-by-default controllers, 'foo' one, '-foo' disables one. All: {', '.join(CONTROLLERS)}.")
    for name, default in (("--cluster-status-update-frequency", "10s"), ("--cluster-lease-duration", "40s"), ("--cluster-success-threshold", "30s"),
                          ("--cluster-failure-threshold", "30s"), ("--cluster-cache-sync-timeout", "2m"), ("--cert-rotation-checking-interval", "5m"),
                          ("--leader-elect-lease-duration", "15s"), ("--leader-elect-renew-deadline", "10s"), ("--leader-elect-retry-period", "2s"),
                          ("--resync-period", "0"), ("--rate-limiter-base-delay", "5ms"), ("--rate-limiter-max-delay", "1000s")):
        flag(name, type=go_duration, default=go_duration(default))
    flag("--cluster-lease-renew-interval-fraction", type=float, default=0.25)
    flag("--cert-rotation-remaining-time-threshold", type=float, default=0.2)
    flag("--karmada-kubeconfig-namespace", default="karmada-system")
    for name, default in (("--concurrent-work-syncs", 5), ("--concurrent-cluster-syncs", 5), ("--cluster-api-burst", 60), ("--kube-api-burst", 60),
                          ("--rate-limiter-qps", 10), ("--rate-limiter-bucket-size", 100)):
        flag(name, type=int, default=default)
    for name in ("--cluster-api-qps", "--kube-api-qps"):
        flag(name, type=float, default=40.0)
    for name, default in (("--leader-elect", True), ("--enable-cluster-resource-modeling", True), ("--enable-pprof", False)):
        flag(name, type=go_bool, nargs="?", const=True, default=default)
    flag("--leader-elect-resource-namespace", default="karmada-system")
    flag("--metrics-bind-address", type=bind_address_flag, default=":8080", help="host:port for /metrics; 0 disables")
    flag("--health-probe-bind-address", type=bind_address_flag, default=":10357", help="host:port for /healthz and /readyz; 0 disables")
    flag("--profiling-bind-address", default=":6060")
    flag("--feature-gates", default="", help=f"A=true,B=false; gates: {', '.join(DEFAULTS)}")
    flag("-v", "--v", type=int, default=0)
    return p


def parse_args(argv: list[str] | None = None) -> AgentOptions:
    """Flags -> options; a usage error (exit 2) names every wrong flag."""
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        gates = FeatureGates.parse(a.feature_gates)
    except FeatureGateError as e:
        parser.error(f"--feature-gates: {e}")
    report = string_slice(a.report_secrets, [KUBE_CREDENTIALS, KUBE_IMPERSONATOR])
    options = AgentOptions(
        cluster_name=a.cluster_name,
        karmada_kubeconfig=a.karmada_kubeconfig,
        karmada_context=a.karmada_context,
        kubeconfig=a.kubeconfig,
        cluster_namespace=a.cluster_namespace,
        cluster_api_endpoint=a.cluster_api_endpoint,
        proxy_server_address=a.proxy_server_address,
        cluster_provider=a.cluster_provider,
        cluster_region=a.cluster_region,
        cluster_zones=tuple(string_slice(a.cluster_zones, [])),
        report_secrets=tuple(report),
        controllers=tuple(string_slice(a.controllers, ["*"])),
        cluster_status_update_frequency=a.cluster_status_update_frequency,
        cluster_lease_duration=a.cluster_lease_duration,
        cluster_lease_renew_interval_fraction=a.cluster_lease_renew_interval_fraction,
        cluster_success_threshold=a.cluster_success_threshold,
        cluster_failure_threshold=a.cluster_failure_threshold,
        cluster_cache_sync_timeout=a.cluster_cache_sync_timeout,
        concurrent_work_syncs=a.concurrent_work_syncs,
        concurrent_cluster_syncs=a.concurrent_cluster_syncs,
        enable_cluster_resource_modeling=a.enable_cluster_resource_modeling,
        cert_rotation_checking_interval=a.cert_rotation_checking_interval,
        cert_rotation_remaining_time_threshold=a.cert_rotation_remaining_time_threshold,
        karmada_kubeconfig_namespace=a.karmada_kubeconfig_namespace,
        leader_elect=a.leader_elect,
        leader_elect_resource_namespace=a.leader_elect_resource_namespace,
        leader_elect_lease_duration=a.leader_elect_lease_duration,
        leader_elect_renew_deadline=a.leader_elect_renew_deadline,
        leader_elect_retry_period=a.leader_elect_retry_period,
        metrics_bind_address=a.metrics_bind_address,
        health_probe_bind_address=a.health_probe_bind_address,
        feature_gates=gates,
        verbosity=a.v,
    )
    if errors := validate(options):
        parser.error("; ".join(errors))
    return options
