"""What every controller gets: the control-plane client, shared informers, member clients, options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pykarmada.controllers.common.member_informers import MemberInformers
from pykarmada.controllers.common.members import MemberClients
from pykarmada.karmada.estimation.client import EstimatorClientOptions
from pykarmada.karmada.features import FeatureGates
from pykarmada.kube.client import KubeClient
from pykarmada.kube.informer import Informer
from pykarmada.kube.metrics_server import BindAddress


@dataclass(frozen=True)
class Options:
    kubeconfig: str
    controllers: str = "*"
    leader_elect: bool = True
    leader_elect_namespace: str = "karmada-system"
    cluster_status_update_frequency: float = 10.0
    cluster_success_threshold: float = 30.0
    cluster_failure_threshold: float = 30.0
    workers: int = 4
    metrics_bind_address: BindAddress | None = None  # None: not served (the flags default to upstream's)
    health_probe_bind_address: BindAddress | None = None
    feature_gates: FeatureGates = field(default_factory=FeatureGates)
    enable_scheduler_estimator: bool = False
    scheduler_estimator: EstimatorClientOptions = field(default_factory=EstimatorClientOptions)


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
            self.informers[path] = Informer(self.control_plane, path)
        return self.informers[path]
