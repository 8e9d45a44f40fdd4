"""The schema of ``apps.karmada.io/v1alpha1`` WorkloadRebalancer (a user's request to schedule named
workloads afresh), for its CRD (``pykarmada.karmada.crds``)."""

from __future__ import annotations

from pykarmada.karmada.openapi import Schema, array, integer, obj, string, time


def _workload(doc: str) -> Schema:
    return obj(
        {
            "apiVersion": string("API version of the workload."),
            "kind": string("Kind of the workload."),
            "name": string("Name of the workload."),
            "namespace": string("Namespace of the workload; empty for a cluster-scoped one."),
        },
        doc,
        required=("apiVersion", "kind", "name"),
    )


def rebalancer_spec() -> Schema:
    return obj(
        {
            "ttlSecondsAfterFinished": integer(
                "Seconds after every workload finished (Successful or Failed) until the rebalancer is deleted; unset keeps it."
            ),
            "workloads": array(_workload("A workload to reschedule."), "The workloads to reschedule.", min_items=1),
        },
        "Which workloads to reschedule, and how long to keep the rebalancer afterwards.",
        required=("workloads",),
    )


def rebalancer_status() -> Schema:
    observed = obj(
        {
            "reason": string("Why the workload failed (ReferencedBindingNotFound)."),
            "result": string("Successful or Failed."),
            "workload": _workload("The workload."),
        },
        "The outcome for one workload.",
        required=("workload",),
    )
    return obj(
        {
            "finishTime": time("When every workload finished."),
            "observedGeneration": integer("The generation the controller last handled.", fmt="int64"),
            "observedWorkloads": array(observed, "The outcome per workload."),
        },
        "What the rebalancer did.",
    )
