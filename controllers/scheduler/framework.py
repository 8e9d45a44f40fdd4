"""Scheduler framework: plugin interfaces, result codes and the errors the pipeline returns.

Mirrors ``pkg/scheduler/framework``. One deliberate difference: plugins receive a
:class:`BindingContext` built once per scheduling attempt (the binding spec and status plus the
derived values every plugin would otherwise recompute for each cluster), not the raw spec/status.
"""

from __future__ import annotations

import copy
import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, runtime_checkable

from pykarmada.controllers.scheduler import spec as specs
from pykarmada.karmada import constants as C

__all__ = [
    "Code",
    "Result",
    "SUCCESS",
    "TargetCluster",
    "BindingContext",
    "ClusterDetail",
    "FilterPlugin",
    "ScorePlugin",
    "SchedulingError",
    "FitError",
    "UnschedulableError",
    "MIN_CLUSTER_SCORE",
    "MAX_CLUSTER_SCORE",
]

MIN_CLUSTER_SCORE = 0
MAX_CLUSTER_SCORE = 100


class TargetCluster(TypedDict, total=False):
    """An entry of ``spec.clusters``; ``replicas`` is omitted when 0, as Go's omitempty does."""

    name: str
    replicas: int


class Code(enum.IntEnum):
    SUCCESS = 0
    UNSCHEDULABLE = 1
    ERROR = 2


@dataclass(frozen=True, slots=True)
class Result:
    """What a plugin says about one cluster; ``reasons`` feed the FitError histogram."""

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()

    @property
    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    @classmethod
    def unschedulable(cls, *reasons: str) -> Result:
        return cls(Code.UNSCHEDULABLE, reasons)

    @classmethod
    def error(cls, *reasons: str) -> Result:
        return cls(Code.ERROR, reasons)

    def message(self) -> str:
        return ("," if self.code == Code.ERROR else ", ").join(self.reasons)


SUCCESS = Result()


@dataclass(slots=True)
class BindingContext:
    """A binding being scheduled, with the values plugins need precomputed once.

    ``observed_affinity_name`` is the clusterAffinities term under trial: the scheduler overrides
    the one stored in the status while it walks the terms (behaviour.md 2.4).
    """

    spec: Mapping[str, Any]
    status: Mapping[str, Any]
    placement: Mapping[str, Any]
    observed_affinity_name: str
    target_names: frozenset[str]
    is_workload: bool
    group_version: str
    kind: str
    tolerations: list[Mapping[str, Any]]
    spread_fields: tuple[str, ...]
    evicting: frozenset[str]
    affinities: list[Mapping[str, Any]] | None = field(default=None)

    @classmethod
    def build(cls, spec: Mapping[str, Any], status: Mapping[str, Any] | None = None, *, affinity_name: str | None = None) -> BindingContext:
        status = status or {}
        placement = spec.get("placement") or {}
        observed = status.get("schedulerObservingAffinityName", "") if affinity_name is None else affinity_name
        resource = spec.get("resource") or {}
        ctx = cls(
            spec=spec,
            status=status,
            placement=placement,
            observed_affinity_name=observed or "",
            target_names=frozenset(c.get("name") for c in spec.get("clusters") or ()),
            is_workload=specs.is_workload(spec),
            group_version=resource.get("apiVersion") or "",
            kind=resource.get("kind") or "",
            tolerations=list(placement.get("clusterTolerations") or ()),
            spread_fields=tuple(sc.get("spreadByField") or "" for sc in placement.get("spreadConstraints") or ()),
            evicting=frozenset(t.get("fromCluster") for t in spec.get("gracefulEvictionTasks") or ()),
        )
        ctx.affinities = specs.effective_affinities(placement, ctx.observed_affinity_name, is_workload=ctx.is_workload)
        return ctx


@dataclass(slots=True)
class ClusterDetail:
    """A feasible cluster as selection and assignment see it (upstream ``ClusterDetailInfo``).

    ``allocatable`` is the estimate of new replicas the cluster can take; ``available`` adds the
    replicas the binding already has there (used to select clusters, not as a weight).
    """

    name: str
    cluster: Mapping[str, Any]
    score: int = 0
    overflow_order: int = 0
    available: int = 0
    allocatable: int = 0

    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.overflow_order, -self.score, -self.available, self.name)


@runtime_checkable
class FilterPlugin(Protocol):
    name: str

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result: ...


@runtime_checkable
class ScorePlugin(Protocol):
    name: str

    def score(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> int: ...


# ---------------------------------------------------------------------------------------------
# Errors. Each carries the Scheduled condition reason it maps to (behaviour.md 2.9).


class SchedulingError(Exception):
    """A failed scheduling attempt; the default reason is ``SchedulerError`` (retried)."""

    condition_reason = C.BINDING_REASON_SCHEDULER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def wrapped(self, prefix: str) -> SchedulingError:
        """Same kind of error with ``prefix`` in front, like Go's ``fmt.Errorf("...: %w")``."""
        clone = copy.copy(self)
        clone.message = prefix + self.message
        clone.args = (clone.message,)
        return clone


class UnschedulableError(SchedulingError):
    """Not enough capacity: ``Unschedulable``, retried, ``spec.clusters`` untouched."""

    condition_reason = C.BINDING_REASON_UNSCHEDULABLE


class FitError(SchedulingError):
    """No cluster passed the filters: ``NoClusterFit``, not retried, ``spec.clusters`` emptied."""

    condition_reason = C.BINDING_REASON_NO_CLUSTER_FIT

    def __init__(self, num_all_clusters: int, diagnosis: Mapping[str, Result]) -> None:
        self.num_all_clusters = num_all_clusters
        self.diagnosis = dict(diagnosis)
        super().__init__(self._build_message())

    def _build_message(self) -> str:
        if self.num_all_clusters == 0 or not self.diagnosis:
            detail = "no cluster exists"
        else:
            histogram = Counter(reason for result in self.diagnosis.values() for reason in result.reasons)
            detail = ", ".join(sorted(f"{count} {reason}" for reason, count in histogram.items()))
        return f"0/{self.num_all_clusters} clusters are available: {detail}."
