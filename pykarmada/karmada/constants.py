"""Karmada's well-known strings: labels, annotations, finalizers, API groups and kinds.

Every value here is exactly upstream's (``pkg/apis/*/*/well_known_constants.go``,
``pkg/util/constants.go``): manifests, member objects and other Karmada tools read them, so they
are never spelled anywhere else in pykarmada.
"""

from __future__ import annotations

# ---- API groups and kinds ----------------------------------------------------------------------
POLICY_GROUP = "policy.karmada.io"
WORK_GROUP = "work.karmada.io"
APPS_GROUP = "apps.karmada.io"
APPS_V1ALPHA1 = "apps.karmada.io/v1alpha1"
KIND_WORKLOAD_REBALANCER = "WorkloadRebalancer"
WORKLOAD_REBALANCERS_PATH = "/apis/apps.karmada.io/v1alpha1/workloadrebalancers"
POLICY_V1ALPHA1 = f"{POLICY_GROUP}/v1alpha1"
WORK_V1ALPHA1 = f"{WORK_GROUP}/v1alpha1"
WORK_V1ALPHA2 = f"{WORK_GROUP}/v1alpha2"
CATEGORY = "karmada-io"

KIND_PROPAGATION_POLICY = "PropagationPolicy"
KIND_CLUSTER_PROPAGATION_POLICY = "ClusterPropagationPolicy"
KIND_OVERRIDE_POLICY = "OverridePolicy"
KIND_CLUSTER_OVERRIDE_POLICY = "ClusterOverridePolicy"
KIND_CLUSTER_TAINT_POLICY = "ClusterTaintPolicy"
KIND_RESOURCE_BINDING = "ResourceBinding"
KIND_CLUSTER_RESOURCE_BINDING = "ClusterResourceBinding"
KIND_WORK = "Work"

# ---- labels ------------------------------------------------------------------------------------
PROPAGATION_POLICY_PERMANENT_ID_LABEL = "propagationpolicy.karmada.io/permanent-id"
CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL = "clusterpropagationpolicy.karmada.io/permanent-id"
RESOURCE_BINDING_PERMANENT_ID_LABEL = "resourcebinding.karmada.io/permanent-id"
CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL = "clusterresourcebinding.karmada.io/permanent-id"
WORK_PERMANENT_ID_LABEL = "work.karmada.io/permanent-id"
MANAGED_BY_KARMADA_LABEL = "karmada.io/managed"
MANAGED_BY_KARMADA_LABEL_VALUE = "true"
KARMADA_SYSTEM_LABEL = "karmada.io/system"
KARMADA_SYSTEM_LABEL_VALUE = "true"
NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL = "namespace.karmada.io/skip-auto-propagation"
RETAIN_REPLICAS_LABEL = "resourcetemplate.karmada.io/retain-replicas"
DELETION_PROTECTION_LABEL = "resourcetemplate.karmada.io/deletion-protected"
DELETION_PROTECTION_ALWAYS = "Always"
RESOURCE_TEMPLATE_CLAIMED_BY_LABEL = "resourcetemplate.karmada.io/claimed-by"
BINDING_MANAGED_BY_LABEL = "binding.karmada.io/managed-by"

# ---- annotations -------------------------------------------------------------------------------
PROPAGATION_POLICY_NAMESPACE_ANNOTATION = "propagationpolicy.karmada.io/namespace"
PROPAGATION_POLICY_NAME_ANNOTATION = "propagationpolicy.karmada.io/name"
CLUSTER_PROPAGATION_POLICY_ANNOTATION = "clusterpropagationpolicy.karmada.io/name"
APPLIED_PLACEMENT_ANNOTATION = "policy.karmada.io/applied-placement"
# Ours (upstream has no such record): per cluster, the replicas of the workload it could hold
# when the scheduler last changed the binding, as JSON; read by karmadactl describe.
ESTIMATED_CAPACITY_ANNOTATION = "scheduler.pykarmada.io/estimated-capacity"
APPLIED_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-cluster-overrides"
RESOURCE_BINDING_NAMESPACE_ANNOTATION = "resourcebinding.karmada.io/namespace"
RESOURCE_BINDING_NAME_ANNOTATION = "resourcebinding.karmada.io/name"
CLUSTER_RESOURCE_BINDING_ANNOTATION = "clusterresourcebinding.karmada.io/name"
WORK_NAMESPACE_ANNOTATION = "work.karmada.io/namespace"
WORK_NAME_ANNOTATION = "work.karmada.io/name"
CONFLICT_RESOLUTION_ANNOTATION = "work.karmada.io/conflict-resolution"
CONFLICT_RESOLUTION_OVERWRITE = "overwrite"
CONFLICT_RESOLUTION_ABORT = "abort"
RESOURCE_TEMPLATE_GENERATION_ANNOTATION = "resourcetemplate.karmada.io/generation"
RESOURCE_TEMPLATE_UID_ANNOTATION = "resourcetemplate.karmada.io/uid"
MANAGED_LABELS_ANNOTATION = "resourcetemplate.karmada.io/managed-labels"
MANAGED_ANNOTATIONS_ANNOTATION = "resourcetemplate.karmada.io/managed-annotations"
DEPENDENCIES_ANNOTATION = "resourcebinding.karmada.io/dependencies"

# ---- finalizers --------------------------------------------------------------------------------
CLUSTER_CONTROLLER_FINALIZER = "karmada.io/cluster-controller"
PROPAGATION_POLICY_CONTROLLER_FINALIZER = "karmada.io/propagation-policy-controller"
CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER = "karmada.io/cluster-propagation-policy-controller"
BINDING_CONTROLLER_FINALIZER = "karmada.io/binding-controller"
CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER = "karmada.io/cluster-resource-binding-controller"
EXECUTION_CONTROLLER_FINALIZER = "karmada.io/execution-controller"
BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER = "karmada.io/binding-dependencies-distributor"

# ---- well-known values -------------------------------------------------------------------------
DEFAULT_SCHEDULER_NAME = "default-scheduler"
SERVICE_IMPORT_API_VERSION = "multicluster.x-k8s.io/v1alpha1"
SERVICE_IMPORT_KIND = "ServiceImport"
# Default failover.application.gracePeriodSeconds set by the webhook when purgeMode is Gracefully.
DEFAULT_GRACE_PERIOD_SECONDS = 600
# Cluster fields a placement's fieldSelector may use.
CLUSTER_FIELD_PROVIDER = "provider"
CLUSTER_FIELD_REGION = "region"
CLUSTER_FIELD_ZONE = "zone"

# ---- scheduler (pkg/scheduler: plugin names, filter reasons, condition reasons, events) ---------
PLUGIN_API_ENABLEMENT = "APIEnablement"
PLUGIN_TAINT_TOLERATION = "TaintToleration"
PLUGIN_CLUSTER_AFFINITY = "ClusterAffinity"
PLUGIN_SPREAD_CONSTRAINT = "SpreadConstraint"
PLUGIN_CLUSTER_EVICTION = "ClusterEviction"
PLUGIN_CLUSTER_LOCALITY = "ClusterLocality"

REASON_NO_API_RESOURCE = "cluster(s) did not have the API resource"
REASON_UNTOLERATED_TAINT = "cluster(s) had untolerated taint {%s}"
REASON_AFFINITY_MISMATCH = "cluster(s) did not match the placement cluster affinity constraint"
REASON_NO_PROVIDER = "cluster(s) did not have provider property"
REASON_NO_REGION = "cluster(s) did not have region property"
REASON_NO_ZONES = "cluster(s) did not have zones property"
REASON_IN_EVICTION = "cluster(s) is in the process of eviction"

CONDITION_SCHEDULED = "Scheduled"
BINDING_REASON_SUCCESS = "Success"
BINDING_REASON_SCHEDULER_ERROR = "SchedulerError"
BINDING_REASON_NO_CLUSTER_FIT = "NoClusterFit"
BINDING_REASON_UNSCHEDULABLE = "Unschedulable"
BINDING_REASON_QUOTA_EXCEEDED = "QuotaExceeded"
SCHEDULE_SUCCESS_MESSAGE = "Binding has been scheduled successfully."
EVENT_SCHEDULE_BINDING_SUCCEED = "ScheduleBindingSucceed"
EVENT_SCHEDULE_BINDING_FAILED = "ScheduleBindingFailed"
EVENT_DESCHEDULE_BINDING_SUCCEED = "DescheduleBindingSucceed"
EVENT_DESCHEDULE_BINDING_FAILED = "DescheduleBindingFailed"

REPLICA_SCHEDULING_DUPLICATED = "Duplicated"
REPLICA_SCHEDULING_DIVIDED = "Divided"
DIVISION_PREFERENCE_AGGREGATED = "Aggregated"
DIVISION_PREFERENCE_WEIGHTED = "Weighted"
DYNAMIC_WEIGHT_AVAILABLE_REPLICAS = "AvailableReplicas"
SPREAD_BY_FIELD_CLUSTER = "cluster"
SPREAD_BY_FIELD_REGION = "region"
SPREAD_BY_FIELD_ZONE = "zone"
SPREAD_BY_FIELD_PROVIDER = "provider"

# ---- overrides ---------------------------------------------------------------------------------
EVENT_APPLY_OVERRIDE_POLICY_FAILED = "ApplyOverridePolicyFailed"
EVENT_APPLY_OVERRIDE_POLICY_SUCCEED = "ApplyOverridePolicySucceed"

# ---- Clusters (cluster.karmada.io) -------------------------------------------------------------
CLUSTER_GROUP = "cluster.karmada.io"
CLUSTERS_PATH = "/apis/cluster.karmada.io/v1alpha1/clusters"
CLUSTER_CONDITION_READY = "Ready"
CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"
CLUSTER_REASON_READY = "ClusterReady"
CLUSTER_REASON_NOT_READY = "ClusterNotReady"
CLUSTER_REASON_NOT_REACHABLE = "ClusterNotReachable"
CLUSTER_REASON_STATUS_COLLECTION_FAILED = "StatusCollectionFailed"
CLUSTER_MSG_READY = "cluster is healthy and ready to accept workloads"
CLUSTER_MSG_NOT_READY = "cluster is reachable but health endpoint responded without ok"
CLUSTER_MSG_NOT_REACHABLE = "cluster is not reachable"
# Set by the health monitor (Pull clusters) and for Push probes that time out.
CLUSTER_REASON_STATUS_UNKNOWN = "ClusterStatusUnknown"
CLUSTER_REASON_STATUS_NEVER_UPDATED = "ClusterStatusNeverUpdated"
CLUSTER_MSG_STATUS_UNKNOWN = "Cluster status controller stopped posting cluster status."
CLUSTER_MSG_STATUS_NEVER_UPDATED = "Cluster status controller never posted cluster status."
TAINT_CLUSTER_NOT_READY = "cluster.karmada.io/not-ready"
TAINT_CLUSTER_UNREACHABLE = "cluster.karmada.io/unreachable"
TAINT_CLUSTER_UNSCHEDULABLE = "cluster.karmada.io/unschedulable"
KARMADA_CLUSTER_NAMESPACE = "karmada-cluster"
KARMADA_SYSTEM_NAMESPACE = "karmada-system"
IMPERSONATOR_NAME = "karmada-impersonator"

# ---- propagation: detector, scheduler, binding, namespace sync, dependencies ---------------------
PROPAGATION_POLICIES_PATH = f"/apis/{POLICY_V1ALPHA1}/propagationpolicies"
CLUSTER_PROPAGATION_POLICIES_PATH = f"/apis/{POLICY_V1ALPHA1}/clusterpropagationpolicies"
OVERRIDE_POLICIES_PATH = f"/apis/{POLICY_V1ALPHA1}/overridepolicies"
CLUSTER_OVERRIDE_POLICIES_PATH = f"/apis/{POLICY_V1ALPHA1}/clusteroverridepolicies"
CLUSTER_TAINT_POLICIES_PATH = f"/apis/{POLICY_V1ALPHA1}/clustertaintpolicies"
RESOURCE_BINDINGS_PATH = f"/apis/{WORK_V1ALPHA2}/resourcebindings"
CLUSTER_RESOURCE_BINDINGS_PATH = f"/apis/{WORK_V1ALPHA2}/clusterresourcebindings"
WORKS_PATH = f"/apis/{WORK_V1ALPHA1}/works"

# Controller names: ``--controllers`` keys where upstream has one ("binding", "namespace"), else
# the name upstream gives the component's event recorder.
CONTROLLER_RESOURCE_DETECTOR = "resource-detector"
CONTROLLER_SCHEDULER = "karmada-scheduler"
CONTROLLER_BINDING = "binding"
CONTROLLER_NAMESPACE = "namespace"
CONTROLLER_DEPENDENCIES_DISTRIBUTOR = "dependencies-distributor"
CONTROLLER_GRACEFUL_EVICTION = "gracefulEviction"
CONTROLLER_APPLICATION_FAILOVER = "applicationFailover"
CONTROLLER_WORKLOAD_REBALANCER = "workloadRebalancer"
CONTROLLER_CLUSTER_TAINT_POLICY = "clustertaintpolicy"
# Event sources (``source.component``) as upstream's recorders name themselves.
COMPONENT_BINDING_CONTROLLER = "binding-controller"
COMPONENT_CLUSTER_RESOURCE_BINDING_CONTROLLER = "cluster-resource-binding-controller"
COMPONENT_NAMESPACE_SYNC_CONTROLLER = "namespace-sync-controller"
COMPONENT_OVERRIDE_MANAGER = "override-manager"
COMPONENT_EXECUTION_CONTROLLER = "execution-controller"
COMPONENT_WORK_STATUS_CONTROLLER = "work-status-controller"
COMPONENT_RB_STATUS_CONTROLLER = "resource-binding-status-controller"
COMPONENT_CRB_STATUS_CONTROLLER = "cluster-resource-binding-status-controller"
COMPONENT_CLUSTER_CONTROLLER = "cluster-controller"
COMPONENT_TAINT_MANAGER = "taint-manager"
COMPONENT_CLUSTER_TAINT_POLICY_CONTROLLER = "cluster-taint-policy-controller"
COMPONENT_RB_GRACEFUL_EVICTION_CONTROLLER = "resource-binding-graceful-eviction-controller"
COMPONENT_CRB_GRACEFUL_EVICTION_CONTROLLER = "cluster-resource-binding-graceful-eviction-controller"
COMPONENT_RB_APPLICATION_FAILOVER_CONTROLLER = "resource-binding-application-failover-controller"
COMPONENT_CRB_APPLICATION_FAILOVER_CONTROLLER = "cluster-resource-binding-application-failover-controller"

RESOURCE_BINDING_DEPENDED_BY_LABEL_PREFIX = "resourcebinding.karmada.io/depended-by-"
ACTIVATION_PREFERENCE_LAZY = "Lazy"
CONFLICT_RESOLUTION_POLICY_OVERWRITE = "Overwrite"
CONFLICT_RESOLUTION_POLICY_ABORT = "Abort"
PURGE_MODE_DIRECTLY = "Directly"
PURGE_MODE_GRACEFULLY = "Gracefully"
PURGE_MODE_NEVER = "Never"
PRIORITY_CLASS_SOURCE_KUBE = "KubePriorityClass"

# Groups, group versions and kinds the detector never propagates (behaviour.md 1.1).
DETECTOR_SKIPPED_GROUPS = (
    "cluster.karmada.io",
    "policy.karmada.io",
    "work.karmada.io",
    "config.karmada.io",
    "networking.karmada.io",
    "autoscaling.karmada.io",
    "remedy.karmada.io",
    "apps.karmada.io",
    "events.k8s.io",
)
DETECTOR_SKIPPED_GROUP_VERSIONS = ("coordination.k8s.io/v1",)
DETECTOR_SKIPPED_KINDS = (("v1", "Event"),)
DEFAULT_SKIPPED_PROPAGATING_NAMESPACES = ("kube-.*",)
EXTENSION_APISERVER_AUTHENTICATION = ("kube-system", "ConfigMap", "extension-apiserver-authentication")

EVENT_APPLY_POLICY_SUCCEED = "ApplyPolicySucceed"
EVENT_APPLY_POLICY_FAILED = "ApplyPolicyFailed"
EVENT_SYNC_WORK_SUCCEED = "SyncWorkSucceed"
EVENT_SYNC_WORK_FAILED = "SyncWorkFailed"
EVENT_CLEANUP_WORK_FAILED = "CleanupWorkFailed"
EVENT_GET_DEPENDENCIES_SUCCEED = "GetDependenciesSucceed"
EVENT_GET_DEPENDENCIES_FAILED = "GetDependenciesFailed"
EVENT_SYNC_SCHEDULE_RESULT_TO_DEPENDENCIES_SUCCEED = "SyncScheduleResultToDependenciesSucceed"
EVENT_SYNC_SCHEDULE_RESULT_TO_DEPENDENCIES_FAILED = "SyncScheduleResultToDependenciesFailed"
EVENT_DEPENDENCY_POLICY_CONFLICT = "DependencyPolicyConflict"
EVENT_GET_REPLICAS_SUCCEED = "GetReplicasSucceed"
EVENT_GET_REPLICAS_FAILED = "GetReplicasFailed"
# Work and the template its manifest came from (execution controller).
EVENT_SYNC_WORKLOAD_SUCCEED = "SyncSucceed"
EVENT_SYNC_WORKLOAD_FAILED = "SyncFailed"
EVENT_WORK_DISPATCHING = "WorkDispatching"
# Work (work status controller).
EVENT_REFLECT_STATUS_SUCCEED = "ReflectStatusSucceed"
EVENT_REFLECT_STATUS_FAILED = "ReflectStatusFailed"
EVENT_INTERPRET_HEALTH_SUCCEED = "InterpretHealthSucceed"
EVENT_INTERPRET_HEALTH_FAILED = "InterpretHealthFailed"
# Binding and template (binding status controller).
EVENT_AGGREGATE_STATUS_SUCCEED = "AggregateStatusSucceed"
EVENT_AGGREGATE_STATUS_FAILED = "AggregateStatusFailed"
# Cluster (cluster controller).
EVENT_CREATE_EXECUTION_SPACE_SUCCEED = "CreateExecutionSpaceSucceed"
EVENT_CREATE_EXECUTION_SPACE_FAILED = "CreateExecutionSpaceFailed"
EVENT_REMOVE_EXECUTION_SPACE_SUCCEED = "RemoveExecutionSpaceSucceed"
EVENT_REMOVE_EXECUTION_SPACE_FAILED = "RemoveExecutionSpaceFailed"
EVENT_TAINT_CLUSTER_SUCCEED = "TaintClusterSucceed"
EVENT_TAINT_CLUSTER_FAILED = "TaintClusterFailed"
EVENT_PREEMPT_POLICY_SUCCEED = "PreemptPolicySucceed"
EVENT_PREEMPT_POLICY_FAILED = "PreemptPolicyFailed"
EVENT_EVICT_WORKLOAD_FROM_CLUSTER_SUCCEED = "EvictWorkloadFromClusterSucceed"
EVENT_EVICT_WORKLOAD_FROM_CLUSTER_FAILED = "EvictWorkloadFromClusterFailed"
