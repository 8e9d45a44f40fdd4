"""TaintToleration filter: NoSchedule/NoExecute taints must be tolerated by the placement.

Clusters already in ``spec.clusters`` are exempt: taints never evict by themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C
from pykarmada.karmada.taints import find_untolerated_taint, taint_to_string


class TaintToleration:
    name = C.PLUGIN_TAINT_TOLERATION

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result:
        if cluster["metadata"]["name"] in ctx.target_names:
            return SUCCESS
        taint = find_untolerated_taint((cluster.get("spec") or {}).get("taints"), ctx.tolerations)
        if taint is None:
            return SUCCESS
        return Result.unschedulable(C.REASON_UNTOLERATED_TAINT % taint_to_string(taint))
