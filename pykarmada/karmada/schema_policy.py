"""OpenAPI schemas of policy.karmada.io/v1alpha1: PropagationPolicy, ClusterPropagationPolicy,
OverridePolicy and ClusterOverridePolicy, with the CRD defaults and enums Karmada declares.

Field names are Karmada's JSON names (note ``exclude`` in ClusterAffinity). The building blocks
(``placement``, ``failover``, ``resource_selector`` ...) are functions so every use gets its own
copy and the bindings of ``schema_work`` can reuse them.
"""

from __future__ import annotations

from pykarmada.karmada.openapi import (
    Schema,
    array,
    boolean,
    free_form,
    integer,
    obj,
    string,
    string_map,
)

OPERATORS = ("add", "remove", "replace")
PURGE_MODES = ("Directly", "Gracefully", "Never")


# ---- Kubernetes building blocks ----------------------------------------------------------------
def label_selector(doc: str = "") -> Schema:
    expression = obj(
        {
            "key": string("The label key the selector applies to."),
            "operator": string("In, NotIn, Exists or DoesNotExist."),
            "values": array(string(), "Values for In and NotIn; empty for Exists and DoesNotExist.", atomic=True),
        },
        required=("key", "operator"),
    )
    return obj(
        {
            "matchExpressions": array(expression, "Label selector requirements, ANDed.", atomic=True),
            "matchLabels": string_map("Exact key/value matches, ANDed."),
        },
        doc,
        atomic=True,
    )


def node_selector_requirement() -> Schema:
    return obj(
        {
            "key": string(),
            "operator": string(),
            "values": array(string(), atomic=True),
        },
        required=("key", "operator"),
    )


def toleration() -> Schema:
    return obj(
        {
            "effect": string("Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all."),
            "key": string("Taint key to match; empty with operator Exists matches every taint."),
            "operator": string("Exists or Equal (the default)."),
            "tolerationSeconds": integer("How long a NoExecute taint is tolerated before eviction.", fmt="int64"),
            "value": string("Taint value to match with operator Equal."),
        }
    )


# ---- shared Karmada blocks ---------------------------------------------------------------------
def resource_selector() -> Schema:
    return obj(
        {
            "apiVersion": string("apiVersion of the selected objects, e.g. apps/v1."),
            "kind": string("kind of the selected objects, e.g. Deployment."),
            "namespace": string("Namespace of the selected objects; empty means any (a PropagationPolicy's own)."),
            "name": string("Name of the selected object; when set, labelSelector is ignored."),
            "labelSelector": label_selector("Selects objects by label when name is empty."),
        },
        "Selects resource templates by apiVersion, kind and optionally namespace, name or labels.",
        required=("apiVersion", "kind"),
    )


def _affinity_props() -> dict[str, Schema]:
    return {
        "labelSelector": label_selector("Matches the labels of Cluster objects."),
        "fieldSelector": obj(
            {"matchExpressions": array(node_selector_requirement(), "Requirements on provider, region or zone.")},
            "Matches Cluster fields: provider, region and zone, with operators In and NotIn.",
        ),
        "clusterNames": array(string(), "Clusters selected by name."),
        "exclude": array(string(), "Clusters never selected."),
    }


def cluster_affinity(doc: str = "") -> Schema:
    return obj(_affinity_props(), doc or "Selects member clusters.")


def _affinity_name() -> Schema:
    return string("Name of this affinity group.", min_length=1, max_length=32)


def cluster_affinity_term() -> Schema:
    overflow = obj({"affinityName": _affinity_name(), **_affinity_props()}, required=("affinityName",))
    props = {"affinityName": _affinity_name(), **_affinity_props()}
    props["overflowAffinities"] = array(overflow, "Clusters used when the term's own clusters lack capacity.")
    return obj(props, required=("affinityName",))


def spread_constraint() -> Schema:
    return obj(
        {
            "spreadByField": string("Cluster field to group by.", enum=("cluster", "region", "zone", "provider")),
            "spreadByLabel": string("Cluster label to group by."),
            "maxGroups": integer("Most groups to select.", fmt=None),
            "minGroups": integer("Fewest groups to select.", fmt=None),
        }
    )


def replica_scheduling() -> Schema:
    static_weight = obj(
        {
            "targetCluster": cluster_affinity("Clusters this weight applies to."),
            "weight": integer("Relative weight of the matching clusters.", fmt="int64", minimum=1),
        },
        required=("targetCluster", "weight"),
    )
    return obj(
        {
            "replicaSchedulingType": string(
                "Duplicated gives every cluster all replicas; Divided splits them.",
                enum=("Duplicated", "Divided"),
                default="Divided",
            ),
            "replicaDivisionPreference": string(
                "How Divided replicas are split.", enum=("Aggregated", "Weighted")
            ),
            "weightPreference": obj(
                {
                    "staticWeightList": array(static_weight, "Fixed weights per cluster."),
                    "dynamicWeight": string("Weights from available capacity.", enum=("AvailableReplicas",)),
                },
                "Weights for Weighted division.",
            ),
        },
        "How replicas are scheduled onto the selected clusters.",
    )


def _workload_affinity_term() -> Schema:
    return obj({"groupByLabelKey": string("Label key that groups workloads.")}, required=("groupByLabelKey",))


def placement() -> Schema:
    return obj(
        {
            "clusterAffinity": cluster_affinity("Clusters the resources may go to."),
            "clusterAffinities": array(cluster_affinity_term(), "Ordered fallback groups of clusters."),
            "clusterTolerations": array(toleration(), "Cluster taints the resources tolerate."),
            "spreadConstraints": array(spread_constraint(), "How resources spread across cluster groups."),
            "replicaScheduling": replica_scheduling(),
            "workloadAffinity": obj(
                {"affinity": _workload_affinity_term(), "antiAffinity": _workload_affinity_term()},
                "Co-location rules between workloads.",
            ),
        },
        "Where the selected resources are propagated.",
    )


def _state_preservation() -> Schema:
    rule = obj(
        {
            "aliasLabelName": string("Label added to the failed-over application, holding the value."),
            "jsonPath": string("JSONPath into the resource status."),
        },
        required=("aliasLabelName", "jsonPath"),
    )
    return obj({"rules": array(rule)}, "State kept across a failover.", required=("rules",))


def failover() -> Schema:
    application = obj(
        {
            "decisionConditions": obj(
                {"tolerationSeconds": integer("Seconds an unhealthy application is tolerated.", default=300)},
                required=(),
            ),
            "purgeMode": string("How the old replica is removed.", enum=PURGE_MODES, default="Gracefully"),
            "gracePeriodSeconds": integer("Seconds to wait before removing the old replica (Gracefully)."),
            "statePreservation": _state_preservation(),
        },
        "Failover when the application is unhealthy.",
        required=("decisionConditions",),
    )
    cluster = obj(
        {
            "purgeMode": string("How the old replica is removed.", enum=("Directly", "Gracefully"), default="Gracefully"),
            "statePreservation": _state_preservation(),
        },
        "Failover when the cluster fails.",
    )
    return obj({"application": application, "cluster": cluster}, "Failover behaviour.")


def suspension_props() -> dict[str, Schema]:
    return {
        "dispatching": boolean("Stop writing to every member cluster."),
        "dispatchingOnClusters": obj({"clusterNames": array(string())}, "Stop writing to these member clusters."),
    }


def propagation_spec() -> Schema:
    return obj(
        {
            "resourceSelectors": array(resource_selector(), "Resource templates this policy propagates.", min_items=1),
            "association": boolean("Deprecated; has no effect."),
            "propagateDeps": boolean("Also propagate the objects the templates depend on."),
            "placement": placement(),
            "priority": integer("Higher wins when several policies match a template.", default=0),
            "preemption": string("Whether this policy may take templates from lower-priority ones.", enum=("Always", "Never"), default="Never"),
            "dependentOverrides": array(string(), "OverridePolicies that must exist before this policy applies."),
            "schedulerName": string("Scheduler that schedules the bindings; immutable.", default="default-scheduler"),
            "failover": failover(),
            "conflictResolution": string(
                "What to do when the object exists in a member but is not managed by Karmada.",
                enum=("Abort", "Overwrite"),
                default="Abort",
            ),
            "activationPreference": string("Lazy applies policy changes only when a template changes.", enum=("Lazy",)),
            "suspension": obj(suspension_props(), "Pauses propagation."),
            "preserveResourcesOnDeletion": boolean("Keep member objects when the template is deleted."),
            "schedulePriority": obj(
                {
                    "priorityClassSource": string("Where the priority class is defined.", enum=("KubePriorityClass",)),
                    "priorityClassName": string("Name of the priority class."),
                },
                "Scheduling priority of the bindings.",
                required=("priorityClassSource", "priorityClassName"),
            ),
        },
        "Which resource templates to propagate and where.",
        required=("resourceSelectors",),
    )


# ---- overrides ---------------------------------------------------------------------------------
def _patch_operation(doc: str) -> Schema:
    return obj(
        {
            "subPath": string("JSON pointer inside the parsed value."),
            "operator": string(enum=OPERATORS),
            "value": free_form("Value for add and replace."),
        },
        doc,
        required=("subPath", "operator"),
    )


def overriders() -> Schema:
    command_args = obj(
        {
            "containerName": string("Containers with this name are changed."),
            "operator": string(enum=("add", "remove")),
            "value": array(string()),
        },
        required=("containerName", "operator"),
    )
    label_annotation = obj(
        {"operator": string(enum=OPERATORS), "value": string_map()},
        required=("operator", "value"),
    )
    return obj(
        {
            "plaintext": array(
                obj(
                    {
                        "path": string("JSON pointer to the field."),
                        "operator": string(enum=OPERATORS),
                        "value": free_form("Value for add and replace."),
                    },
                    required=("path", "operator"),
                ),
                "JSON patch operations on the manifest.",
            ),
            "imageOverrider": array(
                obj(
                    {
                        "predicate": obj({"path": string("JSON pointer to the image field.")}, required=("path",)),
                        "component": string(enum=("Registry", "Repository", "Tag")),
                        "operator": string(enum=OPERATORS),
                        "value": string(),
                    },
                    required=("component", "operator"),
                ),
                "Changes to container images.",
            ),
            "commandOverrider": array(command_args, "Changes to container commands."),
            "argsOverrider": array(command_args, "Changes to container arguments."),
            "labelsOverrider": array(label_annotation, "Changes to the object's labels."),
            "annotationsOverrider": array(label_annotation, "Changes to the object's annotations."),
            "fieldOverrider": array(
                obj(
                    {
                        "fieldPath": string("JSON pointer to a string field holding JSON or YAML."),
                        "json": array(_patch_operation("Operation on JSON content.")),
                        "yaml": array(_patch_operation("Operation on YAML content.")),
                    },
                    required=("fieldPath",),
                ),
                "Changes inside JSON or YAML held in string fields.",
            ),
        },
        "Changes applied to the manifest sent to a cluster.",
    )


def override_spec() -> Schema:
    rule = obj(
        {"targetCluster": cluster_affinity("Clusters the rule applies to; all when unset."), "overriders": overriders()},
        required=("overriders",),
    )
    return obj(
        {
            "resourceSelectors": array(resource_selector(), "Templates this policy overrides; all when empty."),
            "overrideRules": array(rule, "Rules applied in order for each matching cluster."),
            "targetCluster": cluster_affinity("Deprecated: use overrideRules."),
            "overriders": overriders(),
        },
        "Which templates to change, for which clusters, and how.",
    )


def cluster_taint_policy_spec() -> Schema:
    match_condition = obj(
        {
            "conditionType": string("The type of a condition in the Cluster's status."),
            "operator": string("In or NotIn."),
            "statusValues": array(string(), "Condition statuses (True, False, Unknown) the operator compares with."),
        },
        required=("conditionType", "operator", "statusValues"),
    )
    taint = obj(
        {
            "effect": string("NoSchedule or NoExecute."),
            "key": string("Taint key."),
            "value": string("Taint value."),
        },
        "A taint the policy adds to or removes from a cluster.",
        required=("effect", "key"),
    )
    return obj(
        {
            "addOnConditions": array(match_condition, "Conditions (ANDed) on which the taints are added; none: never added."),
            "removeOnConditions": array(match_condition, "Conditions (ANDed) on which the taints are removed; none: never removed."),
            "taints": array(taint, "Taints to add and remove.", min_items=1),
            "targetClusters": cluster_affinity("Clusters the policy applies to; every cluster when unset."),
        },
        "When to add and remove which taints on which clusters.",
        required=("taints",),
    )
