"""A Work's manifest status entries: built from member objects, kept while an object is not cached."""

from __future__ import annotations

from typing import Any

from pykarmada.controllers.common.manifests import record_reflection, reflected


def deployment(ready: int | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ns", "name": "web", "generation": 1}, "spec": {"replicas": 1}}
    if ready is not None:
        obj["status"] = {"observedGeneration": 1, "replicas": 1, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": 1}
    return obj


CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "ns", "name": "cfg"}, "data": {}}


def work(statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    w: dict[str, Any] = {"metadata": {"namespace": "karmada-es-m1", "name": "web"}, "spec": {"workload": {"manifests": [deployment(), CONFIGMAP]}}}
    if statuses is not None:
        w["status"] = {"manifestStatuses": statuses}
    return w


class Recorder:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def event(self, _obj: Any, _type: str, reason: str, _message: str) -> None:
        self.reasons.append(reason)


def test_entries_come_from_the_objects_and_are_kept_while_an_object_is_not_cached() -> None:
    first = reflected(work(), [deployment(0), CONFIGMAP])
    assert [e["identifier"]["kind"] for e, _ in first] == ["Deployment", "ConfigMap"]
    assert first[0][0]["identifier"] == {"ordinal": 0, "group": "apps", "version": "v1", "kind": "Deployment", "resource": "", "namespace": "ns", "name": "web"}
    statuses = [e for e, _ in first]
    # The cache has not seen the Deployment yet: its reported entry stays, with no object.
    later = reflected(work(statuses), [None, CONFIGMAP])
    assert [e for e, _ in later] == statuses and later[0][1] is None
    # Nothing reported and nothing cached: no entry.
    assert [e["identifier"]["kind"] for e, _ in reflected(work(), [None, CONFIGMAP])] == ["ConfigMap"]
    ready = reflected(work(statuses), [deployment(1), CONFIGMAP])
    assert ready[0][0] != statuses[0] and ready[1][0] == statuses[1]


def test_reflection_events_only_for_entries_that_changed() -> None:
    statuses = [e for e, _ in reflected(work(), [deployment(0), CONFIGMAP])]
    recorder = Recorder()
    record_reflection(recorder, work(statuses), reflected(work(statuses), [deployment(1), CONFIGMAP]))  # type: ignore[arg-type]
    assert recorder.reasons == ["ReflectStatusSucceed", "InterpretHealthSucceed"]
    recorder.reasons.clear()
    record_reflection(recorder, work(), reflected(work(), [deployment(0), CONFIGMAP]))  # type: ignore[arg-type]
    assert recorder.reasons.count("ReflectStatusSucceed") == 2
