"""APIEnablement filter: the cluster must serve the binding's kind (unless already placed there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C

_COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"


_SERVED: dict[int, tuple[object, frozenset[tuple[str, str]]]] = {}
_SERVED_MAX = 4096


def _served(enablements: Any) -> frozenset[tuple[str, str]]:
    """(groupVersion, kind) pairs of a cluster's ``status.apiEnablements``, remembered per list
    (an updated Cluster comes with a new one): a member serves hundreds, every binding asks."""
    hit = _SERVED.get(id(enablements))
    if hit is not None and hit[0] is enablements:
        return hit[1]
    pairs = frozenset((e.get("groupVersion"), r.get("kind")) for e in enablements for r in e.get("resources") or ())
    if len(_SERVED) >= _SERVED_MAX:
        _SERVED.clear()
    _SERVED[id(enablements)] = (enablements, pairs)
    return pairs


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
