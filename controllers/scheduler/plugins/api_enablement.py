"""APIEnablement filter: the cluster must serve the binding's kind (unless already placed there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C

_COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"


def api_enabled(cluster: Mapping[str, Any], group_version: str, kind: str) -> bool | None:
    """True = listed, False = known absent (CompleteAPIEnablements=True), None = unknown."""
    status = cluster.get("status") or {}
    for enablement in status.get("apiEnablements") or ():
        if enablement.get("groupVersion") != group_version:
            continue
        if any(r.get("kind") == kind for r in enablement.get("resources") or ()):
            return True
    for condition in status.get("conditions") or ():
        if condition.get("type") == _COMPLETE_API_ENABLEMENTS and condition.get("status") == "True":
            return False
    return None


class APIEnablement:
    name = C.PLUGIN_API_ENABLEMENT

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result:
        if cluster["metadata"]["name"] in ctx.target_names:
            return SUCCESS
        if api_enabled(cluster, ctx.group_version, ctx.kind) is True:
            return SUCCESS
        return Result.unschedulable(C.REASON_NO_API_RESOURCE)
