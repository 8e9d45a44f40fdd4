"""The CustomResourceDefinitions of Karmada's policy, work and apps APIs, built from the schemas
of ``schema_policy``, ``schema_work`` and ``schema_apps``. ``hack/gen_crds.py`` writes them to ``manifests/crds``; a
unit test keeps the committed files equal to what this module builds.

Deviation from upstream: ResourceBinding and ClusterResourceBinding are served as v1alpha2 only,
without the v1alpha1 version and its conversion webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada import schema_apps, schema_policy, schema_work
from pykarmada.karmada.openapi import Schema, array, obj, string, string_map

AGE = {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _condition_column(name: str, condition: str) -> dict[str, str]:
    return {"name": name, "type": "string", "jsonPath": f'.status.conditions[?(@.type=="{condition}")].status'}


POLICY_COLUMNS = [
    {"name": "CONFLICT-RESOLUTION", "type": "string", "jsonPath": ".spec.conflictResolution"},
    {"name": "PRIORITY", "type": "integer", "jsonPath": ".spec.priority"},
    AGE,
]
BINDING_COLUMNS = [_condition_column("SCHEDULED", "Scheduled"), _condition_column("FULLYAPPLIED", "FullyApplied"), AGE]
WORK_COLUMNS = [
    {"name": "WORKLOAD-KIND", "type": "string", "jsonPath": ".spec.workload.manifests[*].kind"},
    _condition_column("APPLIED", "Applied"),
    AGE,
]


@dataclass(frozen=True)
class CrdDef:
    group: str
    version: str
    kind: str
    plural: str
    short_name: str  # empty: none (and not in the karmada-io category), as upstream's ClusterTaintPolicy
    namespaced: bool
    doc: str
    spec: Callable[[], Schema]
    status: Callable[[], Schema] | None = None
    columns: list[dict[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


CRDS = (
    CrdDef(c.POLICY_GROUP, "v1alpha1", c.KIND_PROPAGATION_POLICY, "propagationpolicies", "pp", True,
           "Propagates the selected resource templates of its namespace to member clusters.",
           schema_policy.propagation_spec, columns=POLICY_COLUMNS),
    CrdDef(c.POLICY_GROUP, "v1alpha1", c.KIND_CLUSTER_PROPAGATION_POLICY, "clusterpropagationpolicies", "cpp", False,
           "Propagates the selected resource templates, cluster-scoped or in any namespace, to member clusters.",
           schema_policy.propagation_spec, columns=POLICY_COLUMNS),
    CrdDef(c.POLICY_GROUP, "v1alpha1", c.KIND_OVERRIDE_POLICY, "overridepolicies", "op", True,
           "Changes the manifests of the selected templates of its namespace per member cluster.",
           schema_policy.override_spec),
    CrdDef(c.POLICY_GROUP, "v1alpha1", c.KIND_CLUSTER_OVERRIDE_POLICY, "clusteroverridepolicies", "cop", False,
           "Changes the manifests of the selected templates in any namespace per member cluster.",
           schema_policy.override_spec),
    CrdDef(c.POLICY_GROUP, "v1alpha1", c.KIND_CLUSTER_TAINT_POLICY, "clustertaintpolicies", "", False,
           "Adds and removes taints on clusters as their status conditions change.",
           schema_policy.cluster_taint_policy_spec),
    CrdDef(c.WORK_GROUP, "v1alpha2", c.KIND_RESOURCE_BINDING, "resourcebindings", "rb", True,
           "Binds a namespaced resource template to its placement and records where it is scheduled.",
           schema_work.binding_spec, schema_work.binding_status, BINDING_COLUMNS),
    CrdDef(c.WORK_GROUP, "v1alpha2", c.KIND_CLUSTER_RESOURCE_BINDING, "clusterresourcebindings", "crb", False,
           "Binds a cluster-scoped resource template to its placement and records where it is scheduled.",
           schema_work.binding_spec, schema_work.binding_status, BINDING_COLUMNS),
    CrdDef(c.WORK_GROUP, "v1alpha1", c.KIND_WORK, "works", "wk", True,
           "The objects to apply in one member cluster, and their status there.",
           schema_work.work_spec, schema_work.work_status, WORK_COLUMNS),
    CrdDef(c.APPS_GROUP, "v1alpha1", c.KIND_WORKLOAD_REBALANCER, "workloadrebalancers", "", False,
           "Schedules the named workloads afresh, once.",
           schema_apps.rebalancer_spec, schema_apps.rebalancer_status),
)  # fmt: skip

_BY_KIND = {d.kind: d for d in CRDS}


def crd_def(kind: str) -> CrdDef:
    return _BY_KIND[kind]


def object_schema(d: CrdDef) -> Schema:
    """The openAPIV3Schema of the kind: apiVersion, kind, metadata, spec (required), status."""
    props: dict[str, Schema] = {
        "apiVersion": string("Versioned schema of this representation of an object."),
        "kind": string("REST resource this object represents."),
        "metadata": {"type": "object"},
        "spec": d.spec(),
    }
    if d.status is not None:
        props["status"] = d.status()
    return obj(props, d.doc, required=("spec",))


def build_crd(d: CrdDef) -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": d.version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": object_schema(d)},
    }
    if d.status is not None:
        version["subresources"] = {"status": {}}
    if d.columns:
        version["additionalPrinterColumns"] = [dict(col) for col in d.columns]
    names: dict[str, Any] = {"kind": d.kind, "listKind": f"{d.kind}List", "plural": d.plural, "singular": d.kind.lower()}
    if d.short_name:
        names.update(shortNames=[d.short_name], categories=[c.CATEGORY])
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": d.name},
        "spec": {
            "group": d.group,
            "names": names,
            "scope": "Namespaced" if d.namespaced else "Cluster",
            "versions": [version],
        },
    }


def crd_file_name(d: CrdDef) -> str:
    return f"{d.group}_{d.plural}.yaml"


# The part of metadata the webhooks read, for the type check of incoming objects.
METADATA_SCHEMA = obj(
    {
        "name": string(),
        "namespace": string(),
        "labels": string_map(),
        "annotations": string_map(),
        "finalizers": array(string()),
    }
)


@lru_cache(maxsize=None)
def typed_schema(kind: str) -> Schema:
    """Like :func:`object_schema`, with the metadata fields the webhooks read typed too (cached:
    treat the result as read-only)."""
    schema = object_schema(crd_def(kind))
    schema["properties"]["metadata"] = METADATA_SCHEMA
    return schema
