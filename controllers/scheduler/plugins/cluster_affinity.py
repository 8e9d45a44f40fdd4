"""ClusterAffinity filter (the placement affinity, or the clusterAffinities term under trial plus
its overflow affinities for workloads) and score (always 0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import MIN_CLUSTER_SCORE, SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C
from pykarmada.karmada.selectors import cluster_matches


class ClusterAffinity:
    name = C.PLUGIN_CLUSTER_AFFINITY

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result:
        if ctx.affinities is None:
            return SUCCESS
        if any(cluster_matches(cluster, affinity) for affinity in ctx.affinities):
            return SUCCESS
        return Result.unschedulable(C.REASON_AFFINITY_MISMATCH)

    def score(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> int:
        return MIN_CLUSTER_SCORE
