"""The detector's policy side (behaviour.md 1.6): a PropagationPolicy or ClusterPropagationPolicy
created or changed re-evaluates what it claims and what is waiting for a policy; one being deleted
releases its claims (binding first, then template) and loses its finalizer. Bindings and Works
stay: the scheduler ignores a binding without a policy id, so it is frozen until another policy
adopts its template.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pykarmada.controllers.common.apiutil import binding_path, metadata_patch, patch_if_exists, policy_path, without_finalizer
from pykarmada.controllers.common.templates import TemplateReader, typed
from pykarmada.karmada import constants as C
from pykarmada.karmada import propagation as P
from pykarmada.karmada.names import binding_name
from pykarmada.kube.controller import Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.client import KubeClient
from pykarmada.kube.informer import Handler, Informer
from pykarmada.kube.lineage import current_priority
from pykarmada.kube.workqueue import LOW_PRIORITY, event_priority

log = logging.getLogger(__name__)
Obj = dict[str, Any]


@dataclass(frozen=True)
class TemplateKey:
    """A resource template to propagate (the detector's queue also holds :class:`PolicyKey`)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    lazy: bool = False  # enqueued by a change Karmada made while the bound policy is Lazy

    def __str__(self) -> str:
        return f"{self.kind}({self.api_version}) {self.namespace}/{self.name}".replace(" /", " ")

    @property
    def base(self) -> TemplateKey:
        return TemplateKey(self.api_version, self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class PolicyKey:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


class DetectorState(Protocol):
    """What the policy side reads and drives of the detector (which satisfies it)."""

    client: KubeClient
    queue: Any
    reader: TemplateReader
    pps: Informer
    cpps: Informer
    rbs: Informer
    crbs: Informer
    waiting: set[TemplateKey]

    def dependent_overrides_present(self, policy: Mapping[str, Any]) -> bool: ...

    async def patch_template(self, template: Obj, wanted: Obj) -> Obj | None: ...

    async def preempt(self, policy: Obj) -> None: ...

    def deprioritized(self, kind: str, old: Obj, new: Obj) -> None: ...


class PolicyReconciler:
    def __init__(self, detector: DetectorState) -> None:
        self.d = detector

    # ---- handlers -----------------------------------------------------------------------------

    def on_policy(self, kind: str) -> Handler:
        """Policy events: create, deletion starting, or a generation change (from the informer's
        list at low priority, as upstream's OnPropagationPolicyAdd)."""
        informer = self._informer(kind)

        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            meta = obj.get("metadata") or {}
            if event == "DELETED":
                return
            if event == "MODIFIED" and old is not None:
                old_meta = old.get("metadata") or {}
                newly_deleting = bool(meta.get("deletionTimestamp")) and not old_meta.get("deletionTimestamp")
                if old_meta.get("generation") == meta.get("generation") and not newly_deleting:
                    return
                self.d.deprioritized(kind, old, obj)
            self.d.queue.add(PolicyKey(kind, meta.get("namespace") or "", meta.get("name") or ""), event_priority(informer))

        return handler

    # ---- reconcile ----------------------------------------------------------------------------

    def _informer(self, kind: str) -> Informer:
        return self.d.pps if kind == C.KIND_PROPAGATION_POLICY else self.d.cpps

    async def reconcile(self, key: PolicyKey) -> Result | None:
        cached = self._informer(key.kind).get(key.namespace, key.name)
        if cached is None:
            return None
        policy = typed(cached, C.POLICY_V1ALPHA1, key.kind)
        pid = P.policy_id(policy)
        if (policy.get("metadata") or {}).get("deletionTimestamp"):
            await self._release_all(policy, pid)
            finalizer = C.PROPAGATION_POLICY_CONTROLLER_FINALIZER if key.kind == C.KIND_PROPAGATION_POLICY else C.CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER
            if (patch := without_finalizer(policy, finalizer)) is not None:
                await patch_if_exists(self.d.client, policy_path(key.kind, key.namespace, key.name), patch)
            log.info("%s: claims released, finalizer removed", key)
            return None
        return await self._created_or_updated(key, policy, pid)

    def _bindings_of(self, kind: str, pid: str, namespace: str) -> list[Obj]:
        """Bindings carrying the policy id (a PP's only in its namespace; a CPP's RBs and CRBs)."""
        label = C.PROPAGATION_POLICY_PERMANENT_ID_LABEL if kind == C.KIND_PROPAGATION_POLICY else C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL
        informers = [self.d.rbs] if kind == C.KIND_PROPAGATION_POLICY else [self.d.rbs, self.d.crbs]
        out = []
        for informer in informers:
            for b in informer.list():
                meta = b.get("metadata") or {}
                if ((meta.get("labels") or {}).get(label)) == pid and (not namespace or meta.get("namespace") == namespace):
                    out.append(b)
        return out

    async def _created_or_updated(self, key: PolicyKey, policy: Obj, pid: str) -> Result | None:
        lazy = (policy.get("spec") or {}).get("activationPreference") == C.ACTIVATION_PREFERENCE_LAZY
        # 1. Claims the new selectors no longer cover are released (template first, as upstream).
        for binding in self._bindings_of(key.kind, pid, key.namespace):
            ref = (binding.get("spec") or {}).get("resource") or {}
            template = await self.d.reader.get_ref(ref)
            if template is None or P.policy_matches(policy, template):
                continue
            released = copy.deepcopy(template)
            P.remove_claim(released, key.kind)
            await self.d.patch_template(template, released)
            await self._release_binding(binding, key.kind, pid)
        # 2. Everything still claimed is re-evaluated, so placement changes reach the bindings. A
        #    policy's templates go in at low priority, as upstream: a restart re-reads every policy,
        #    and a policy change must not push users' own template edits back.
        for binding in self._bindings_of(key.kind, pid, key.namespace):
            ref = (binding.get("spec") or {}).get("resource") or {}
            self.d.queue.add(TemplateKey(ref.get("apiVersion") or "", ref.get("kind") or "", ref.get("namespace") or "", ref.get("name") or "", lazy), LOW_PRIORITY)
        # 3. Waiting templates the policy selects get another chance, at the policy's own priority:
        #    a user who creates a template and then its policy is waiting on this very event.
        matched = []
        for waiting in list(self.d.waiting):
            if key.kind == C.KIND_PROPAGATION_POLICY and waiting.namespace != key.namespace:
                continue
            template = await self.d.reader.get(waiting.api_version, waiting.kind, waiting.namespace, waiting.name)
            if template is not None and P.policy_matches(policy, template):
                matched.append(waiting)
        if matched and not self.d.dependent_overrides_present(policy):
            log.info("%s: waiting for dependent overrides", key)
            return Result(requeue_after=5.0)
        for waiting in matched:
            self.d.waiting.discard(waiting)
            self.d.queue.add(TemplateKey(waiting.api_version, waiting.kind, waiting.namespace, waiting.name, lazy), current_priority())
        if matched:
            log.info("%s: %d waiting template(s) matched", key, len(matched))
        # 4. A policy with preemption Always takes its named templates from weaker claims.
        await self.d.preempt(policy)
        return None

    async def _release_all(self, policy: Obj, pid: str) -> None:
        """Deletion: every template claimed by this id loses the claim (binding first)."""
        kind = policy.get("kind") or ""
        label = C.PROPAGATION_POLICY_PERMANENT_ID_LABEL if kind == C.KIND_PROPAGATION_POLICY else C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL
        seen: set[tuple[str, str, str]] = set()
        for selector in (policy.get("spec") or {}).get("resourceSelectors") or ():
            group = (selector.get("apiVersion") or "", selector.get("kind") or "", selector.get("namespace") or "")
            if group in seen:
                continue
            seen.add(group)
            try:
                templates = await self.d.reader.list(group[0], group[1], group[2], label_selector=f"{label}={pid}")
            except ApiError as e:
                if e.not_found:
                    continue
                raise
            for template in templates:
                await self.release_claim(template, kind, pid)

    async def release_claim(self, template: Obj, kind: str, pid: str) -> None:
        """Remove one policy's claim from the template's binding, then from the template, each
        only while it still carries that policy id."""
        meta = template.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        name = binding_name(template.get("kind") or "", meta.get("name") or "")
        binding = (self.d.rbs if namespace else self.d.crbs).get(namespace, name)
        if binding is not None:
            await self._release_binding(binding, kind, pid)
        if P.has_claim_id(template, kind, pid):
            released = copy.deepcopy(template)
            P.remove_claim(released, kind)
            await self.d.patch_template(template, released)

    async def _release_binding(self, binding: Mapping[str, Any], kind: str, pid: str) -> None:
        if not P.has_claim_id(binding, kind, pid):
            return
        released = copy.deepcopy(dict(binding))
        P.remove_claim(released, kind)
        patch = metadata_patch(binding, released)
        if patch is None:
            return
        meta = binding.get("metadata") or {}
        await patch_if_exists(self.d.client, binding_path(meta.get("namespace") or "", meta.get("name") or ""), patch)
