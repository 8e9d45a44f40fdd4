"""ClusterLocality score: 100 for clusters the binding is already placed on, else 0."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import MAX_CLUSTER_SCORE, MIN_CLUSTER_SCORE, BindingContext
from pykarmada.karmada import constants as C


class ClusterLocality:
    name = C.PLUGIN_CLUSTER_LOCALITY

    def score(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> int:
        if ctx.target_names and cluster["metadata"]["name"] in ctx.target_names:
            return MAX_CLUSTER_SCORE
        return MIN_CLUSTER_SCORE
