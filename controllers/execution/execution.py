"""The execution controller (Push clusters in the controller process, its own Pull cluster in the
agent): applies each Work's manifests to its member cluster.

Per Work: finalizer ``karmada.io/execution-controller``; ``Dispatching`` condition; nothing is
written to a member that is not Ready (retried with backoff). Each manifest is created, or updated
with the member's own fields retained, and only when that changes something; an object that
Karmada does not manage is only taken over when the Work says ``conflict-resolution: overwrite``.
``Applied`` records the outcome. Errors a retry cannot fix (the member refuses the manifest, an
unknown kind, a conflict with an unmanaged object) are recorded and not retried until the Work
changes. Deleting a Work deletes the member objects it manages (or strips Karmada's marks when
``preserveResourcesOnDeletion``) and then releases the Work.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from typing import Any

from pykarmada.controllers.common.manifests import ManifestRef, manifests_of, record_reflection, reflected
from pykarmada.controllers.common.member_informers import MemberInformers
from pykarmada.controllers.common.members import CredentialsError, MemberClients
from pykarmada.karmada import constants as c
from pykarmada.karmada import metrics
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.names import cluster_from_execution_namespace
from pykarmada.karmada.retain import needs_update, retain
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition, set_condition
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.discovery import UnknownKind
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)

Obj = dict[str, Any]
WORKS_PATH = "/apis/work.karmada.io/v1alpha1/works"
PERMANENT_STATUS = (400, 422)
# Labels and annotations Karmada puts on member objects; removed when the object is left behind.
KARMADA_LABELS = (c.MANAGED_BY_KARMADA_LABEL, c.WORK_PERMANENT_ID_LABEL, c.RESOURCE_BINDING_PERMANENT_ID_LABEL, c.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL, c.PROPAGATION_POLICY_PERMANENT_ID_LABEL, c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL)
KARMADA_ANNOTATIONS = (
    c.WORK_NAME_ANNOTATION, c.WORK_NAMESPACE_ANNOTATION, c.RESOURCE_BINDING_NAME_ANNOTATION, c.RESOURCE_BINDING_NAMESPACE_ANNOTATION,
    c.CLUSTER_RESOURCE_BINDING_ANNOTATION, c.MANAGED_LABELS_ANNOTATION, c.MANAGED_ANNOTATIONS_ANNOTATION, c.CONFLICT_RESOLUTION_ANNOTATION,
    c.RESOURCE_TEMPLATE_GENERATION_ANNOTATION, c.RESOURCE_TEMPLATE_UID_ANNOTATION, c.PROPAGATION_POLICY_NAME_ANNOTATION,
    c.PROPAGATION_POLICY_NAMESPACE_ANNOTATION, c.CLUSTER_PROPAGATION_POLICY_ANNOTATION,
)


class ClusterNotReady(RetryableError):
    pass


class PermanentError(Exception):
    """Applying cannot succeed until the Work (or the member object) changes."""


def is_ready(cluster: Obj | None) -> bool:
    cond = get_condition((cluster or {}).get("status", {}).get("conditions"), c.CLUSTER_CONDITION_READY)
    return bool(cond and cond.get("status") == "True")


def _digest(obj: Obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


class ExecutionController:
    name = "execution"

    def __init__(
        self, control_plane: KubeClient, works: Informer, clusters: Informer, members: MemberClients, member_informers: MemberInformers, *, sync_mode: str = "Push"
    ) -> None:
        self.control_plane, self.works, self.clusters = control_plane, works, clusters
        self.sync_mode = sync_mode  # Works of clusters in another mode are another process's
        self.members, self.member_informers = members, member_informers
        # (cluster, ref) -> (digest of what we wrote, resourceVersion it got): skip identical writes.
        self.written: dict[tuple[str, ManifestRef], tuple[str, str]] = {}
        self.recorder = EventRecorder(control_plane, c.COMPONENT_EXECUTION_CONTROLLER)
        self.reflection_recorder = EventRecorder(control_plane, c.COMPONENT_WORK_STATUS_CONTROLLER)

    def last_written_version(self, cluster: str, ref: ManifestRef) -> str | None:
        entry = self.written.get((cluster, ref))
        return entry[1] if entry else None

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        work = self.works.get(*key)
        cluster_name = cluster_from_execution_namespace(key[0])
        if work is None or cluster_name is None:
            return None
        cluster = self.clusters.get("", cluster_name)
        if cluster is not None and (cluster.get("spec") or {}).get("syncMode") != self.sync_mode:
            return None  # Pull clusters: their agent applies (upstream's execution predicate)
        if work["metadata"].get("deletionTimestamp"):
            return await self._delete(work, cluster)
        if cluster is None:
            raise ClusterNotReady(f"cluster({cluster_name}) not found")
        if c.EXECUTION_CONTROLLER_FINALIZER not in (work["metadata"].get("finalizers") or []):
            updated = copy.deepcopy(work)
            updated["metadata"].setdefault("finalizers", []).append(c.EXECUTION_CONTROLLER_FINALIZER)
            work = await self.control_plane.replace(f"/apis/work.karmada.io/v1alpha1/namespaces/{key[0]}/works/{key[1]}", updated)
        status = copy.deepcopy(work.get("status") or {})
        if (work.get("spec") or {}).get("suspendDispatching"):
            status["conditions"] = set_condition(status.get("conditions"), "Dispatching", "False", "SuspendDispatching", "Work dispatching is in a suspended state.")
            await self._write_status(work, status)
            return None
        status["conditions"] = set_condition(status.get("conditions"), "Dispatching", "True", "Dispatching", "Work is being dispatched to member clusters.")
        if not is_ready(cluster):
            raise ClusterNotReady(f"cluster({cluster_name}) not ready")
        manifests = manifests_of(work)
        errors, retry, wrote, started = [], False, False, time.perf_counter()
        observed: list[Obj | None] = []
        for manifest in manifests:
            try:
                written, obj = await self._apply(cluster, work, manifest)
                wrote = wrote or written
                observed.append(obj)
            except PermanentError as e:
                errors.append(str(e))
                self._manifest_event(manifest, WARNING, M.apply_manifest(manifest, cluster_name, e))
            except (ApiError, CredentialsError, OSError) as e:
                errors.append(f"{ManifestRef.of(manifest)}: {e}")
                self._manifest_event(manifest, WARNING, M.apply_manifest(manifest, cluster_name, e))
                retry = True
        metrics.observe_result(metrics.WORK_SYNC_WORKLOAD_DURATION, time.perf_counter() - started, failed=bool(errors))
        if errors:
            message = f"Failed to apply all manifests ({len(manifests) - len(errors)}/{len(manifests)}): {'; '.join(errors)}"
            status["conditions"] = set_condition(status["conditions"], "Applied", "False", "AppliedFailed", message)
        else:
            status["conditions"] = set_condition(status["conditions"], "Applied", "True", "AppliedSuccessful", "Manifest has been successfully applied")
        # The first report of the member objects, as the member returned them, goes with Applied:
        # the work status controller would write the same from its cache a moment later, as a
        # second status write of this Work.
        entries = reflected(work, observed) if not errors and not status.get("manifestStatuses") else []
        if entries:
            status["manifestStatuses"] = [entry for entry, _ in entries]
        await self._write_status(work, status)
        record_reflection(self.reflection_recorder, work, entries)
        if errors:
            self.recorder.event(work, WARNING, c.EVENT_SYNC_WORKLOAD_FAILED, M.sync_work_to_cluster(work, cluster_name, "; ".join(errors)))
        elif wrote or status != (work.get("status") or {}):
            # Upstream records it on every sync; a sync that changed nothing would only bump a count.
            self.recorder.event(work, NORMAL, c.EVENT_SYNC_WORKLOAD_SUCCEED, M.sync_work_to_cluster(work, cluster_name))
        if retry:
            raise RetryableError(f"work {key[0]}/{key[1]}: {'; '.join(errors)}")
        return None

    def _manifest_event(self, manifest: Obj, type_: str, message: str) -> None:
        """SyncSucceed/SyncFailed about the template the manifest came from."""
        if (ref := M.manifest_event_ref(manifest)) is not None:
            self.recorder.event(ref, type_, c.EVENT_SYNC_WORKLOAD_SUCCEED if type_ == NORMAL else c.EVENT_SYNC_WORKLOAD_FAILED, message)

    async def _apply(self, cluster: Obj, work: Obj, manifest: Obj) -> tuple[bool, Obj]:
        """Create or update one manifest in the member: whether it was written, and the member's
        object as it is now."""
        cluster_name = cluster["metadata"]["name"]
        ref = ManifestRef.of(manifest)
        try:
            info = await (await self.member_informers.mapper(cluster)).lookup(ref.api_version, ref.kind)
        except UnknownKind as e:
            raise PermanentError(f"{ref}: {e} in cluster {cluster_name}") from None
        await self.member_informers.ensure(cluster, ref.api_version, ref.kind)
        client = await self.members.client_for(cluster)
        path = info.path(namespace=ref.namespace, name=ref.name)
        try:
            if (cluster_name, ref) not in self.written:
                # Not written by us yet: usually new, so try creating before reading.
                try:
                    created = await client.create(info.path(namespace=ref.namespace), manifest)
                    self.written[(cluster_name, ref)] = (_digest(manifest), created["metadata"]["resourceVersion"])
                    self._manifest_event(manifest, NORMAL, M.apply_manifest(manifest, cluster_name))
                    return True, created
                except ApiError as e:
                    if not e.already_exists:
                        raise
            observed = await client.get(path)
            labels = (observed.get("metadata") or {}).get("labels") or {}
            conflict = (manifest.get("metadata", {}).get("annotations") or {}).get(c.CONFLICT_RESOLUTION_ANNOTATION)
            if labels.get(c.MANAGED_BY_KARMADA_LABEL) != c.MANAGED_BY_KARMADA_LABEL_VALUE and conflict != c.CONFLICT_RESOLUTION_OVERWRITE:
                raise PermanentError(
                    f"resource(kind={ref.kind}, {ref.namespace + '/' if ref.namespace else ''}{ref.name}) already exists in the cluster "
                    f"{cluster_name} and the {c.CONFLICT_RESOLUTION_ANNOTATION} strategy value is empty, Karmada will not manage this resource"
                )
            digest = _digest(manifest)
            if self.written.get((cluster_name, ref)) == (digest, observed["metadata"]["resourceVersion"]):
                return False, observed
            desired = retain(manifest, observed)
            wrote = needs_update(desired, observed)
            if wrote:
                observed = await client.replace(path, desired)
                self._manifest_event(manifest, NORMAL, M.apply_manifest(manifest, cluster_name))
            self.written[(cluster_name, ref)] = (digest, observed["metadata"]["resourceVersion"])
            return wrote, observed
        except ApiError as e:
            if e.status in PERMANENT_STATUS:
                raise PermanentError(f"{ref}: the member refused it: {e.message or e.reason}") from None
            raise

    async def _delete(self, work: Obj, cluster: Obj | None) -> Result | None:
        ns, name = work["metadata"]["namespace"], work["metadata"]["name"]
        spec = work.get("spec") or {}
        if cluster is not None and is_ready(cluster):
            client = await self.members.client_for(cluster)
            for manifest in manifests_of(work):
                await self._remove_from_member(cluster, client, manifest, preserve=bool(spec.get("preserveResourcesOnDeletion")))
        elif cluster is not None and not cluster["metadata"].get("deletionTimestamp"):
            raise ClusterNotReady(f"cluster({cluster['metadata']['name']}) not ready: cannot remove what work {ns}/{name} applied")
        finalizers = work["metadata"].get("finalizers") or []
        if c.EXECUTION_CONTROLLER_FINALIZER in finalizers:
            updated = copy.deepcopy(work)
            updated["metadata"]["finalizers"] = [f for f in finalizers if f != c.EXECUTION_CONTROLLER_FINALIZER]
            try:
                await self.control_plane.replace(f"/apis/work.karmada.io/v1alpha1/namespaces/{ns}/works/{name}", updated)
            except ApiError as e:
                if not e.not_found:
                    raise
        return None

    async def _remove_from_member(self, cluster: Obj, client: KubeClient, manifest: Obj, *, preserve: bool) -> None:
        ref = ManifestRef.of(manifest)
        try:
            info = await (await self.member_informers.mapper(cluster)).lookup(ref.api_version, ref.kind)
            path = info.path(namespace=ref.namespace, name=ref.name)
            observed = await client.get(path)
        except UnknownKind:
            return
        except ApiError as e:
            if e.not_found:
                return
            raise
        meta = observed.get("metadata") or {}
        if (meta.get("labels") or {}).get(c.MANAGED_BY_KARMADA_LABEL) != c.MANAGED_BY_KARMADA_LABEL_VALUE:
            return  # not ours (any more): leave it
        self.written.pop((cluster["metadata"]["name"], ref), None)
        if preserve:
            for field, keys in (("labels", KARMADA_LABELS), ("annotations", KARMADA_ANNOTATIONS)):
                for k in keys:
                    (meta.get(field) or {}).pop(k, None)
            await client.replace(path, observed)
            return
        try:
            await client.delete(path, propagationPolicy="Background")
        except ApiError as e:
            if not e.not_found:
                raise

    async def _write_status(self, work: Obj, status: Obj) -> None:
        """Write ``status`` when it changed; WorkDispatching follows a new Dispatching status."""
        old = work.get("status") or {}
        if status == old:
            return
        updated = copy.deepcopy(work)
        updated["status"] = status
        meta = work["metadata"]
        await self.control_plane.replace(f"/apis/work.karmada.io/v1alpha1/namespaces/{meta['namespace']}/works/{meta['name']}/status", updated)
        before, after = get_condition(old.get("conditions"), "Dispatching"), get_condition(status.get("conditions"), "Dispatching")
        if after is not None and (before or {}).get("status") != after.get("status"):
            self.recorder.event(work, NORMAL, c.EVENT_WORK_DISPATCHING, after.get("message") or "")
