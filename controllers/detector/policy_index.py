"""Which policies could select a template, by the apiVersion, kind and name of their resource
selectors.

Choosing a template's policy compares it with every policy of its namespace. With one policy per
workload (a common layout, and the cold-start benchmark's) that is N policies for each of N
templates. The index narrows the comparison to the policies with a selector for the template's
apiVersion and kind that either names the template or names nothing (label selectors, match-all);
the full rules (``propagation.choose_policy``) then run on those few. A selector must carry
apiVersion and kind (the API requires both), so nothing a policy could select is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

PolicyRef = tuple[str, str]  # (namespace, name); "" for cluster-scoped policies
Bucket = tuple[str, str, str, str]  # (namespace, apiVersion, kind, name or "" for any name)


def _buckets(policy: Mapping[str, Any]) -> set[Bucket]:
    namespace = (policy.get("metadata") or {}).get("namespace") or ""
    out = set()
    for selector in (policy.get("spec") or {}).get("resourceSelectors") or ():
        if isinstance(selector, Mapping):
            out.add((namespace, selector.get("apiVersion") or "", selector.get("kind") or "", selector.get("name") or ""))
    return out


class PolicyIndex:
    def __init__(self) -> None:
        self._refs: dict[Bucket, set[PolicyRef]] = defaultdict(set)
        self._buckets_of: dict[PolicyRef, set[Bucket]] = {}

    def on_event(self, event: str, policy: Mapping[str, Any], _old: Mapping[str, Any] | None) -> None:
        """An informer handler: keeps the index equal to the informer's store."""
        meta = policy.get("metadata") or {}
        ref = (meta.get("namespace") or "", meta.get("name") or "")
        for bucket in self._buckets_of.pop(ref, ()):
            refs = self._refs[bucket]
            refs.discard(ref)
            if not refs:
                del self._refs[bucket]
        if event != "DELETED":
            buckets = _buckets(policy)
            self._buckets_of[ref] = buckets
            for bucket in buckets:
                self._refs[bucket].add(ref)

    def candidates(self, namespace: str, api_version: str, kind: str, name: str) -> set[PolicyRef]:
        """Policies in ``namespace`` ("" for cluster-scoped ones) that may select the template."""
        return self._refs.get((namespace, api_version, kind, name), set()) | self._refs.get((namespace, api_version, kind, ""), set())
