"""Controllers by their upstream names, and ``--controllers`` selection (``*,-name,name``)."""

from __future__ import annotations

from collections.abc import Callable

from pykarmada.controllers.cluster import ClusterController
from pykarmada.controllers.cluster_status import ClusterStatusController
from pykarmada.controllers.context import ControllerContext
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


CONTROLLERS: dict[str, Callable[[ControllerContext], Controller]] = {
    "cluster": setup_cluster,
    "clusterStatus": setup_cluster_status,
    "unifiedAuth": setup_unified_auth,
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
