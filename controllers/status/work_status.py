"""The work status controller: reflects each member object's status and health into its Work's
``status.manifestStatuses`` (behaviour.md 5.1), from the member informers' caches. The first
report usually comes with ``Applied`` from the execution controller; this keeps it current.

A change of health, or of the set of objects, is written at once. Progress of objects that are
still Unhealthy (a rollout's replica counts moving) waits for the progress throttle
(``controllers/status/progress``).
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable

from pykarmada.controllers.common.manifests import ManifestRef, manifests_of, record_reflection, reflected
from pykarmada.controllers.common.member_informers import MemberInformers
from pykarmada.controllers.common.members import CredentialsError
from pykarmada.controllers.execution.execution import is_ready
from pykarmada.controllers.status.progress import ProgressThrottle
from pykarmada.karmada import constants as c
from pykarmada.karmada.interpreter.status import UNHEALTHY
from pykarmada.karmada.names import cluster_from_execution_namespace
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition
from pykarmada.kube.controller import Result
from pykarmada.kube.discovery import UnknownKind
from pykarmada.kube.events import EventRecorder
from pykarmada.kube.informer import Informer

Obj = dict[str, Any]


def progress_only(before: list[Obj], after: list[Obj]) -> bool:
    """Whether ``after`` differs from ``before`` only in the status of objects that were and stay
    Unhealthy (the same objects, in the same order, with the same health)."""
    return len(before) == len(after) and all(
        b.get("identifier") == a.get("identifier") and b.get("health") == a.get("health") == UNHEALTHY for b, a in zip(before, after)
    )


def work_of(member_object: Obj) -> tuple[str, str] | None:
    """The Work a member object came from, by the annotations Karmada put on it."""
    ann = (member_object.get("metadata") or {}).get("annotations") or {}
    ns, name = ann.get(c.WORK_NAMESPACE_ANNOTATION), ann.get(c.WORK_NAME_ANNOTATION)
    return (ns, name) if ns and name else None


class WorkStatusController:
    name = "workStatus"

    def __init__(
        self, control_plane: KubeClient, works: Informer, clusters: Informer, member_informers: MemberInformers, *,
        sync_mode: str = "Push", clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.control_plane, self.works, self.clusters, self.member_informers = control_plane, works, clusters, member_informers
        self.sync_mode = sync_mode  # Works of clusters in another mode are another process's
        self.progress = ProgressThrottle(clock=clock)
        self.recorder = EventRecorder(control_plane, c.COMPONENT_WORK_STATUS_CONTROLLER)

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        work = self.works.get(*key)
        cluster_name = cluster_from_execution_namespace(key[0])
        if work is None or cluster_name is None or work["metadata"].get("deletionTimestamp"):
            self.progress.forget(key)
            return None
        cluster = self.clusters.get("", cluster_name)
        applied = get_condition((work.get("status") or {}).get("conditions"), "Applied")
        if not is_ready(cluster) or (cluster or {}).get("spec", {}).get("syncMode") != self.sync_mode or not applied or applied.get("status") != "True":
            return None
        observed: list[Obj | None] = []
        for manifest in manifests_of(work):
            ref = ManifestRef.of(manifest)
            try:
                await self.member_informers.ensure(cluster, ref.api_version, ref.kind)
            except (UnknownKind, CredentialsError):
                observed.append(None)
                continue
            if not self.member_informers.synced(cluster_name, ref.api_version, ref.kind):
                return Result(requeue_after=0.5)
            observed.append(self.member_informers.get(cluster_name, ref.api_version, ref.kind, ref.namespace, ref.name))
        entries = reflected(work, observed)
        statuses = [entry for entry, _ in entries]
        current = (work.get("status") or {}).get("manifestStatuses", [])
        if statuses == current:
            self.progress.forget(key)
            return None
        if progress_only(current, statuses) and (wait := self.progress.wait(key)) > 0:
            return Result(requeue_after=wait)
        updated = copy.deepcopy(work)
        updated.setdefault("status", {})["manifestStatuses"] = statuses
        await self.control_plane.replace(f"/apis/work.karmada.io/v1alpha1/namespaces/{key[0]}/works/{key[1]}/status", updated)
        self.progress.forget(key)
        record_reflection(self.recorder, work, entries)
        return None
