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

from collections.abc import Mapping
from typing import Any

from pykarmada.kube.informer import Informer, Obj

Bucket = tuple[str, str, str, str]  # (namespace, apiVersion, kind, name or "" for any name)
INDEX = "resourceSelectors"


def selector_buckets(policy: Mapping[str, Any]) -> set[Bucket]:
    """An informer index function (``Informer.add_index``) over PropagationPolicies or
    ClusterPropagationPolicies."""
    namespace = (policy.get("metadata") or {}).get("namespace") or ""
    out = set()
    for selector in (policy.get("spec") or {}).get("resourceSelectors") or ():
        if isinstance(selector, Mapping):
            out.add((namespace, selector.get("apiVersion") or "", selector.get("kind") or "", selector.get("name") or ""))
    return out


def candidates(policies: Informer, namespace: str, api_version: str, kind: str, name: str) -> list[Obj]:
    """Policies in ``namespace`` ("" for cluster-scoped ones) that may select the template, from
    an informer indexed by ``selector_buckets``; in key order, each once."""
    keys = set(policies.index_keys(INDEX, (namespace, api_version, kind, name))) | set(policies.index_keys(INDEX, (namespace, api_version, kind, "")))
    return [policies.store[k] for k in sorted(keys)]
