"""Policy preemption's decisions on plain data: a write that loses a race with another writer of
the template (409) is read again and decided again, and records no PreemptPolicyFailed."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from pykarmada.controllers.detector.preemption import Preemption
from pykarmada.karmada import constants as C
from pykarmada.kube.errors import ApiError

Obj = dict[str, Any]


def _pp(name: str, priority: int, **spec: Any) -> Obj:
    return {
        "kind": C.KIND_PROPAGATION_POLICY,
        "metadata": {"name": name, "namespace": "ns", "labels": {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: f"id-{name}"}},
        "spec": {"priority": priority, "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}], **spec},
    }


def _claimed_by(name: str, version: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "ns", "resourceVersion": version,
            "labels": {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: f"id-{name}"},
            "annotations": {C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION: "ns", C.PROPAGATION_POLICY_NAME_ANNOTATION: name},
        },
    }  # fmt: skip


class _Policies:
    def __init__(self, *policies: Obj) -> None:
        self.by_name = {p["metadata"]["name"]: p for p in policies}

    def get(self, _namespace: str, name: str) -> Obj | None:
        return self.by_name.get(name)


class _Reader:
    """The cache holds version 1; the API server has version 2."""

    def __init__(self, claimed_by: str) -> None:
        self.cached, self.current = _claimed_by(claimed_by, "1"), _claimed_by(claimed_by, "2")
        self.fresh_reads = 0

    async def get(self, _api_version: str, _kind: str, _namespace: str, _name: str, *, fresh: bool = False) -> Obj:
        self.fresh_reads += fresh
        return copy.deepcopy(self.current if fresh else self.cached)


class _Detector:
    def __init__(self, reader: _Reader, *policies: Obj, conflicts: int) -> None:
        self.reader, self.pps, self.cpps = reader, _Policies(*policies), _Policies()
        self.conflicts = conflicts
        self.written: list[Obj] = []

    async def patch_template(self, template: Obj, wanted: Obj) -> Obj:
        if template["metadata"]["resourceVersion"] != self.reader.current["metadata"]["resourceVersion"] or self.conflicts:
            self.conflicts = max(0, self.conflicts - 1)
            raise ApiError(409, "Conflict", "the object has been modified", method="PATCH", path="/apis/apps/v1/namespaces/ns/deployments/web")
        self.written.append(wanted)
        return wanted


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def event(self, _obj: Obj, type_: str, reason: str, _message: str) -> None:
        self.events.append((reason, type_))


def test_a_stale_template_is_read_again_and_preempted_without_a_failed_event() -> None:
    low, high = _pp("low", 1), _pp("high", 5, preemption="Always")
    reader, recorder = _Reader("low"), _Recorder()
    detector = _Detector(reader, low, high, conflicts=0)
    asyncio.run(Preemption(detector, recorder, enabled=True).run(high))  # type: ignore[arg-type]
    assert recorder.events == [(C.EVENT_PREEMPT_POLICY_SUCCEED, "Normal")]
    assert reader.fresh_reads == 1
    assert detector.written[0]["metadata"]["annotations"][C.PROPAGATION_POLICY_NAME_ANNOTATION] == "high"


def test_conflicts_past_the_attempts_are_returned_for_a_retry_and_still_record_nothing() -> None:
    low, high = _pp("low", 1), _pp("high", 5, preemption="Always")
    reader, recorder = _Reader("low"), _Recorder()
    detector = _Detector(reader, low, high, conflicts=10)
    try:
        asyncio.run(Preemption(detector, recorder, enabled=True).run(high))  # type: ignore[arg-type]
    except ApiError as e:
        assert e.conflict
    else:
        raise AssertionError("the conflict was swallowed")
    assert recorder.events == [] and detector.written == []


def test_equal_priority_takes_nothing() -> None:
    low, peer = _pp("low", 1), _pp("peer", 1, preemption="Always")
    reader, recorder = _Reader("low"), _Recorder()
    detector = _Detector(reader, low, peer, conflicts=0)
    asyncio.run(Preemption(detector, recorder, enabled=True).run(peer))  # type: ignore[arg-type]
    assert recorder.events == [] and detector.written == []
