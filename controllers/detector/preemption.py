"""Policy preemption (gate PropagationPolicyPreemption; behaviour.md 1.x): a policy with
``preemption: Always`` takes the templates its named resource selectors point to from the policy
claiming them, when that is a PropagationPolicy of lower ``priority`` (a PropagationPolicy over
another one, a ClusterPropagationPolicy over another one) or, for a PropagationPolicy, any
ClusterPropagationPolicy. Taking a template rewrites its claim; the template's own event then
applies the new policy. Each attempt records PreemptPolicySucceed or PreemptPolicyFailed on the
template and counts in ``policy_preemption_total``; a write that loses a race with another writer
of the template (409) is not a failure: the template is read again and the decision made again.
A policy whose priority drops lets the preempting policies between its old and new priority try
again, highest first.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from pykarmada.controllers.detector.policies import DetectorState, PolicyKey
from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M
from pykarmada.karmada import metrics
from pykarmada.karmada import propagation as P
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.workqueue import HIGH_PRIORITY

log = logging.getLogger(__name__)
Obj = dict[str, Any]
PREEMPT_ALWAYS = "Always"
CONFLICT_ATTEMPTS = 3


def preempts(policy: Mapping[str, Any]) -> bool:
    return (policy.get("spec") or {}).get("preemption") == PREEMPT_ALWAYS


def priority(policy: Mapping[str, Any]) -> int:
    return int((policy.get("spec") or {}).get("priority") or 0)


def _stub(kind: str, namespace: str, name: str) -> Obj:
    return {"kind": kind, "metadata": {"namespace": namespace, "name": name}}


class Preemption:
    def __init__(self, detector: DetectorState, recorder: EventRecorder, *, enabled: bool) -> None:
        self.d, self.recorder, self.enabled = detector, recorder, enabled

    def wanted(self, policy: Mapping[str, Any]) -> bool:
        """``preemptionEnabled``: preemption Always, and the gate on (else a warning)."""
        if not preempts(policy):
            return False
        if not self.enabled:
            log.warning('Cannot handle the preemption process because feature gate "PropagationPolicyPreemption" is not enabled.')
            return False
        return True

    async def run(self, policy: Obj) -> None:
        """Try every template a named selector of ``policy`` points to."""
        cluster_scoped = policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY
        errors: list[Exception] = []
        for rs in (policy.get("spec") or {}).get("resourceSelectors") or ():
            if not rs.get("name"):
                continue
            namespace = "" if cluster_scoped and not rs.get("namespace") else rs.get("namespace") or ""
            try:
                await self._preempt_named(rs, namespace, policy, cluster_scoped)
            except Exception as e:  # noqa: BLE001 - collected, as upstream aggregates them
                errors.append(e)
        if errors:
            raise errors[0]

    async def _preempt_named(self, rs: Mapping[str, Any], namespace: str, policy: Obj, cluster_scoped: bool) -> None:
        for attempt in range(CONFLICT_ATTEMPTS):
            template = await self.d.reader.get(rs.get("apiVersion") or "", rs.get("kind") or "", namespace, rs["name"], fresh=attempt > 0)
            if template is None or (template.get("metadata") or {}).get("deletionTimestamp"):
                return  # gone or going: nothing to take
            try:
                if cluster_scoped:
                    await self._from_cluster_policy(template, policy, check_priority=True)
                elif not await self._from_policy(template, policy):
                    await self._from_cluster_policy(template, policy, check_priority=False)
                return
            except ApiError as e:
                if not e.conflict or attempt == CONFLICT_ATTEMPTS - 1:
                    raise

    async def _from_policy(self, template: Obj, policy: Obj) -> bool:
        claim = P.claim_of(template)
        if claim is None or claim.kind != C.KIND_PROPAGATION_POLICY:
            return False
        meta = policy["metadata"]
        if (claim.namespace, claim.name) == (meta.get("namespace"), meta.get("name")):
            return False
        claimed = self.d.pps.get(claim.namespace, claim.name)
        if claimed is None:
            raise LookupError(f"claimed propagation policy({claim.namespace}/{claim.name}) not found")
        stub = _stub(claim.kind, claim.namespace, claim.name)
        if priority(policy) <= priority(claimed):
            log.debug("%s cannot preempt %s: insufficient priority", M.policy_label(policy), M.policy_label(stub))
            return False
        await self._take(template, policy, stub)
        return True

    async def _from_cluster_policy(self, template: Obj, policy: Obj, *, check_priority: bool) -> None:
        name = ((template.get("metadata") or {}).get("annotations") or {}).get(C.CLUSTER_PROPAGATION_POLICY_ANNOTATION)
        if not name:
            return
        if check_priority:
            if name == policy["metadata"].get("name"):
                return
            claimed = self.d.cpps.get("", name)
            if claimed is None:
                raise LookupError(f"claimed cluster propagation policy({name}) not found")
            if priority(policy) <= priority(claimed):
                return
        await self._take(template, policy, _stub(C.KIND_CLUSTER_PROPAGATION_POLICY, "", name))

    async def _take(self, template: Obj, policy: Obj, claimed: Obj) -> None:
        wanted = copy.deepcopy(template)
        P.set_claim(wanted, policy)
        try:
            await self.d.patch_template(template, wanted)
        except Exception as e:
            if isinstance(e, ApiError) and e.conflict:
                raise  # read again and decided again by the caller
            metrics.count_policy_preemption(failed=True)
            self.recorder.event(template, WARNING, C.EVENT_PREEMPT_POLICY_FAILED, M.preempt_policy(policy, claimed, e))
            raise
        metrics.count_policy_preemption(failed=False)
        self.recorder.event(template, NORMAL, C.EVENT_PREEMPT_POLICY_SUCCEED, M.preempt_policy(policy, claimed))
        log.info("%s preempted %s on %s %s", M.policy_label(policy), M.policy_label(claimed), template.get("kind"), template["metadata"].get("name"))

    def deprioritized(self, kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """``HandleDeprioritized*``: the preempting policies of the same scope with a priority
        between the new and the old one are looked at again, highest priority first."""
        if not self.enabled or priority(new) >= priority(old):
            return
        namespace = (new.get("metadata") or {}).get("namespace") or ""
        informer = self.d.pps if kind == C.KIND_PROPAGATION_POLICY else self.d.cpps
        candidates = [
            p for p in informer.list()
            if (kind != C.KIND_PROPAGATION_POLICY or p["metadata"].get("namespace") == namespace)
            and (p.get("spec") or {}).get("priority") is not None and preempts(p) and priority(new) < priority(p) < priority(old)
        ]  # fmt: skip
        for p in sorted(candidates, key=priority, reverse=True):
            log.info("requeue %s %s: priority of %s changed", kind, p["metadata"].get("name"), (new.get("metadata") or {}).get("name"))
            self.d.queue.add(PolicyKey(kind, p["metadata"].get("namespace") or "", p["metadata"]["name"]), HIGH_PRIORITY)
