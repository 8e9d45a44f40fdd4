"""NoExecute toleration timing (upstream's GetMatchingTolerations / GetMinTolerationTime)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pykarmada.karmada.eviction import NoAppliedPlacement, applied_tolerations, no_execute_eviction_delay
from pykarmada.karmada.taints import matching_tolerations, toleration_seconds_left

T0 = "2026-01-01T00:00:00Z"
NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=timezone.utc)  # T0 + 60 s
DOWN = {"key": "down", "effect": "NoExecute", "timeAdded": T0}
SLOW = {"key": "slow", "value": "yes", "effect": "NoExecute", "timeAdded": T0}


def test_no_no_execute_taints_never_evicts() -> None:
    assert no_execute_eviction_delay([{"key": "x", "effect": "NoSchedule"}], [], NOW) == -1
    assert no_execute_eviction_delay(None, None, NOW) == -1


def test_untolerated_taint_evicts_at_once() -> None:
    assert no_execute_eviction_delay([DOWN], [], NOW) == 0
    assert no_execute_eviction_delay([DOWN, SLOW], [{"key": "down", "operator": "Exists"}], NOW) == 0
    # a NoSchedule-only toleration does not cover a NoExecute taint
    assert no_execute_eviction_delay([DOWN], [{"key": "down", "operator": "Exists", "effect": "NoSchedule"}], NOW) == 0


def test_toleration_without_seconds_tolerates_forever() -> None:
    assert no_execute_eviction_delay([DOWN], [{"operator": "Exists"}], NOW) == -1


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(300, 240.0), (60, 0), (30, 0), (61, 1.0)],
)
def test_toleration_seconds_count_from_time_added(seconds: int, expected: float) -> None:
    tolerations = [{"key": "down", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}]
    assert no_execute_eviction_delay([DOWN], tolerations, NOW) == expected


def test_the_first_toleration_to_run_out_decides() -> None:
    tolerations = [
        {"key": "down", "operator": "Exists", "tolerationSeconds": 600},
        {"key": "slow", "operator": "Equal", "value": "yes", "tolerationSeconds": 120},
    ]
    assert no_execute_eviction_delay([DOWN, SLOW], tolerations, NOW) == 60.0


def test_matching_tolerations_uses_the_first_match_per_taint() -> None:
    first, second = {"operator": "Exists", "tolerationSeconds": 10}, {"key": "down", "operator": "Exists"}
    assert matching_tolerations([DOWN], [first, second]) == (True, [first])
    assert matching_tolerations([DOWN], []) == (False, [])
    assert matching_tolerations([], []) == (True, [])


def test_taint_without_time_added_is_skipped() -> None:
    taint = {"key": "down", "effect": "NoExecute"}
    assert toleration_seconds_left([taint], [{"operator": "Exists", "tolerationSeconds": 1}], NOW) == -1


def test_applied_tolerations_come_from_the_applied_placement() -> None:
    binding = {"metadata": {"annotations": {"policy.karmada.io/applied-placement": '{"clusterTolerations":[{"key":"a","operator":"Exists"}]}'}}}
    assert applied_tolerations(binding) == [{"key": "a", "operator": "Exists"}]
    with pytest.raises(NoAppliedPlacement):
        applied_tolerations({"metadata": {}})
    with pytest.raises(NoAppliedPlacement):
        applied_tolerations({"metadata": {"annotations": {"policy.karmada.io/applied-placement": "{"}}})
