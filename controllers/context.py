"""What every controller gets: the control-plane client, shared informers, member clients, options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pykarmada.controllers.common.member_informers import MemberInformers
from pykarmada.controllers.common.members import MemberClients
from pykarmada.karmada.eviction import DEFAULT_GRACEFUL_EVICTION_TIMEOUT
from pykarmada.karmada.estimation.client import EstimatorClientOptions
from pykarmada.karmada.features import FeatureGates
from pykarmada.kube.client import KubeClient
from pykarmada.kube.informer import Informer, strip_managed_fields
from pykarmada.kube.metrics_server import BindAddress

# Normal Events per second once the burst is spent: every Event of ordinary use is written (a
# Deployment reaching three clusters records 25), a burst of thousands is sampled.
DEFAULT_EVENT_QPS = 10.0
DEFAULT_EVENT_BURST = 500

@dataclass(frozen=True)
class Options:
    kubeconfig: str
    controllers: str = "*"
    leader_elect: bool = True
    leader_elect_namespace: str = "karmada-system"
    leader_elect_lease_duration: float = 15.0
    leader_elect_renew_deadline: float = 10.0
    leader_elect_retry_period: float = 2.0
    cluster_status_update_frequency: float = 10.0
    cluster_success_threshold: float = 30.0
    cluster_failure_threshold: float = 30.0
    cluster_monitor_period: float = 5.0
    cluster_monitor_grace_period: float = 40.0
    cluster_startup_grace_period: float = 60.0
    workers: int = 4
    metrics_bind_address: BindAddress | None = None  # None: not served (the flags default to upstream's)
    health_probe_bind_address: BindAddress | None = None
    feature_gates: FeatureGates = field(default_factory=FeatureGates)
    # Which clusters' members this process reaches: Push (the controller process) or Pull (an
    # agent, for its own cluster; its context's informers are scoped to that cluster).
    sync_mode: str = "Push"
    # Cluster failover, with upstream's flags and defaults (the taint manager needs gate Failover).
    enable_taint_manager: bool = True
    enable_no_execute_taint_eviction: bool = False
    no_execute_taint_eviction_purge_mode: str = "Gracefully"
    resource_eviction_rate: float = 0.5
    graceful_eviction_timeout: float = DEFAULT_GRACEFUL_EVICTION_TIMEOUT
    enable_scheduler_estimator: bool = False
    scheduler_estimator: EstimatorClientOptions = field(default_factory=EstimatorClientOptions)
    # The Normal Event budget (pykarmada.kube.events.EventBudget); a QPS of 0 writes every Event.
    event_qps: float = DEFAULT_EVENT_QPS
    event_burst: int = DEFAULT_EVENT_BURST


@dataclass
class ControllerContext:
    options: Options
    control_plane: KubeClient
    members: MemberClients
    informers: dict[str, Informer] = field(default_factory=dict)
    member_informers: MemberInformers = field(init=False)
    ready: bool = False  # /readyz (see manager.run)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # run at shutdown

    def __post_init__(self) -> None:
        self.member_informers = MemberInformers(self.members)

    def informer(self, path: str) -> Informer:
        """One shared informer per collection path."""
        if path not in self.informers:
            self.informers[path] = Informer(self.control_plane, path, transform=strip_managed_fields)
        return self.informers[path]
