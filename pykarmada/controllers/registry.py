"""Controllers by their upstream names, and ``--controllers`` selection (``*,-name,name``)."""

from __future__ import annotations

from collections.abc import Callable

from pykarmada.controllers.cluster import ClusterController
from pykarmada.controllers.cluster_status import ClusterStatusController
from pykarmada.controllers.binding_status import BindingStatusController
from pykarmada.controllers.context import ControllerContext
from pykarmada.controllers.execution import ExecutionController, ManifestRef
from pykarmada.controllers.work_status import WorkStatusController, work_of
from pykarmada.controllers.unified_auth import UnifiedAuthController
from pykarmada.karmada.constants import CLUSTERS_PATH
from pykarmada.kube.controller import Controller
from pykarmada.kube.informer import object_key

CLUSTER_ROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
CLUSTER_ROLE_BINDINGS = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"


def _enqueue_self(controller: Controller) -> Callable[..., None]:
    return lambda _type, obj, _old: controller.queue.add(object_key(obj))


def setup_cluster(ctx: ControllerContext) -> Controller:
    clusters = ctx.informer(CLUSTERS_PATH)
    ctrl = Controller("cluster", ClusterController(ctx.control_plane, clusters).reconcile, workers=ctx.options.workers)
    clusters.add_handler(_enqueue_self(ctrl))
    return ctrl


def setup_cluster_status(ctx: ControllerContext) -> Controller:
    clusters = ctx.informer(CLUSTERS_PATH)
    o = ctx.options
    reconciler = ClusterStatusController(
        ctx.control_plane,
        clusters,
        ctx.members,
        period=o.cluster_status_update_frequency,
        success_threshold=o.cluster_success_threshold,
        failure_threshold=o.cluster_failure_threshold,
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

    clusters.add_handler(_enqueue_self(ctrl))
    roles.add_handler(all_clusters)
    bindings.add_handler(all_clusters)
    return ctrl


WORKS = "/apis/work.karmada.io/v1alpha1/works"
RESOURCE_BINDINGS = "/apis/work.karmada.io/v1alpha2/resourcebindings"
CLUSTER_RESOURCE_BINDINGS = "/apis/work.karmada.io/v1alpha2/clusterresourcebindings"


def setup_execution(ctx: ControllerContext) -> Controller:
    works, clusters = ctx.informer(WORKS), ctx.informer(CLUSTERS_PATH)
    reconciler = ExecutionController(ctx.control_plane, works, clusters, ctx.members, ctx.member_informers)
    ctrl = Controller("execution", reconciler.reconcile, workers=max(ctx.options.workers, 8))

    def on_work(kind: str, work: dict, old: dict | None) -> None:  # type: ignore[type-arg]
        # Status writes come back as events too: only spec or metadata changes need applying.
        if kind != "MODIFIED" or old is None or work.get("spec") != old.get("spec") or work["metadata"] != old["metadata"]:
            ctrl.queue.add(object_key(work))

    def on_member_object(cluster: str, kind: str, obj: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        # Drift: a managed object changed by someone else (or deleted) is applied again.
        work = work_of(obj)
        if work is None:
            return
        written = reconciler.last_written_version(cluster, ManifestRef.of(obj))
        if kind == "DELETED" or written != obj["metadata"].get("resourceVersion"):
            ctrl.queue.add(work)

    works.add_handler(on_work)
    ctx.member_informers.add_handler(on_member_object)
    return ctrl


def setup_work_status(ctx: ControllerContext) -> Controller:
    works, clusters = ctx.informer(WORKS), ctx.informer(CLUSTERS_PATH)
    reconciler = WorkStatusController(ctx.control_plane, works, clusters, ctx.member_informers)
    ctrl = Controller("workStatus", reconciler.reconcile, workers=max(ctx.options.workers, 8))
    works.add_handler(_enqueue_self(ctrl))

    def on_member_object(_cluster: str, _kind: str, obj: dict, _old: dict | None) -> None:  # type: ignore[type-arg]
        if (work := work_of(obj)) is not None:
            ctrl.queue.add(work)

    ctx.member_informers.add_handler(on_member_object)
    return ctrl


def setup_binding_status(ctx: ControllerContext) -> Controller:
    works = ctx.informer(WORKS)
    bindings, cluster_bindings = ctx.informer(RESOURCE_BINDINGS), ctx.informer(CLUSTER_RESOURCE_BINDINGS)
    reconciler = BindingStatusController(ctx.control_plane, bindings, cluster_bindings, works)
    ctrl = Controller("bindingStatus", reconciler.reconcile, workers=max(ctx.options.workers, 8))

    def on_work(kind: str, work: dict, old: dict | None) -> None:  # type: ignore[type-arg]
        binding = reconciler.on_work(kind, work, old)
        if binding is not None and (old is None or kind == "DELETED" or work.get("status") != old.get("status")):
            ctrl.queue.add(binding)

    works.add_handler(on_work)
    bindings.add_handler(lambda _k, b, _o: ctrl.queue.add(("rb", *object_key(b))))
    cluster_bindings.add_handler(lambda _k, b, _o: ctrl.queue.add(("crb", *object_key(b))))
    return ctrl


CONTROLLERS: dict[str, Callable[[ControllerContext], Controller]] = {
    "cluster": setup_cluster,
    "clusterStatus": setup_cluster_status,
    "unifiedAuth": setup_unified_auth,
    "execution": setup_execution,
    "workStatus": setup_work_status,
    "bindingStatus": setup_binding_status,
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
