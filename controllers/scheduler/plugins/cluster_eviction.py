"""ClusterEviction filter: never schedule onto a cluster the binding is being evicted from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C


class ClusterEviction:
    name = C.PLUGIN_CLUSTER_EVICTION

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result:
        if cluster["metadata"]["name"] in ctx.evicting:
            return Result.unschedulable(C.REASON_IN_EVICTION)
        return SUCCESS
