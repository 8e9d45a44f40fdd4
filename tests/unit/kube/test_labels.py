from __future__ import annotations

import pytest

from pykarmada.kube.labels import SelectorError, matches, parse_field_selector, parse_label_selector


@pytest.mark.parametrize(
    "selector,labels,want",
    [
        ("a=b", {"a": "b"}, True),
        ("a==b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("a in (x, y)", {"a": "y"}, True),
        ("a notin (x,y)", {"a": "x"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": "1"}, False),
        ("env=prod,tier in (web),!legacy", {"env": "prod", "tier": "web"}, True),
        ("", {"anything": "1"}, True),
    ],
    ids=["equals", "double-equals-mismatch", "not-equals-absent", "in", "notin", "exists", "not-exists", "combined", "empty"],
)
def test_label_selectors(selector: str, labels: dict[str, str], want: bool) -> None:
    assert matches(parse_label_selector(selector), labels) is want


@pytest.mark.parametrize("selector", ["a in x", "=b", "a=b=c", "bad key!=1"], ids=["in-without-parens", "no-key", "two-equals", "bad-key"])
def test_bad_label_selectors_are_errors(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selectors_accept_only_supported_fields() -> None:
    reqs = parse_field_selector("metadata.name=member1", {"metadata.name": ""})
    assert matches(reqs, {"metadata.name": "member1"})
    with pytest.raises(SelectorError, match="field label not supported: spec.syncMode"):
        parse_field_selector("spec.syncMode=Push", {"metadata.name": ""})
