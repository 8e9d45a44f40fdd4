"""SpreadConstraint filter: a cluster must have the property each constraint spreads by."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.scheduler.framework import SUCCESS, BindingContext, Result
from pykarmada.karmada import constants as C


class SpreadConstraint:
    name = C.PLUGIN_SPREAD_CONSTRAINT

    def filter(self, ctx: BindingContext, cluster: Mapping[str, Any]) -> Result:
        spec = cluster.get("spec") or {}
        for field in ctx.spread_fields:
            if field == C.SPREAD_BY_FIELD_PROVIDER and not spec.get("provider"):
                return Result.unschedulable(C.REASON_NO_PROVIDER)
            if field == C.SPREAD_BY_FIELD_REGION and not spec.get("region"):
                return Result.unschedulable(C.REASON_NO_REGION)
            if field == C.SPREAD_BY_FIELD_ZONE and not spec.get("zones"):
                return Result.unschedulable(C.REASON_NO_ZONES)
        return SUCCESS
