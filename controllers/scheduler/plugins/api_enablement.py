"""APIEnablement filter: the cluster must serve the binding's kind (unless already placed there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.memo import PerObject
from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C

_COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"


_SERVED: PerObject[frozenset[tuple[str, str]]] = PerObject()


def _served(enablements: Any) -> frozenset[tuple[str, str]]:
    """(groupVersion, kind) pairs of a cluster's ``status.apiEnablements``, remembered per list
    (``memo.PerObject``): a member serves hundreds, every binding asks."""
    return _SERVED.get((enablements,), lambda: frozenset((e.get("groupVersion"), r.get("kind")) for e in enablements for r in e.get("resources") or ()))


def api_enabled(cluster: Mapping[str, Any], group_version: str, kind: str) -> bool | None:
    """True = listed, False = known absent (CompleteAPIEnablements=True), None = unknown."""
    status = cluster.get("status") or {}
    enablements = status.get("apiEnablements")
    if enablements and (group_version, kind) in _served(enablements):
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
