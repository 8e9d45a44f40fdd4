"""OpenAPI schemas of work.karmada.io: ResourceBinding and ClusterResourceBinding (v1alpha2) and
Work (v1alpha1). Free-form content (Work manifests, reflected member status) keeps unknown
fields; everything else is typed."""

from __future__ import annotations

from pykarmada.karmada import schema_policy as policy
from pykarmada.karmada.openapi import (
    Schema,
    array,
    boolean,
    integer,
    obj,
    quantity_map,
    raw_object,
    string,
    string_map,
    time,
)

HEALTH = ("Healthy", "Unhealthy", "Unknown")
REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)


def condition() -> Schema:
    """metav1.Condition."""
    return obj(
        {
            "type": string("Condition type in CamelCase.", max_length=316, pattern=CONDITION_TYPE_PATTERN),
            "status": string(enum=("True", "False", "Unknown")),
            "observedGeneration": integer(fmt="int64", minimum=0),
            "lastTransitionTime": time("When the status last changed."),
            "reason": string("Machine-readable reason in CamelCase.", min_length=1, max_length=1024, pattern=REASON_PATTERN),
            "message": string("Human-readable details.", max_length=32768),
        },
        required=("type", "status", "lastTransitionTime", "reason", "message"),
    )


def _node_claim() -> Schema:
    term = obj(
        {
            "matchExpressions": array(policy.node_selector_requirement(), atomic=True),
            "matchFields": array(policy.node_selector_requirement(), atomic=True),
        },
        atomic=True,
    )
    return obj(
        {
            "hardNodeAffinity": obj(
                {"nodeSelectorTerms": array(term, atomic=True)}, required=("nodeSelectorTerms",), atomic=True
            ),
            "nodeSelector": string_map(),
            "tolerations": array(policy.toleration()),
        },
        "Node constraints of one replica.",
    )


def _target_cluster() -> Schema:
    component = obj({"name": string(), "replicas": integer()}, required=("name", "replicas"))
    return obj(
        {
            "name": string("Cluster name."),
            "replicas": integer("Replicas scheduled to the cluster."),
            "components": array(component, "Replicas per component."),
        },
        required=("name",),
    )


def _eviction_task() -> Schema:
    return obj(
        {
            "fromCluster": string("Cluster the binding is evicted from."),
            "purgeMode": string(enum=policy.PURGE_MODES),
            "replicas": integer(),
            "reason": string(min_length=1, max_length=32, pattern=REASON_PATTERN),
            "message": string(max_length=1024),
            "producer": string("Controller that created the task."),
            "gracePeriodSeconds": integer(),
            "suppressDeletion": boolean(),
            "preservedLabelState": string_map(),
            "creationTimestamp": time(),
            "clustersBeforeFailover": array(string()),
        },
        required=("fromCluster", "reason", "producer"),
    )


def binding_spec() -> Schema:
    requirements = {
        "nodeClaim": _node_claim(),
        "resourceRequest": quantity_map("Resources one replica requests."),
        "priorityClassName": string(),
    }
    component = obj(
        {
            "name": string(max_length=32),
            "replicas": integer(),
            "replicaRequirements": obj(requirements),
        },
        required=("name", "replicas"),
    )
    return obj(
        {
            "resource": obj(
                {
                    "apiVersion": string(),
                    "kind": string(),
                    "namespace": string(),
                    "name": string(),
                    "uid": string(),
                    "resourceVersion": string(),
                },
                "The resource template this binding is for.",
                required=("apiVersion", "kind", "name"),
            ),
            "propagateDeps": boolean(),
            "replicaRequirements": obj({**requirements, "namespace": string()}, "Requirements of one replica."),
            "replicas": integer("Replicas of the template."),
            "components": array(component, "Pod templates of a multi-template workload."),
            "clusters": array(_target_cluster(), "The scheduling result."),
            "placement": policy.placement(),
            "gracefulEvictionTasks": array(_eviction_task(), "Clusters being evicted from."),
            "requiredBy": array(
                obj(
                    {"namespace": string(), "name": string(), "clusters": array(_target_cluster())},
                    required=("name",),
                ),
                "Bindings that depend on this one.",
            ),
            "schedulerName": string(),
            "failover": policy.failover(),
            "conflictResolution": string(enum=("Abort", "Overwrite"), default="Abort"),
            "rescheduleTriggeredAt": time("Reschedule when later than status.lastScheduledTime."),
            "suspension": obj({**policy.suspension_props(), "scheduling": boolean("Pause scheduling.")}),
            "preserveResourcesOnDeletion": boolean(),
            "schedulePriority": obj({"priority": integer(default=0)}),
            "workloadAffinityGroups": obj({"affinityGroup": string(), "antiAffinityGroup": string()}),
        },
        "What to schedule and the result.",
        required=("resource",),
    )


def binding_status() -> Schema:
    return obj(
        {
            "schedulerObservedGeneration": integer(fmt="int64"),
            "schedulerObservingAffinityName": string("Affinity group the last scheduling used."),
            "lastScheduledTime": time(),
            "conditions": array(condition()),
            "aggregatedStatus": array(
                obj(
                    {
                        "clusterName": string(),
                        "status": raw_object("Status reflected from the member object."),
                        "applied": boolean(),
                        "appliedMessage": string(),
                        "health": string(enum=HEALTH),
                    },
                    required=("clusterName",),
                ),
                "Status per cluster.",
            ),
        },
        "Scheduling and propagation status.",
    )


def work_spec() -> Schema:
    return obj(
        {
            "workload": obj(
                {"manifests": array(raw_object("An object to create in the member cluster."))},
                "The objects to apply in the member cluster.",
            ),
            "suspendDispatching": boolean("Stop writing to the member cluster."),
            "preserveResourcesOnDeletion": boolean("Keep the member objects when the Work is deleted."),
        }
    )


def work_status() -> Schema:
    identifier = obj(
        {
            "ordinal": integer("Index of the manifest.", fmt=None),
            "group": string(),
            "version": string(),
            "kind": string(),
            "resource": string(),
            "namespace": string(),
            "name": string(),
        },
        required=("ordinal", "version", "kind", "resource", "name"),
    )
    return obj(
        {
            "conditions": array(condition()),
            "manifestStatuses": array(
                obj(
                    {
                        "identifier": identifier,
                        "status": raw_object("Status reflected from the member object."),
                        "health": string(enum=HEALTH),
                    },
                    required=("identifier",),
                ),
            ),
        }
    )
