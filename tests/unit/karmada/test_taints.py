"""Toleration semantics and the untolerated-taint search used by TaintToleration."""

from __future__ import annotations

import pytest

from pykarmada.karmada.taints import find_untolerated_taint, taint_to_string, tolerates_taint

NOT_READY = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}
DEDICATED = {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}


@pytest.mark.parametrize(
    ("toleration", "taint", "tolerated"),
    [
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}, NOT_READY, True),
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists"}, NOT_READY, True),
        ({"operator": "Exists"}, NOT_READY, True),
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoExecute"}, NOT_READY, False),
        ({"key": "dedicated", "operator": "Equal", "value": "gpu"}, DEDICATED, True),
        ({"key": "dedicated", "value": "gpu"}, DEDICATED, True),
        ({"key": "dedicated", "value": "cpu"}, DEDICATED, False),
        ({"key": "other", "operator": "Exists"}, DEDICATED, False),
        ({"key": "dedicated", "operator": "Gt", "value": "1"}, DEDICATED, False),
    ],
    ids=["exists-same-effect", "exists-any-effect", "exists-wildcard-key", "effect-mismatch", "equal", "empty-operator-is-equal", "value-mismatch", "key-mismatch", "lt-gt-unsupported"],
)
def test_tolerates_taint(toleration: dict, taint: dict, tolerated: bool) -> None:
    assert tolerates_taint(toleration, taint) is tolerated


def test_first_untolerated_taint_in_list_order_and_prefer_no_schedule_ignored() -> None:
    taints = [{"key": "soft", "effect": "PreferNoSchedule"}, NOT_READY, DEDICATED]
    assert find_untolerated_taint(taints, []) is NOT_READY
    assert find_untolerated_taint(taints, [{"key": "cluster.karmada.io/not-ready", "operator": "Exists"}]) is DEDICATED
    assert find_untolerated_taint(taints, [{"operator": "Exists"}]) is None
    assert find_untolerated_taint(None, None) is None


@pytest.mark.parametrize(
    ("taint", "text"),
    [(NOT_READY, "cluster.karmada.io/not-ready:NoSchedule"), (DEDICATED, "dedicated=gpu:NoExecute"), ({"key": "k", "value": "v"}, "k=v:"), ({"key": "k"}, "k")],
    ids=["no-value", "value", "no-effect", "key-only"],
)
def test_taint_to_string(taint: dict, text: str) -> None:
    assert taint_to_string(taint) == text
