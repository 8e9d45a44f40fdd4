"""The dependencies distributor (behaviour.md 8, gate PropagateDeps): what a propagated workload
refers to (ConfigMaps, Secrets, ServiceAccounts, PVCs...) follows it to the same clusters.

For a ResourceBinding with ``propagateDeps`` that is scheduled, the template's dependencies are
recorded in ``resourcebinding.karmada.io/dependencies`` and every dependent object gets an
*attached* ResourceBinding: labelled ``resourcebinding.karmada.io/depended-by-<key>`` with the
independent binding's id and carrying a ``requiredBy`` snapshot of its clusters. The binding
controller then places the attached binding's Works on those clusters. Attached bindings that are
no longer needed lose the snapshot and the label. Changes of dependent objects re-enqueue the
bindings that depend on them. Keys are ``(namespace, name)`` of independent bindings.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path, patch_if_exists, with_finalizer, without_finalizer
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.controllers.common.templates import TemplateReader
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada import dependencies as D
from pykarmada.karmada.propagation import specification_changed
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Handler, Informer, object_key

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]
# Kinds the native interpreter reports as dependencies of pod templates: watched for changes.
DEPENDENT_PATHS = ("/api/v1/configmaps", "/api/v1/secrets", "/api/v1/serviceaccounts", "/api/v1/persistentvolumeclaims")


class SyncDependenciesFailed(RetryableError):
    pass


def dependencies_json(dependencies: list[Obj]) -> str:
    """The annotation value, as Go marshals ``[]DependentObjectReference``."""
    ordered = []
    for d in dependencies:
        item = {"apiVersion": d["apiVersion"], "kind": d["kind"], "namespace": d.get("namespace") or ""}
        if d.get("name"):
            item["name"] = d["name"]
        if d.get("labelSelector") is not None:
            item["labelSelector"] = d["labelSelector"]
        ordered.append(item)
    return json.dumps(ordered, separators=(",", ":"))


def recorded_dependencies(binding: Mapping[str, Any]) -> list[Obj]:
    raw = ((binding.get("metadata") or {}).get("annotations") or {}).get(C.DEPENDENCIES_ANNOTATION)
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


ATTACHED_BY_LABEL = "dependedBy"


def depended_by_labels(binding: Obj) -> list[tuple[str, str]]:
    """The binding informer's index: ``(namespace, label)`` for each depended-by label of an
    attached binding."""
    meta = binding.get("metadata") or {}
    prefix = C.RESOURCE_BINDING_DEPENDED_BY_LABEL_PREFIX
    return [(meta.get("namespace") or "", k) for k in meta.get("labels") or {} if k.startswith(prefix)]


class DependenciesDistributor:
    name = C.CONTROLLER_DEPENDENCIES_DISTRIBUTOR

    def __init__(self, client: KubeClient, bindings: Informer, reader: TemplateReader) -> None:
        self.client, self.bindings, self.reader = client, bindings, reader
        self.recorder = EventRecorder(client, C.CONTROLLER_DEPENDENCIES_DISTRIBUTOR)
        # namespace -> binding name -> recorded dependencies, for bindings that have some: a
        # dependent object's event then looks at a handful of bindings, not all of them.
        self._recorded: dict[str, dict[str, list[Obj]]] = {}
        # Detaching looks at a binding's own attached bindings, not at every binding.
        bindings.add_index(ATTACHED_BY_LABEL, depended_by_labels)

    # ---- handlers -----------------------------------------------------------------------------

    def _index(self, event: str, binding: Obj) -> None:
        meta = binding.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        deps = recorded_dependencies(binding) if event != "DELETED" and not meta.get("deletionTimestamp") else []
        if deps:
            self._recorded.setdefault(namespace, {})[name] = deps
        elif name in self._recorded.get(namespace, {}):
            del self._recorded[namespace][name]
            if not self._recorded[namespace]:
                del self._recorded[namespace]


    def on_binding(self, enqueue: Callable[[Key], None]) -> Handler:
        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            self._index(event, obj)
            spec = obj.get("spec") or {}
            if event == "ADDED":
                if spec.get("propagateDeps") and spec.get("clusters"):
                    enqueue(object_key(obj))
            elif event == "MODIFIED" and old is not None:
                meta, old_meta = obj.get("metadata") or {}, old.get("metadata") or {}
                changed = meta.get("generation") != old_meta.get("generation") or bool(meta.get("deletionTimestamp")) != bool(old_meta.get("deletionTimestamp"))
                if changed and (spec.get("propagateDeps") or (old.get("spec") or {}).get("propagateDeps")):
                    enqueue(object_key(obj))

        return handler

    def on_dependent(self, api_version: str, kind: str, enqueue: Callable[[Key], None]) -> Handler:
        """A dependent object changed: every binding whose recorded dependencies select it (with
        its new or old labels) is looked at again."""

        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            if event == "MODIFIED" and old is not None and not specification_changed(old, obj):
                return
            typed_obj = {**obj, "apiVersion": api_version, "kind": kind}
            namespace = (obj.get("metadata") or {}).get("namespace") or ""
            label_sets = [(obj.get("metadata") or {}).get("labels") or {}]
            if old is not None:
                label_sets.append((old.get("metadata") or {}).get("labels") or {})
            for name, deps in self._recorded.get(namespace, {}).items():
                if any(D.dependency_matches(d, typed_obj, labels) for d in deps for labels in label_sets):
                    enqueue((namespace, name))

        return handler

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> Result | None:
        binding = self.bindings.get(*key)
        if binding is None:
            return None
        spec = binding.get("spec") or {}
        if not spec.get("propagateDeps") or (binding.get("metadata") or {}).get("deletionTimestamp"):
            await self._detach(binding, keep=lambda _b: False)
            if (patch := without_finalizer(binding, C.BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER)) is not None:
                await patch_if_exists(self.client, binding_path(*key), patch)
            return None
        template = await self.reader.get_ref(spec.get("resource") or {})
        if template is None:
            return None
        try:
            dependencies = D.get_dependencies(template)
        except (TypeError, ValueError, AttributeError) as e:
            self.recorder.event(template, WARNING, C.EVENT_GET_DEPENDENCIES_FAILED, str(e))
            raise
        if dependencies is None:
            return None
        if ((binding.get("metadata") or {}).get("annotations") or {}).get(C.DEPENDENCIES_ANNOTATION) != dependencies_json(dependencies):
            # Upstream records it on every look; an unchanged result would only bump a count.
            self.recorder.event(template, NORMAL, C.EVENT_GET_DEPENDENCIES_SUCCEED, M.get_dependencies_succeed(dependencies))
        try:
            binding = await self._record(binding, dependencies)
            await self._sync(binding, dependencies)
        except Exception as e:
            self.recorder.event(binding, WARNING, C.EVENT_SYNC_SCHEDULE_RESULT_TO_DEPENDENCIES_FAILED, str(e))
            raise
        self.recorder.event(binding, NORMAL, C.EVENT_SYNC_SCHEDULE_RESULT_TO_DEPENDENCIES_SUCCEED, "Sync schedule results to dependencies succeed.")
        return None

    async def _record(self, binding: Obj, dependencies: list[Obj]) -> Obj:
        """The finalizer and the dependencies annotation on the independent binding."""
        meta = binding.get("metadata") or {}
        path = binding_path(meta.get("namespace") or "", meta.get("name") or "")
        patch = with_finalizer(binding, C.BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER) or {"metadata": {"resourceVersion": meta.get("resourceVersion")}}
        value = dependencies_json(dependencies)
        if (meta.get("annotations") or {}).get(C.DEPENDENCIES_ANNOTATION) != value:
            patch["metadata"]["annotations"] = {C.DEPENDENCIES_ANNOTATION: value}
        if len(patch["metadata"]) == 1:
            return binding  # only the resourceVersion: nothing to write
        return await self.client.patch(path, patch)  # one write for both

    async def _sync(self, binding: Obj, dependencies: list[Obj]) -> None:
        wanted: dict[Key, Obj] = {}
        for dep in dependencies:
            if dep.get("name"):
                obj = await self.reader.get(dep["apiVersion"], dep["kind"], dep.get("namespace") or "", dep["name"])
                found = [obj] if obj is not None else []
            else:
                candidates = await self.reader.list(dep["apiVersion"], dep["kind"], dep.get("namespace") or "")
                found = [o for o in candidates if D.dependency_matches(dep, o)]
            for obj in found:
                attached = D.build_attached_binding(binding, obj)
                wanted[object_key(attached)] = attached
        await self._detach(binding, keep=lambda b: object_key(b) in wanted)
        errors = []
        for attached in wanted.values():
            try:
                await self._ensure_attached(attached)
            except (ApiError, RetryableError) as e:
                errors.append(str(e))
        if errors:
            raise SyncDependenciesFailed("; ".join(errors))

    def _referencing(self, snapshots: list[Obj]) -> list[Obj]:
        out = []
        for snap in snapshots:
            b = self.bindings.get(snap.get("namespace") or "", snap.get("name") or "")
            if b is None:
                raise SyncDependenciesFailed(f"referencing binding {snap.get('namespace')}/{snap.get('name')} not found")
            out.append(b)
        return out

    def _resolve(self, attached: Obj) -> None:
        """conflictResolution and preserve of an attached binding without a placement of its own."""
        spec = attached["spec"]
        if spec.get("placement") is not None:
            return
        snapshots = spec.get("requiredBy") or []
        if not snapshots:
            spec.pop("conflictResolution", None)
            spec.pop("preserveResourcesOnDeletion", None)
            return
        resolution, preserve, conflicts = D.resolve_attached_policy(self._referencing(snapshots))
        spec["conflictResolution"], spec["preserveResourcesOnDeletion"] = resolution, preserve
        if conflicts:
            self.recorder.event(attached, WARNING, C.EVENT_DEPENDENCY_POLICY_CONFLICT, f"Dependency policy conflict detected: {'; '.join(conflicts)}.")

    async def _ensure_attached(self, desired: Obj) -> None:
        meta = desired["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        existing = self.bindings.get(namespace, name)
        if existing is None:
            created = copy.deepcopy(desired)
            created["metadata"]["labels"][C.RESOURCE_BINDING_PERMANENT_ID_LABEL] = str(uuid.uuid4())
            self._resolve(created)
            try:
                await self.client.create(binding_path(namespace), created)
                return
            except ApiError as e:
                if not e.already_exists:
                    raise
            existing = await self.client.get(binding_path(namespace, name))
        owner = next((r for r in (existing.get("metadata") or {}).get("ownerReferences") or () if r.get("controller")), None)
        if owner is not None and owner.get("uid") != meta["ownerReferences"][0].get("uid"):
            raise SyncDependenciesFailed(f"failed to update resourceBinding({namespace}/{name}) due to different owner reference UID, will try again later after binding is garbage collected")
        updated = copy.deepcopy(existing)
        spec = updated.setdefault("spec", {})
        spec["requiredBy"] = D.merge_snapshots(spec.get("requiredBy") or [], desired["spec"]["requiredBy"])
        self._resolve(updated)
        updated["metadata"]["labels"] = {**(updated["metadata"].get("labels") or {}), **meta["labels"]}
        spec["resource"] = copy.deepcopy(desired["spec"]["resource"])
        if updated != existing:
            await self.client.replace(binding_path(namespace, name), updated)

    async def _detach(self, binding: Obj, *, keep: Any) -> None:
        """Attached bindings of ``binding`` not kept lose its snapshot and depended-by label."""
        meta = binding.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        label = D.depended_by_label(namespace, name)
        bid = (meta.get("labels") or {}).get(C.RESOURCE_BINDING_PERMANENT_ID_LABEL) or ""
        for attached in self.bindings.by_index(ATTACHED_BY_LABEL, (namespace, label)):
            ameta = attached.get("metadata") or {}
            if (ameta.get("labels") or {}).get(label) != bid or keep(attached):
                continue
            updated = copy.deepcopy(attached)
            updated["metadata"]["labels"].pop(label, None)
            updated["spec"]["requiredBy"] = D.remove_snapshot(updated["spec"].get("requiredBy") or [], namespace, name)
            self._resolve(updated)
            try:
                await self.client.replace(binding_path(namespace, ameta.get("name") or ""), updated)
            except ApiError as e:
                if not e.not_found:
                    raise
            log.info("ResourceBinding(%s/%s): detached %s", namespace, name, ameta.get("name"))
