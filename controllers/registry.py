"""Controllers by their upstream names, and ``--controllers`` selection (``*,-name,name``)."""

from __future__ import annotations

from collections.abc import Callable

from pykarmada.controllers.certificates.agent_csr_approving import AgentCSRApprovingController
from pykarmada.controllers.cluster.cluster import ClusterController
from pykarmada.controllers.cluster.health_monitor import LEASES_PATH, ClusterHealthMonitor
from pykarmada.controllers.cluster.taint_manager import NoExecuteTaintManager
from pykarmada.controllers.cluster.taint_policy import ClusterTaintPolicyController
from pykarmada.controllers.gracefuleviction.graceful_eviction import GracefulEvictionController
from pykarmada.controllers.applicationfailover.application_failover import ApplicationFailoverController
from pykarmada.controllers.workloadrebalancer.workload_rebalancer import WorkloadRebalancerController
from pykarmada.controllers.status.cluster_status import ClusterStatusController
from pykarmada.controllers.status.binding_status import BindingStatusController, binding_of_work
from pykarmada.controllers.context import ControllerContext
from pykarmada.controllers.execution.execution import ExecutionController
from pykarmada.karmada.propagation import specification_changed
from pykarmada.karmada.retain import needs_update
from pykarmada.controllers.status.work_status import WorkStatusController, work_of
from pykarmada.controllers.cluster.unified_auth import UnifiedAuthController
from pykarmada.controllers.binding.binding import BindingController
from pykarmada.controllers.common.manifests import ManifestRef
from pykarmada.controllers.dependencies.dependencies_distributor import DEPENDENT_PATHS, DependenciesDistributor
from pykarmada.controllers.detector.detector import Detector, DetectorController
from pykarmada.controllers.namespace.namespace_sync import NAMESPACES_PATH, NamespaceSyncController
from pykarmada.controllers.scheduler.assumptions import AssumptionCache
from pykarmada.controllers.scheduler.controller import SchedulerController
from pykarmada.controllers.common.templates import TemplateReader
from pykarmada.karmada import constants as c
from pykarmada.karmada import features
from pykarmada.karmada.estimation.client import EstimatorClient
from pykarmada.karmada.constants import CLUSTERS_PATH
from pykarmada.kube.client import KubeClient
from pykarmada.karmada.features import FAILOVER, GRACEFUL_EVICTION, POLICY_PREEMPTION, STATEFUL_FAILOVER_INJECTION
from pykarmada.kube.controller import Controller, ControllerGroup, Runnable
from pykarmada.kube.informer import Handler, Informer, object_key
from pykarmada.kube.workqueue import RateLimiter, event_priority, low_priority_when_listed

CLUSTER_ROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
CLUSTER_ROLE_BINDINGS = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"


def _enqueue_self(controller: Controller, informer: Informer) -> Callable[..., None]:
    add = low_priority_when_listed(controller.queue, informer)
    return lambda _type, obj, _old: add(object_key(obj))


def setup_cluster(ctx: ControllerContext) -> Runnable:
    """The cluster controller with its health monitor, and beside them (gate Failover,
    ``--enable-taint-manager``) the NoExecute taint manager with its eviction queues, as upstream
    starts them together."""
    clusters, leases = ctx.informer(CLUSTERS_PATH), ctx.informer(LEASES_PATH)
    ctrl = Controller("cluster", ClusterController(ctx.control_plane, clusters, ctx.informer(NAMESPACES_PATH)).reconcile, workers=ctx.options.workers)
    clusters.add_handler(_enqueue_self(ctrl, clusters))
    o = ctx.options
    monitor = ClusterHealthMonitor(ctx.control_plane, clusters, leases, period=o.cluster_monitor_period,
                                   grace=o.cluster_monitor_grace_period, startup_grace=o.cluster_startup_grace_period)
    health = Controller(monitor.name, monitor.reconcile, workers=2)
    # Each Pull cluster requeues itself every period; new clusters start on their first event.
    clusters.add_handler(lambda kind, obj, _old: health.queue.add(object_key(obj)) if kind == "ADDED" else None)
    if not (o.enable_taint_manager and o.feature_gates.enabled(FAILOVER)):
        return ControllerGroup("cluster", ctrl, health)
    manager = NoExecuteTaintManager(
        ctx.control_plane, clusters, ctx.informer(c.RESOURCE_BINDINGS_PATH), ctx.informer(c.CLUSTER_RESOURCE_BINDINGS_PATH),
        enable_eviction=o.enable_no_execute_taint_eviction, purge_mode=o.no_execute_taint_eviction_purge_mode,
        eviction_rate=o.resource_eviction_rate, stateful_failover_injection=o.feature_gates.enabled(STATEFUL_FAILOVER_INJECTION),
    )  # fmt: skip
    taints = Controller(manager.name, manager.reconcile, workers=o.workers)
    clusters.add_handler(_enqueue_self(taints, clusters))
    return ControllerGroup("cluster", ctrl, health, taints, manager.binding_eviction, manager.cluster_binding_eviction)


def setup_cluster_taint_policy(ctx: ControllerContext) -> Runnable | None:
    if not ctx.options.feature_gates.enabled(FAILOVER):
        return None
    clusters, policies = ctx.informer(CLUSTERS_PATH), ctx.informer(c.CLUSTER_TAINT_POLICIES_PATH)
    reconciler = ClusterTaintPolicyController(ctx.control_plane, clusters, policies)
    ctrl = Controller(reconciler.name, reconciler.reconcile, workers=ctx.options.workers)
    clusters.add_handler(reconciler.on_cluster(low_priority_when_listed(ctrl.queue, clusters)))
    policies.add_handler(reconciler.on_policy(ctrl.queue.add))
    return ctrl


def setup_graceful_eviction(ctx: ControllerContext) -> Runnable:
    rbs, crbs = ctx.informer(c.RESOURCE_BINDINGS_PATH), ctx.informer(c.CLUSTER_RESOURCE_BINDINGS_PATH)
    reconciler = GracefulEvictionController(ctx.control_plane, rbs, crbs, timeout=ctx.options.graceful_eviction_timeout)
    ctrl = Controller(reconciler.name, reconciler.reconcile, workers=ctx.options.workers)
    rbs.add_handler(reconciler.on_binding(low_priority_when_listed(ctrl.queue, rbs)))
    crbs.add_handler(reconciler.on_binding(low_priority_when_listed(ctrl.queue, crbs)))
    return ctrl


def setup_application_failover(ctx: ControllerContext) -> Runnable:
    """Not gated, as upstream; purgeMode Gracefully needs gate GracefulEviction."""
    rbs, crbs = ctx.informer(c.RESOURCE_BINDINGS_PATH), ctx.informer(c.CLUSTER_RESOURCE_BINDINGS_PATH)
    graceful = ctx.options.feature_gates.enabled(GRACEFUL_EVICTION)
    injection = ctx.options.feature_gates.enabled(STATEFUL_FAILOVER_INJECTION)
    reconciler = ApplicationFailoverController(ctx.control_plane, rbs, crbs, graceful_eviction=graceful, stateful_failover_injection=injection)
    ctrl = Controller(reconciler.name, reconciler.reconcile, workers=ctx.options.workers)
    rbs.add_handler(reconciler.on_binding(low_priority_when_listed(ctrl.queue, rbs)))
    crbs.add_handler(reconciler.on_binding(low_priority_when_listed(ctrl.queue, crbs)))
    return ctrl


def setup_workload_rebalancer(ctx: ControllerContext) -> Runnable:
    rebalancers = ctx.informer(c.WORKLOAD_REBALANCERS_PATH)
    reconciler = WorkloadRebalancerController(ctx.control_plane, rebalancers)
    ctrl = Controller(reconciler.name, reconciler.reconcile, workers=ctx.options.workers)
    rebalancers.add_handler(reconciler.on_rebalancer(low_priority_when_listed(ctrl.queue, rebalancers)))
    return ctrl


def setup_cluster_status(ctx: ControllerContext, *, on_ready: Callable[[dict], None] | None = None) -> Controller:  # type: ignore[type-arg]
    clusters = ctx.informer(CLUSTERS_PATH)
    o = ctx.options
    reconciler = ClusterStatusController(
        ctx.control_plane,
        clusters,
        ctx.members,
        period=o.cluster_status_update_frequency,
        success_threshold=o.cluster_success_threshold,
        failure_threshold=o.cluster_failure_threshold,
        sync_mode=o.sync_mode,
        on_ready=on_ready,
    )
    ctrl = Controller("clusterStatus", reconciler.reconcile, workers=max(o.workers, 8))

    def on_cluster(kind: str, obj: dict, old: dict | None) -> None:  # type: ignore[type-arg]
        # Our own status writes come back as events: only spec changes need an early probe.
        if kind != "MODIFIED" or old is None or obj.get("spec") != old.get("spec"):
            ctrl.queue.add(object_key(obj))

    clusters.add_handler(on_cluster)
    return ctrl


def setup_unified_auth(ctx: ControllerContext) -> Controller:
    clusters = ctx.informer(CLUSTERS_PATH)
    roles, bindings = ctx.informer(CLUSTER_ROLES), ctx.informer(CLUSTER_ROLE_BINDINGS)
    ctrl = Controller("unifiedAuth", UnifiedAuthController(clusters, roles, bindings, ctx.members).reconcile, workers=ctx.options.workers)

    def all_clusters(_type: str, _obj: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        for cluster in clusters.list():
            ctrl.queue.add(object_key(cluster))

    clusters.add_handler(_enqueue_self(ctrl, clusters))
    roles.add_handler(all_clusters)
    bindings.add_handler(all_clusters)
    return ctrl


WORKS = "/apis/work.karmada.io/v1alpha1/works"
# Status changes come in bursts; a key waits this long so that one write carries the burst:
# a member object's status moves several times within a second as its controllers work, and
# the Works of one binding change together, one per cluster.
MEMBER_STATUS_COALESCE_SECONDS = 0.3
STATUS_COALESCE_SECONDS = 0.5
RESOURCE_BINDINGS = "/apis/work.karmada.io/v1alpha2/resourcebindings"
CLUSTER_RESOURCE_BINDINGS = "/apis/work.karmada.io/v1alpha2/clusterresourcebindings"


def setup_execution(ctx: ControllerContext) -> Controller:
    works, clusters = ctx.informer(WORKS), ctx.informer(CLUSTERS_PATH)
    reconciler = ExecutionController(ctx.control_plane, works, clusters, ctx.members, ctx.member_informers, sync_mode=ctx.options.sync_mode)
    ctrl = Controller("execution", reconciler.reconcile, workers=max(ctx.options.workers, 8))
    add_work, add_member_work = low_priority_when_listed(ctrl.queue, works), low_priority_when_listed(ctrl.queue, ctx.member_informers)

    def on_work(kind: str, work: dict, old: dict | None) -> None:  # type: ignore[type-arg]
        # Status writes come back as events too: only spec or metadata changes need applying
        # (a status write moves only the resourceVersion and managedFields of the metadata).
        if kind != "MODIFIED" or old is None or specification_changed(old, work):
            add_work(object_key(work))

    def on_member_object(cluster: str, kind: str, obj: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        # Drift: a managed object changed by someone else (or deleted) is applied again.
        work = work_of(obj)
        if work is None:
            return
        if kind == "MODIFIED" and _old is not None and not needs_update(obj, _old):
            return  # only status or system fields changed: nothing to correct
        written = reconciler.last_written_version(cluster, ManifestRef.of(obj))
        if kind == "DELETED" or written != obj["metadata"].get("resourceVersion"):
            add_member_work(work)

    works.add_handler(on_work)
    ctx.member_informers.add_handler(on_member_object)
    return ctrl


def setup_work_status(ctx: ControllerContext) -> Controller:
    works, clusters = ctx.informer(WORKS), ctx.informer(CLUSTERS_PATH)
    reconciler = WorkStatusController(ctx.control_plane, works, clusters, ctx.member_informers, sync_mode=ctx.options.sync_mode)
    ctrl = Controller("workStatus", reconciler.reconcile, workers=max(ctx.options.workers, 8))
    works.add_handler(_enqueue_self(ctrl, works))

    def on_member_object(_cluster: str, _kind: str, obj: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        if (work := work_of(obj)) is not None:
            ctrl.queue.add_after(work, MEMBER_STATUS_COALESCE_SECONDS, event_priority(ctx.member_informers))

    ctx.member_informers.add_handler(on_member_object)
    return ctrl


def setup_binding_status(ctx: ControllerContext) -> Controller:
    works = ctx.informer(WORKS)
    bindings, cluster_bindings = ctx.informer(RESOURCE_BINDINGS), ctx.informer(CLUSTER_RESOURCE_BINDINGS)
    reconciler = BindingStatusController(ctx.control_plane, bindings, cluster_bindings, works, TemplateReader(ctx.control_plane, ctx.informers))
    ctrl = Controller("bindingStatus", reconciler.reconcile, workers=max(ctx.options.workers, 8))

    def on_work(kind: str, work: dict, old: dict | None) -> None:  # type: ignore[type-arg]
        binding = binding_of_work(work)
        # As upstream: a Work's deletion or a change of its status (a new Work has none yet; the
        # bindings' own events cover a restart).
        if binding is not None and (kind == "DELETED" or (old is not None and work.get("status") != old.get("status"))):
            # Coalesce: a binding's Works change status in bursts (one per cluster, several times).
            ctrl.queue.add_after(binding, STATUS_COALESCE_SECONDS, event_priority(works))

    works.add_handler(on_work)
    add_rb, add_crb = low_priority_when_listed(ctrl.queue, bindings), low_priority_when_listed(ctrl.queue, cluster_bindings)

    def on_binding(add: Callable[[tuple[str, str, str]], None], kind: str) -> Handler:
        def handler(event: str, binding: dict, old: dict | None) -> None:  # type: ignore[type-arg]
            # Its status (ours, the scheduler's) is not an input: only spec and metadata are, and
            # only once it has been scheduled (upstream's lastScheduledTime test).
            if event != "DELETED" and not (binding.get("status") or {}).get("lastScheduledTime"):
                return
            if event == "MODIFIED" and old is not None and not specification_changed(old, binding):
                return
            add((kind, *object_key(binding)))

        return handler

    bindings.add_handler(on_binding(add_rb, "rb"))
    cluster_bindings.add_handler(on_binding(add_crb, "crb"))
    return ctrl


# ---- propagation, control-plane side: detector, scheduler, binding, namespace, dependencies ----

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
# Template informers hold one watch each (every served kind): they get a client of their own.
TEMPLATE_WATCH_CONNECTIONS = 1024


def setup_detector(ctx: ControllerContext) -> Controller:
    for path in (c.PROPAGATION_POLICIES_PATH, c.CLUSTER_PROPAGATION_POLICIES_PATH, c.OVERRIDE_POLICIES_PATH,
                 c.CLUSTER_OVERRIDE_POLICIES_PATH, c.RESOURCE_BINDINGS_PATH, c.CLUSTER_RESOURCE_BINDINGS_PATH, CRDS):
        ctx.informer(path)
    watch_client = KubeClient(ctx.control_plane.connection, user_agent="karmada-controller-manager", max_connections=TEMPLATE_WATCH_CONNECTIONS)
    ctx.closers.append(watch_client.close)
    detector = Detector(ctx.control_plane, watch_client, ctx.informers, preemption=ctx.options.feature_gates.enabled(POLICY_PREEMPTION))
    # Upstream's 5 goroutines per queue; asyncio workers only wait on the API server, so a few
    # more of them keep throughput up when each call takes tens of milliseconds.
    ctrl = DetectorController(detector, workers=max(ctx.options.workers, 5) * 2)
    ctx.informer(c.PROPAGATION_POLICIES_PATH).add_handler(detector.policies.on_policy(c.KIND_PROPAGATION_POLICY))
    ctx.informer(c.CLUSTER_PROPAGATION_POLICIES_PATH).add_handler(detector.policies.on_policy(c.KIND_CLUSTER_PROPAGATION_POLICY))
    ctx.informer(CRDS).add_handler(detector.on_crd)
    ctx.informer(c.RESOURCE_BINDINGS_PATH).add_handler(detector.on_binding)
    ctx.informer(c.CLUSTER_RESOURCE_BINDINGS_PATH).add_handler(detector.on_binding)
    return ctrl


def setup_scheduler(ctx: ControllerContext) -> Controller:
    rbs, crbs = ctx.informer(c.RESOURCE_BINDINGS_PATH), ctx.informer(c.CLUSTER_RESOURCE_BINDINGS_PATH)
    clusters = ctx.informer(CLUSTERS_PATH)
    estimator_client = assumptions = None
    if ctx.options.enable_scheduler_estimator:
        estimator_client = EstimatorClient(ctx.control_plane, ctx.options.scheduler_estimator)
        ctx.closers.append(estimator_client.close)
        if ctx.options.feature_gates.enabled(features.SCHEDULING_OVERCOMMIT_PROTECTION):
            assumptions = AssumptionCache()
    scheduler = SchedulerController(ctx.control_plane, rbs, crbs, clusters, estimator_client=estimator_client, assumptions=assumptions)
    ctrl = Controller(c.CONTROLLER_SCHEDULER, scheduler.reconcile, workers=max(ctx.options.workers, 4) * 2)
    ctrl.queue.rate_limiter = RateLimiter(base=1.0, cap=10.0)  # upstream's binding backoff
    rbs.add_handler(scheduler.on_binding(low_priority_when_listed(ctrl.queue, rbs)))
    crbs.add_handler(scheduler.on_binding(low_priority_when_listed(ctrl.queue, crbs)))
    clusters.add_handler(scheduler.on_cluster(ctrl.queue.add))
    return ctrl


def setup_binding(ctx: ControllerContext) -> Controller:
    for path in (c.RESOURCE_BINDINGS_PATH, c.CLUSTER_RESOURCE_BINDINGS_PATH, c.WORKS_PATH, CLUSTERS_PATH,
                 c.OVERRIDE_POLICIES_PATH, c.CLUSTER_OVERRIDE_POLICIES_PATH):
        ctx.informer(path)
    binding = BindingController(ctx.control_plane, ctx.informers, TemplateReader(ctx.control_plane, ctx.informers),
                                stateful_failover_injection=ctx.options.feature_gates.enabled(STATEFUL_FAILOVER_INJECTION))
    # Upstream runs 5 workers for ResourceBindings and 5 for ClusterResourceBindings (see above).
    ctrl = Controller(c.CONTROLLER_BINDING, binding.reconcile, workers=max(ctx.options.workers, 5) * 3)
    for path, handler in ((c.RESOURCE_BINDINGS_PATH, binding.on_binding), (c.CLUSTER_RESOURCE_BINDINGS_PATH, binding.on_binding),
                          (c.WORKS_PATH, binding.on_work), (c.OVERRIDE_POLICIES_PATH, binding.on_override_policy),
                          (c.CLUSTER_OVERRIDE_POLICIES_PATH, binding.on_override_policy)):
        informer = ctx.informer(path)
        informer.add_handler(handler(low_priority_when_listed(ctrl.queue, informer)))
    return ctrl


def setup_namespace_sync(ctx: ControllerContext) -> Controller:
    namespaces, clusters = ctx.informer(NAMESPACES_PATH), ctx.informer(CLUSTERS_PATH)
    cops = ctx.informer(c.CLUSTER_OVERRIDE_POLICIES_PATH)
    sync = NamespaceSyncController(ctx.control_plane, namespaces, clusters, ctx.informer(c.WORKS_PATH), cops)
    ctrl = Controller(c.CONTROLLER_NAMESPACE, sync.reconcile, workers=max(ctx.options.workers // 2, 1))
    namespaces.add_handler(sync.on_namespace(ctrl.queue.add))
    clusters.add_handler(sync.on_cluster(ctrl.queue.add))
    cops.add_handler(sync.on_cluster_override_policy(ctrl.queue.add))
    return ctrl


def setup_dependencies_distributor(ctx: ControllerContext) -> Controller:
    rbs = ctx.informer(c.RESOURCE_BINDINGS_PATH)
    distributor = DependenciesDistributor(ctx.control_plane, rbs, TemplateReader(ctx.control_plane, ctx.informers))
    ctrl = Controller(c.CONTROLLER_DEPENDENCIES_DISTRIBUTOR, distributor.reconcile, workers=2)
    rbs.add_handler(distributor.on_binding(low_priority_when_listed(ctrl.queue, rbs)))
    for path in DEPENDENT_PATHS:
        kind = {"configmaps": "ConfigMap", "secrets": "Secret", "serviceaccounts": "ServiceAccount", "persistentvolumeclaims": "PersistentVolumeClaim"}[path.rsplit("/", 1)[1]]
        dependents = ctx.informer(path)
        dependents.add_handler(distributor.on_dependent("v1", kind, low_priority_when_listed(ctrl.queue, dependents)))
    return ctrl


CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"


def setup_agent_csr_approving(ctx: ControllerContext) -> Controller:
    csrs = ctx.informer(CSRS)
    reconciler = AgentCSRApprovingController(ctx.control_plane, csrs)
    ctrl = Controller(reconciler.name, reconciler.reconcile, workers=2)
    add = low_priority_when_listed(ctrl.queue, csrs)

    def on_csr(kind: str, csr: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        if kind != "DELETED" and reconciler.wants(csr):
            add(object_key(csr))

    csrs.add_handler(on_csr)
    return ctrl


# A setup returns None when its controller is off (a feature gate), as upstream's "not enabled".
CONTROLLERS: dict[str, Callable[[ControllerContext], Runnable | None]] = {
    "cluster": setup_cluster,
    "clusterStatus": setup_cluster_status,
    "unifiedAuth": setup_unified_auth,
    "execution": setup_execution,
    "workStatus": setup_work_status,
    "bindingStatus": setup_binding_status,
    c.CONTROLLER_RESOURCE_DETECTOR: setup_detector,
    c.CONTROLLER_SCHEDULER: setup_scheduler,
    c.CONTROLLER_BINDING: setup_binding,
    c.CONTROLLER_NAMESPACE: setup_namespace_sync,
    c.CONTROLLER_DEPENDENCIES_DISTRIBUTOR: setup_dependencies_distributor,
    "agentcsrapproving": setup_agent_csr_approving,
    c.CONTROLLER_GRACEFUL_EVICTION: setup_graceful_eviction,
    c.CONTROLLER_APPLICATION_FAILOVER: setup_application_failover,
    c.CONTROLLER_WORKLOAD_REBALANCER: setup_workload_rebalancer,
    c.CONTROLLER_CLUSTER_TAINT_POLICY: setup_cluster_taint_policy,
}


def enabled(selection: str, name: str) -> bool:
    """client-go style: ``*`` enables all, ``-name`` disables one, ``name`` enables one."""
    items = [s.strip() for s in selection.split(",") if s.strip()]
    if f"-{name}" in items:
        return False
    return name in items or "*" in items


def unknown(selection: str) -> list[str]:
    items = [s.strip().lstrip("-") for s in selection.split(",") if s.strip()]
    return [i for i in items if i != "*" and i not in CONTROLLERS]
