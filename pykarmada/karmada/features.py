"""Karmada's feature gates (``--feature-gates=Name=true,Other=false``), with upstream's names and
defaults. One immutable value per process, parsed from its flag and passed to what needs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FAILOVER = "Failover"
GRACEFUL_EVICTION = "GracefulEviction"
PROPAGATE_DEPS = "PropagateDeps"
CUSTOMIZED_CLUSTER_RESOURCE_MODELING = "CustomizedClusterResourceModeling"
POLICY_PREEMPTION = "PropagationPolicyPreemption"
MULTI_CLUSTER_SERVICE = "MultiClusterService"
RESOURCE_QUOTA_ESTIMATE = "ResourceQuotaEstimate"
STATEFUL_FAILOVER_INJECTION = "StatefulFailoverInjection"
PRIORITY_BASED_SCHEDULING = "PriorityBasedScheduling"
FEDERATED_QUOTA_ENFORCEMENT = "FederatedQuotaEnforcement"
CONTROLLER_PRIORITY_QUEUE = "ControllerPriorityQueue"
SCHEDULING_OVERCOMMIT_PROTECTION = "SchedulingOvercommitProtection"

DEFAULTS: Mapping[str, bool] = {
    FAILOVER: False,
    GRACEFUL_EVICTION: True,
    PROPAGATE_DEPS: True,
    CUSTOMIZED_CLUSTER_RESOURCE_MODELING: True,
    POLICY_PREEMPTION: False,
    MULTI_CLUSTER_SERVICE: False,
    RESOURCE_QUOTA_ESTIMATE: False,
    STATEFUL_FAILOVER_INJECTION: False,
    PRIORITY_BASED_SCHEDULING: True,
    FEDERATED_QUOTA_ENFORCEMENT: False,
    CONTROLLER_PRIORITY_QUEUE: True,
    SCHEDULING_OVERCOMMIT_PROTECTION: False,
}


class FeatureGateError(ValueError):
    """A ``--feature-gates`` value that names an unknown gate or a value that is not a boolean."""


@dataclass(frozen=True)
class FeatureGates:
    overrides: Mapping[str, bool] = field(default_factory=dict)

    def enabled(self, name: str) -> bool:
        if name not in DEFAULTS:
            raise KeyError(f"unknown feature gate {name}")
        return self.overrides.get(name, DEFAULTS[name])

    def flag(self) -> str:
        """The ``--feature-gates`` value that reproduces these gates (for child processes)."""
        return ",".join(f"{k}={str(v).lower()}" for k, v in sorted(self.overrides.items()))

    @classmethod
    def parse(cls, value: str) -> FeatureGates:
        """Parse ``A=true,B=false`` as component-base does: unknown names and non-boolean values are errors."""
        overrides: dict[str, bool] = {}
        for item in (s.strip() for s in value.split(",")):
            if not item:
                continue
            name, sep, raw = item.partition("=")
            name = name.strip()
            if not sep:
                raise FeatureGateError(f"missing bool value for {name}")
            if name not in DEFAULTS:
                raise FeatureGateError(f"unrecognized feature gate: {name}")
            lowered = raw.strip().lower()
            if lowered not in ("true", "false"):
                raise FeatureGateError(f"invalid value of {name}={raw.strip()}, err: not a boolean")
            overrides[name] = lowered == "true"
        return cls(overrides)
