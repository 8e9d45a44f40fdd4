"""``karmadactl taint`` argument rules and taint arithmetic (upstream's messages)."""

from __future__ import annotations

import pytest

from pykarmada.karmadactl.commands.taint import TaintError, check_conflicts, parse_taints, split_args, updated_taints


def test_parse_add_and_remove() -> None:
    add, remove = parse_taints(["a=b:NoSchedule", "c:NoExecute", "d-", "e:NoSchedule-"])
    assert add == [{"key": "a", "value": "b", "effect": "NoSchedule"}, {"key": "c", "effect": "NoExecute"}]
    assert remove == [{"key": "d"}, {"key": "e", "effect": "NoSchedule"}]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a=b", "invalid taint spec: a=b"),
        ("a:Bad", "invalid taint effect: Bad, unsupported taint effect"),
        ("a=b=c:NoSchedule", "invalid taint spec: a=b=c:NoSchedule"),
        ("a:b:c", "invalid taint spec: a:b:c"),
        ("-bad:NoSchedule", "invalid taint spec: -bad:NoSchedule, "),
    ],
)
def test_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(TaintError) as e:
        parse_taints([spec])
    assert str(e.value).startswith(message)


def test_duplicate_and_conflict() -> None:
    with pytest.raises(TaintError, match="duplicated taints with the same key and effect"):
        parse_taints(["a=1:NoSchedule", "a=2:NoSchedule"])
    with pytest.raises(TaintError, match=r'can not both modify and remove the following taint\(s\) in the same command: \{"a":""\}'):
        check_conflicts(*parse_taints(["a=1:NoSchedule", "a-"]))


def test_split_args() -> None:
    assert split_args(["clusters", "m1", "m2", "a:NoSchedule"]) == (["clusters", "m1", "m2"], ["a:NoSchedule"])
    with pytest.raises(TaintError, match="all resources must be specified before taint changes: m2"):
        split_args(["clusters", "a:NoSchedule", "m2"])


CLUSTER = {"metadata": {"name": "m1"}, "spec": {"taints": [{"key": "a", "value": "1", "effect": "NoSchedule"}]}}


def test_updated_taints_operations() -> None:
    assert updated_taints(CLUSTER, [{"key": "b", "effect": "NoExecute"}], [], overwrite=False) == (
        "tainted", [{"key": "b", "effect": "NoExecute"}, {"key": "a", "value": "1", "effect": "NoSchedule"}])  # fmt: skip
    assert updated_taints(CLUSTER, [], [{"key": "a"}], overwrite=False) == ("untainted", [])
    assert updated_taints(CLUSTER, [{"key": "a", "value": "2", "effect": "NoSchedule"}], [], overwrite=True) == (
        "modified", [{"key": "a", "value": "2", "effect": "NoSchedule"}])  # fmt: skip
    with pytest.raises(TaintError, match="cluster m1 already has a taint\\(s\\) with same effect\\(s\\) and --overwrite is false"):
        updated_taints(CLUSTER, [{"key": "a", "value": "2", "effect": "NoSchedule"}], [], overwrite=False)
    with pytest.raises(TaintError, match='taint "zz:NoExecute" not found'):
        updated_taints(CLUSTER, [], [{"key": "zz", "effect": "NoExecute"}], overwrite=False)
