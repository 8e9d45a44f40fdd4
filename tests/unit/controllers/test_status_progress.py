"""Which binding status changes wait for the progress throttle, and the throttle on an injected
clock."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.status.binding_status import progress_only
from pykarmada.controllers.status.progress import PROGRESS_REPORT_SECONDS, ProgressThrottle

Obj = dict[str, Any]


def _item(cluster: str, health: str = "Unhealthy", applied: bool = True, **extra: Any) -> Obj:
    return {"clusterName": cluster, "applied": applied, "health": health if applied else "Unknown", **extra}


def _status(*items: Obj, fully: str | None = None) -> Obj:
    status: Obj = {"aggregatedStatus": list(items)}
    if fully is not None:
        status["conditions"] = [{"type": "FullyApplied", "status": fully}]
    return status


ROLLING = _status(_item("m1", status={"readyReplicas": 0}), _item("m2"), fully="True")


@pytest.mark.parametrize(
    ("before", "after", "deferred"),
    [
        # a first report of a rollout that is not applied everywhere yet waits
        ({}, _status(_item("m1"), _item("m2", applied=False), fully="False"), True),
        # ... but one that is FullyApplied, or reports a failure, does not
        ({}, _status(_item("m1"), _item("m2"), fully="True"), False),
        ({}, _status(_item("m1"), _item("m2", applied=False, appliedMessage="quota"), fully="False"), False),
        # replica counts moving while some cluster is not Healthy: progress
        (ROLLING, _status(_item("m1", status={"readyReplicas": 1}), _item("m2"), fully="True"), True),
        (ROLLING, _status(_item("m1", "Healthy"), _item("m2"), fully="True"), True),
        # every cluster Healthy: the end of the rollout, written at once
        (ROLLING, _status(_item("m1", "Healthy"), _item("m2", "Healthy"), fully="True"), False),
        # another set of clusters, FullyApplied changing, a new failure: outcomes
        (ROLLING, _status(_item("m1"), _item("m3"), fully="True"), False),
        (ROLLING, _status(_item("m1"), _item("m2"), fully="False"), False),
        (ROLLING, _status(_item("m1"), _item("m2", applied=False, appliedMessage="denied"), fully="False"), False),
    ],
)
def test_binding_progress_only(before: Obj, after: Obj, deferred: bool) -> None:
    assert progress_only(before, after) is deferred


def test_the_throttle_counts_from_the_first_unwritten_progress() -> None:
    now = [100.0]
    throttle = ProgressThrottle(clock=lambda: now[0])
    assert throttle.wait("b") == PROGRESS_REPORT_SECONDS
    now[0] += 1
    assert throttle.wait("b") == PROGRESS_REPORT_SECONDS - 1  # still counted from the first sight
    now[0] += PROGRESS_REPORT_SECONDS
    assert throttle.wait("b") <= 0
    throttle.forget("b")  # written
    assert throttle.wait("b") == PROGRESS_REPORT_SECONDS
