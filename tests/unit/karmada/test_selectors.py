"""Label selectors, ClusterAffinity matching and resource-selector priorities."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.karmada.selectors import (
    PRIORITY_MATCH_ALL,
    PRIORITY_MATCH_LABEL_SELECTOR,
    PRIORITY_MATCH_NAME,
    PRIORITY_MISMATCH,
    cluster_matches,
    label_selector_matches,
    resource_matches_selectors,
    resource_selector_priority,
    selectors_priority,
)
from tests.unit.scheduler.builders import cluster

LABELS = {"env": "prod", "tier": "web", "count": "5"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        (None, False),
        ({}, True),
        ({"matchLabels": {"env": "prod"}}, True),
        ({"matchLabels": {"env": "dev"}}, False),
        ({"matchLabels": {"missing": ""}}, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, False),
        ({"matchExpressions": [{"key": "missing", "operator": "NotIn", "values": ["x"]}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "missing", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": []}]}, False),
        ({"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["prod"]}]}, False),
        ({"matchExpressions": [{"key": "env", "operator": "Equals", "values": ["prod"]}]}, False),
        ({"matchExpressions": [{"key": "count", "operator": "Gt", "values": ["1"]}]}, False),
        (
            {
                "matchExpressions": [
                    {"key": "env", "operator": "NotIn", "values": ["prod"]},
                    {"key": "tier", "operator": "In", "values": []},
                ]
            },
            False,
        ),
        ({"matchLabels": {"env": "prod"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, True),
        ({"matchLabels": {"env": "prod"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]}, False),
    ],
    ids=[
        "nil-selects-nothing",
        "empty-selects-everything",
        "matchLabels",
        "matchLabels-mismatch",
        "matchLabels-empty-value-needs-key",
        "in",
        "notin",
        "notin-absent-key-matches",
        "exists",
        "doesnotexist",
        "doesnotexist-present",
        "in-without-values-is-invalid",
        "exists-with-values-is-invalid",
        "unknown-operator",
        "gt-not-a-label-operator",
        "invalid-after-mismatch-still-invalid",
        "labels-and-expressions-anded",
        "labels-and-expressions-mismatch",
    ],
)
def test_label_selector(selector: dict[str, Any] | None, matches: bool) -> None:
    assert label_selector_matches(selector, LABELS) is matches


def test_label_selector_without_labels() -> None:
    assert label_selector_matches({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, None)
    assert not label_selector_matches({"matchLabels": {"a": "b"}}, None)


M1 = cluster("m1", labels={"env": "prod"}, region="us-east", zones=["us-east-1a", "us-east-1b"], provider="aws")
M2 = cluster("m2", labels={"env": "dev"}, region="eu-west", provider="gcp")


@pytest.mark.parametrize(
    ("affinity", "m1", "m2"),
    [
        (None, True, True),
        ({}, True, True),
        ({"clusterNames": []}, True, True),
        ({"clusterNames": ["m1", "unknown"]}, True, False),
        ({"exclude": ["m1"]}, False, True),
        ({"clusterNames": ["m1"], "exclude": ["m1"]}, False, False),
        ({"labelSelector": {"matchLabels": {"env": "prod"}}}, True, False),
        ({"labelSelector": {}}, True, True),
        ({"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["m2"]}, False, False),
        ({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["us-east"]}]}}, True, False),
        ({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["us-east"]}]}}, False, True),
        ({"fieldSelector": {"matchExpressions": [{"key": "provider", "operator": "In", "values": ["gcp"]}]}}, False, True),
        ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["us-east-1b", "x"]}]}}, True, False),
        ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["us-east-1a"]}]}}, False, True),
        ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}}, True, False),
        ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}}, False, True),
        ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Gt", "values": ["1"]}]}}, False, False),
        ({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": []}]}}, False, False),
        ({"fieldSelector": {}}, True, True),
    ],
    ids=[
        "nil-affinity",
        "empty-affinity",
        "empty-names",
        "names-unknown-ignored",
        "exclude",
        "exclude-wins-over-names",
        "label-selector",
        "empty-label-selector",
        "label-and-names-anded",
        "field-region-in",
        "field-region-notin",
        "field-provider",
        "field-zone-in-overlap",
        "field-zone-notin-no-zones-matches",
        "field-zone-exists",
        "field-zone-doesnotexist",
        "field-zone-unknown-operator",
        "field-invalid-requirement",
        "empty-field-selector",
    ],
)
def test_cluster_matches(affinity: dict[str, Any] | None, m1: bool, m2: bool) -> None:
    assert cluster_matches(M1, affinity) is m1
    assert cluster_matches(M2, affinity) is m2


def test_field_selector_on_cluster_without_region() -> None:
    bare = cluster("m3")
    assert not cluster_matches(bare, {"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["us-east"]}]}})
    assert cluster_matches(bare, {"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["us-east"]}]}})


DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
}


@pytest.mark.parametrize(
    ("selector", "priority"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment"}, PRIORITY_MATCH_ALL),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}, PRIORITY_MATCH_ALL),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "other"}, PRIORITY_MISMATCH),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}, PRIORITY_MATCH_NAME),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "other"}, PRIORITY_MISMATCH),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "labelSelector": {"matchLabels": {"app": "x"}}},
            PRIORITY_MATCH_NAME,
        ),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "nginx"}}}, PRIORITY_MATCH_LABEL_SELECTOR),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "x"}}}, PRIORITY_MISMATCH),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {}}, PRIORITY_MATCH_LABEL_SELECTOR),
        ({"apiVersion": "apps/v1beta1", "kind": "Deployment"}, PRIORITY_MISMATCH),
        ({"apiVersion": "apps/v1", "kind": "StatefulSet"}, PRIORITY_MISMATCH),
    ],
    ids=[
        "match-all",
        "namespace",
        "other-namespace",
        "name",
        "other-name",
        "name-ignores-selector",
        "label-selector",
        "label-selector-mismatch",
        "empty-label-selector",
        "api-version-exact",
        "kind",
    ],
)
def test_resource_selector_priority(selector: dict[str, Any], priority: int) -> None:
    assert resource_selector_priority(DEPLOY, selector) == priority


def test_policy_priority_is_the_highest_selector() -> None:
    selectors = [
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"},
        {"apiVersion": "v1", "kind": "Service"},
    ]
    assert selectors_priority(DEPLOY, selectors) == PRIORITY_MATCH_NAME
    assert selectors_priority(DEPLOY, []) == PRIORITY_MISMATCH
    assert resource_matches_selectors(DEPLOY, selectors)
    assert not resource_matches_selectors(DEPLOY, [])
