"""What each step installing Karmada's parts into the local control plane is given."""

from __future__ import annotations

from dataclasses import dataclass

from pykarmada.localup.binaries import Binaries
from pykarmada.localup.components import ClusterPlan
from pykarmada.localup.pki import EstimatorPki, EtcdPki
from pykarmada.localup.starter import Starter
from pykarmada.localup.state import Layout


@dataclass(frozen=True)
class InstallContext:
    bins: Binaries
    layout: Layout
    control_plane: ClusterPlan
    starter: Starter
    timeout: float
    etcd_pki: EtcdPki
    etcd_port: int
    upstream_defaults: bool = False  # False: cluster failover on (see controllers.failover_flags)
    estimator_pki: EstimatorPki | None = None  # None: the controller process runs without estimators
