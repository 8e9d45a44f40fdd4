"""The detector's policy index: candidates are a superset of what choose_policy can pick."""

from __future__ import annotations

from typing import Any

from pykarmada.controllers.detector import policy_index
from pykarmada.karmada import propagation as P
from pykarmada.kube.informer import Informer


def policy(name: str, *selectors: dict[str, Any], namespace: str = "ns") -> dict[str, Any]:
    return {"kind": "PropagationPolicy", "metadata": {"namespace": namespace, "name": name}, "spec": {"resourceSelectors": list(selectors)}}


def deployment(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ns", "name": name, "labels": labels or {}}}


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment"}


def names(found: list[dict[str, Any]]) -> list[str]:
    return [p["metadata"]["name"] for p in found]


def test_candidates_are_the_named_and_the_unnamed_selectors_of_the_kind() -> None:
    informer = Informer(None, "/apis/policy.karmada.io/v1alpha1/propagationpolicies")  # type: ignore[arg-type]  # no I/O
    informer.add_index(policy_index.INDEX, policy_index.selector_buckets)
    policies = [
        policy("own-a", {**DEPLOY, "name": "a"}),
        policy("own-b", {**DEPLOY, "name": "b"}),
        policy("by-label", {**DEPLOY, "labelSelector": {"matchLabels": {"app": "x"}}}),
        policy("services", {"apiVersion": "v1", "kind": "Service"}),
        policy("elsewhere", {**DEPLOY, "name": "a"}, namespace="other"),
    ]
    informer._replace(policies)
    assert names(policy_index.candidates(informer, "ns", "apps/v1", "Deployment", "a")) == ["by-label", "own-a"]
    assert names(policy_index.candidates(informer, "ns", "apps/v1", "Deployment", "c")) == ["by-label"]
    assert policy_index.candidates(informer, "ns", "v1", "ConfigMap", "a") == []
    # Whatever choose_policy picks among all policies is among the candidates.
    for template in (deployment("a"), deployment("b", {"app": "x"}), deployment("c", {"app": "x"})):
        chosen = P.choose_policy([p for p in policies if p["metadata"]["namespace"] == "ns"], template)
        assert chosen in policy_index.candidates(informer, "ns", "apps/v1", "Deployment", template["metadata"]["name"])

