"""The detector's policy index: candidates are a superset of what choose_policy can pick."""

from __future__ import annotations

from typing import Any

from pykarmada.controllers.detector.policy_index import PolicyIndex
from pykarmada.karmada import propagation as P


def policy(name: str, *selectors: dict[str, Any], namespace: str = "ns") -> dict[str, Any]:
    return {"kind": "PropagationPolicy", "metadata": {"namespace": namespace, "name": name}, "spec": {"resourceSelectors": list(selectors)}}


def deployment(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ns", "name": name, "labels": labels or {}}}


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment"}


def test_candidates_are_the_named_and_the_unnamed_selectors_of_the_kind() -> None:
    index = PolicyIndex()
    policies = [
        policy("own-a", {**DEPLOY, "name": "a"}),
        policy("own-b", {**DEPLOY, "name": "b"}),
        policy("by-label", {**DEPLOY, "labelSelector": {"matchLabels": {"app": "x"}}}),
        policy("services", {"apiVersion": "v1", "kind": "Service"}),
        policy("elsewhere", {**DEPLOY, "name": "a"}, namespace="other"),
    ]
    for p in policies:
        index.on_event("ADDED", p, None)
    assert index.candidates("ns", "apps/v1", "Deployment", "a") == {("ns", "own-a"), ("ns", "by-label")}
    assert index.candidates("ns", "apps/v1", "Deployment", "c") == {("ns", "by-label")}
    assert index.candidates("ns", "v1", "ConfigMap", "a") == set()
    # Whatever choose_policy picks among all policies is among the candidates.
    for template in (deployment("a"), deployment("b", {"app": "x"}), deployment("c", {"app": "x"})):
        chosen = P.choose_policy([p for p in policies if p["metadata"]["namespace"] == "ns"], template)
        ref = (chosen["metadata"]["namespace"], chosen["metadata"]["name"])
        assert ref in index.candidates("ns", "apps/v1", "Deployment", template["metadata"]["name"])


def test_an_update_moves_a_policy_and_a_deletion_removes_it() -> None:
    index = PolicyIndex()
    index.on_event("ADDED", policy("p", {**DEPLOY, "name": "a"}), None)
    index.on_event("MODIFIED", policy("p", {**DEPLOY, "name": "b"}), None)
    assert index.candidates("ns", "apps/v1", "Deployment", "a") == set()
    assert index.candidates("ns", "apps/v1", "Deployment", "b") == {("ns", "p")}
    index.on_event("DELETED", policy("p", {**DEPLOY, "name": "b"}), None)
    assert index.candidates("ns", "apps/v1", "Deployment", "b") == set()
    assert not index._refs and not index._buckets_of
