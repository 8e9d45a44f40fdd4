"""The resource detector (behaviour.md 1): every resource template in the control plane is
matched to a PropagationPolicy or ClusterPropagationPolicy, claimed, and given its
(Cluster)ResourceBinding.

One queue serves two key types, as upstream's three workers do: :class:`TemplateKey` (a template
to propagate) and :class:`PolicyKey` (a policy created, changed or being deleted; see
``detector_policies``). A discovery loop keeps one shared informer per served kind (refreshed
every 30 s and whenever a CRD changes); template handlers only filter and enqueue.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.common.apiutil import binding_path, metadata_patch
from pykarmada.controllers.detector.policies import PolicyKey, PolicyReconciler, TemplateKey
from pykarmada.controllers.detector import policy_index
from pykarmada.controllers.detector.preemption import Preemption
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.controllers.common.templates import TemplateKind, TemplateReader, discover_template_kinds, typed
from pykarmada.karmada import constants as C
from pykarmada.karmada import metrics
from pykarmada.karmada import propagation as P
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.replicas import get_replicas, has_replica_interpreter
from pykarmada.karmada.names import binding_name
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Controller, Result
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Handler, Informer, strip_managed_fields
from pykarmada.kube.workqueue import event_priority

log = logging.getLogger(__name__)
Obj = dict[str, Any]
DISCOVERY_PERIOD = 30.0
WAIT_RETRY = 5.0  # a claimed policy being deleted, or dependent overrides not there yet
RETRY_UNMATCHED = 0.005  # "return an error once": one quick retry for a template without policy
CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
PRIORITY_CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses"


class DetectorController(Controller):  # type: ignore[type-arg]
    """A Controller whose ``run`` also runs the discovery loop."""

    def __init__(self, detector: Detector, *, workers: int) -> None:
        super().__init__(C.CONTROLLER_RESOURCE_DETECTOR, detector.reconcile, workers=workers)
        self.detector = detector
        detector.queue = self.queue

    async def run(self) -> None:
        discovery = asyncio.create_task(self.detector.discover_forever(), name="detector discovery")
        try:
            await super().run()
        finally:
            discovery.cancel()
            await asyncio.gather(discovery, return_exceptions=True)
            await self.detector.close()


class Detector:
    def __init__(
        self,
        client: KubeClient,
        watch_client: KubeClient,
        informers: dict[str, Informer],
        *,
        skipped_namespaces: tuple[str, ...] = C.DEFAULT_SKIPPED_PROPAGATING_NAMESPACES,
        preemption: bool = False,
    ) -> None:
        self.client, self.watch_client, self.informers = client, watch_client, informers
        self.reader = TemplateReader(client, informers)
        self.skipped = P.compile_namespace_patterns(skipped_namespaces)
        self.pps, self.cpps = informers[C.PROPAGATION_POLICIES_PATH], informers[C.CLUSTER_PROPAGATION_POLICIES_PATH]
        for policies in (self.pps, self.cpps):
            policies.add_index(policy_index.INDEX, policy_index.selector_buckets)
        self.ops, self.cops = informers[C.OVERRIDE_POLICIES_PATH], informers[C.CLUSTER_OVERRIDE_POLICIES_PATH]
        self.rbs, self.crbs = informers[C.RESOURCE_BINDINGS_PATH], informers[C.CLUSTER_RESOURCE_BINDINGS_PATH]
        self.recorder = EventRecorder(client, C.CONTROLLER_RESOURCE_DETECTOR)
        self.kinds: dict[str, TemplateKind] = {}  # informer path -> kind
        self.waiting: set[TemplateKey] = set()
        self.queue: Any = None
        self.policies = PolicyReconciler(self)
        self.preemption = Preemption(self, self.recorder, enabled=preemption)
        # Bindings we created that the informer has not shown yet (creation expectations), so a
        # quick second look at the template does not try to create them again.
        self._created: dict[tuple[str, str], Obj] = {}
        # binding -> fingerprint of the template it was last written from: a template that moved
        # by its status only (its resourceVersion did) does not rewrite its binding, whose new
        # generation would only make the scheduler and binding controller look at it again.
        self._built_from: dict[tuple[str, str], int] = {}
        self._rediscover = asyncio.Event()
        self._owned: set[str] = set()  # informers this detector created (and may drop)

    # ---- handlers (cheap, synchronous) ------------------------------------------------------

    def on_template(self, tk: TemplateKind, informer: Informer) -> Handler:
        """Template events; those from ``informer``'s list at low priority (upstream's OnAdd)."""

        def handler(event: str, obj: Obj, old: Obj | None) -> None:
            meta = obj.get("metadata") or {}
            if not P.is_template_event_wanted(tk.kind, meta.get("namespace") or "", meta.get("name") or "", self.skipped):
                return
            key = TemplateKey(tk.api_version, tk.kind, meta.get("namespace") or "", meta.get("name") or "")
            if event == "MODIFIED" and old is not None:
                if not P.specification_changed(old, obj):
                    return
                if self._claimed_by_lazy_policy(obj):
                    key = TemplateKey(key.api_version, key.kind, key.namespace, key.name, P.changed_by_karmada(old, obj))
            self.queue.add(key, event_priority(informer))

        return handler

    def on_binding(self, event: str, obj: Obj, _old: Obj | None) -> None:
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace") or "", meta.get("name") or "")
        self._created.pop(key, None)
        if event == "DELETED":
            self._built_from.pop(key, None)

    def on_crd(self, _event: str, _obj: Obj, _old: Obj | None) -> None:
        self._rediscover.set()

    def _claimed_by_lazy_policy(self, obj: Mapping[str, Any]) -> bool:
        claim = P.claim_of(obj)
        if claim is None:
            return False
        policy = (self.pps if claim.kind == C.KIND_PROPAGATION_POLICY else self.cpps).get(claim.namespace, claim.name)
        return bool(policy) and ((policy.get("spec") or {}).get("activationPreference") == C.ACTIVATION_PREFERENCE_LAZY)

    # ---- discovery ----------------------------------------------------------------------------

    async def discover_forever(self) -> None:
        while True:
            try:
                await self.discover_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - discovery retries on its own period
                log.exception("resource discovery failed")
            self._rediscover.clear()
            try:
                await asyncio.wait_for(self._rediscover.wait(), DISCOVERY_PERIOD)
            except asyncio.TimeoutError:
                pass

    async def discover_once(self) -> None:
        found = {tk.path: tk for tk in await discover_template_kinds(self.client)}
        new = [tk for path, tk in found.items() if path not in self.kinds]
        if new:
            log.info("watching resource templates of %d kind(s): %s", len(new), ", ".join(f"{tk.kind}.{tk.api_version}" for tk in new))
        for tk in new:
            path = tk.path
            informer = self.informers.get(path)
            if informer is None:
                informer = Informer(self.watch_client, path, name=f"template {tk.kind}.{tk.api_version}", transform=strip_managed_fields)
                self.informers[path] = informer
                self._owned.add(path)
            self.kinds[path] = tk
            informer.add_handler(self.on_template(tk, informer))
            informer.start()
        for path in [p for p in self._owned if p not in found]:
            log.info("%s is no longer served; dropping its informer", path)
            self._owned.discard(path)
            self.kinds.pop(path, None)
            informer = self.informers.pop(path, None)
            if informer is not None:
                await informer.stop()

    async def close(self) -> None:
        for path in list(self._owned):
            informer = self.informers.get(path)
            if informer is not None:
                await informer.stop()
        await self.watch_client.close()

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: TemplateKey | PolicyKey) -> Result | None:
        if isinstance(key, PolicyKey):
            return await self.policies.reconcile(key)
        return await self.reconcile_template(key)

    async def reconcile_template(self, key: TemplateKey) -> Result | None:
        template = await self.reader.get(key.api_version, key.kind, key.namespace, key.name)
        if template is None:
            self.waiting.discard(key.base)
            return None
        if ((template.get("metadata") or {}).get("labels") or {}).get(C.RESOURCE_TEMPLATE_CLAIMED_BY_LABEL):
            self.waiting.discard(key.base)
            return None
        claim = P.claim_of(template)
        if claim is not None:
            informer = self.pps if claim.kind == C.KIND_PROPAGATION_POLICY else self.cpps
            policy = informer.get(claim.namespace, claim.name)
            if policy is None:
                log.info("%s: claiming %s %s/%s is gone; releasing the claim", key, claim.kind, claim.namespace, claim.name)
                await self.policies.release_claim(template, claim.kind, claim.id)
                return None
            policy = typed(policy, C.POLICY_V1ALPHA1, claim.kind)
            if (policy.get("metadata") or {}).get("deletionTimestamp"):
                log.debug("%s: claiming %s %s is being deleted; waiting", key, claim.kind, claim.name)
                return Result(requeue_after=WAIT_RETRY)
            if not P.policy_matches(policy, template):
                return None
            if not self.dependent_overrides_present(policy):
                return self._wait_for_overrides(key, policy)
            return await self.apply_policy(key, template, policy)
        started = time.perf_counter()
        policy = None
        if key.namespace:
            policy = P.choose_policy(self._candidates(self.pps, key.namespace, key, C.KIND_PROPAGATION_POLICY), template)
        if policy is None:
            policy = P.choose_policy(self._candidates(self.cpps, "", key, C.KIND_CLUSTER_PROPAGATION_POLICY), template)
        if policy is not None:
            if not self.dependent_overrides_present(policy):
                return self._wait_for_overrides(key, policy)
            self.waiting.discard(key.base)
            metrics.observe_match_policy(time.perf_counter() - started)
            return await self.apply_policy(key, template, policy)
        if key.base in self.waiting:
            return None
        self.waiting.add(key.base)
        return Result(requeue_after=RETRY_UNMATCHED)

    @staticmethod
    def _candidates(informer: Informer, namespace: str, key: TemplateKey, kind: str) -> list[Obj]:
        found = policy_index.candidates(informer, namespace, key.api_version, key.kind, key.name)
        return [typed(p, C.POLICY_V1ALPHA1, kind) for p in found]

    def dependent_overrides_present(self, policy: Mapping[str, Any]) -> bool:
        """Every ``dependentOverrides`` entry must exist before the policy is applied."""
        cluster_scoped = policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY
        namespace = "" if cluster_scoped else (policy.get("metadata") or {}).get("namespace") or ""
        informer = self.cops if cluster_scoped else self.ops
        return all(informer.get(namespace, name) is not None for name in (policy.get("spec") or {}).get("dependentOverrides") or ())

    @staticmethod
    def _wait_for_overrides(key: TemplateKey, policy: Mapping[str, Any]) -> Result:
        log.info("%s: waiting for dependent overrides of %s %s", key, policy.get("kind"), (policy.get("metadata") or {}).get("name"))
        return Result(requeue_after=WAIT_RETRY)

    async def apply_policy(self, key: TemplateKey, template: Obj, policy: Obj) -> Result | None:
        """Claim the template, then create or update its binding (behaviour.md 1.5); counted in
        ``policy_apply_attempts_total``. Success events are recorded when the binding was written,
        as upstream's ApplyPolicySucceed is (its GetReplicasSucceed, recorded on every look, would
        only bump a count)."""
        with metrics.timed_result(metrics.RESOURCE_APPLY_POLICY_DURATION, metrics.POLICY_APPLY_ATTEMPTS):
            return await self._apply_policy(key, template, policy)

    async def _apply_policy(self, key: TemplateKey, template: Obj, policy: Obj) -> Result | None:
        try:
            claimed = await self._claim(template, policy)
            if claimed is None:
                return None  # deleted meanwhile: its binding goes with it
            template = claimed
            if key.lazy and (policy.get("spec") or {}).get("activationPreference") == C.ACTIVATION_PREFERENCE_LAZY:
                return None
            changed = await self._ensure_binding(template, policy)
        except Exception as e:
            if not (isinstance(e, ApiError) and e.conflict):  # a conflict is only a requeue
                self.recorder.event(template, WARNING, C.EVENT_APPLY_POLICY_FAILED, M.apply_policy(policy, e))
            raise
        if changed:
            log.info("%s: applied %s", key, M.policy_label(policy))
            if has_replica_interpreter(template):
                self.recorder.event(template, NORMAL, C.EVENT_GET_REPLICAS_SUCCEED, M.GET_REPLICAS_SUCCEED)
            self.recorder.event(template, NORMAL, C.EVENT_APPLY_POLICY_SUCCEED, M.apply_policy(policy))
        return None

    async def _claim(self, template: Obj, policy: Obj) -> Obj | None:
        """The claimed template as stored, or None when it no longer exists."""
        if not P.needs_claim(template, policy):
            return template
        claimed = copy.deepcopy(template)
        P.set_claim(claimed, policy)
        return await self.patch_template(template, claimed)

    async def patch_template(self, template: Obj, wanted: Obj) -> Obj | None:
        """Write wanted's labels/annotations onto the template (guarded by resourceVersion)."""
        patch = metadata_patch(template, wanted)
        if patch is None:
            return None
        tk = await self.reader.kind_of(template["apiVersion"], template["kind"])
        if tk is None:
            raise RuntimeError(f"{template['kind']} ({template['apiVersion']}) is no longer served")
        meta = template.get("metadata") or {}
        try:
            updated = await self.client.patch(tk.object_path(meta.get("namespace") or "", meta["name"]), patch)
        except ApiError as e:
            if e.not_found:
                return None  # deleted meanwhile: its binding goes with it
            raise
        return typed(updated, template["apiVersion"], template["kind"])

    async def preempt(self, policy: Obj) -> None:
        if self.preemption.wanted(policy):
            await self.preemption.run(policy)

    def deprioritized(self, kind: str, old: Obj, new: Obj) -> None:
        self.preemption.deprioritized(kind, old, new)

    async def _schedule_priority(self, policy: Mapping[str, Any]) -> int | None:
        sp = (policy.get("spec") or {}).get("schedulePriority")
        if not sp:
            return None
        if sp.get("priorityClassSource") != C.PRIORITY_CLASS_SOURCE_KUBE:
            raise RuntimeError(f"priority class source is {sp.get('priorityClassSource')}, but it is not supported yet")
        pc = await self.client.get(f"{PRIORITY_CLASSES}/{sp.get('priorityClassName')}")
        return int(pc.get("value") or 0)

    async def _ensure_binding(self, template: Obj, policy: Obj) -> bool:
        """Create or update the binding; True when something was written."""
        try:
            interpreted = get_replicas(template) or (0, None)
        except (TypeError, ValueError) as e:
            self.recorder.event(template, WARNING, C.EVENT_GET_REPLICAS_FAILED, str(e))
            raise
        meta = template.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        priority = await self._schedule_priority(policy) if namespace else None
        desired = P.build_binding(template, policy, replicas=interpreted[0], replica_requirements=interpreted[1], schedule_priority=priority)
        name = binding_name(template["kind"], meta.get("name") or "")
        existing = (self.rbs if namespace else self.crbs).get(namespace, name) or self._created.get((namespace, name))
        fingerprint = P.template_fingerprint(template)
        if existing is None:
            created = copy.deepcopy(desired)
            id_label = C.RESOURCE_BINDING_PERMANENT_ID_LABEL if namespace else C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL
            created["metadata"].setdefault("labels", {})[id_label] = str(uuid.uuid4())
            try:
                self._created[(namespace, name)] = await self.client.create(binding_path(namespace), created)
                self._built_from[(namespace, name)] = fingerprint
                return True
            except ApiError as e:
                if not e.already_exists:
                    raise
            existing = await self.client.get(binding_path(namespace, name))  # our cache is behind: update instead
        merged = P.merge_binding(existing, desired)
        if merged == existing:
            self._built_from[(namespace, name)] = fingerprint
            return False
        if self._built_from.get((namespace, name)) == fingerprint and P.only_resource_version_moved(existing, merged):
            return False
        await self.client.replace(binding_path(namespace, name), merged)
        self._built_from[(namespace, name)] = fingerprint
        return True
