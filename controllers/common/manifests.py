"""A Work's manifests and what their member objects report (``status.manifestStatuses``), shared
by the execution controller, which writes the first report together with ``Applied`` from the
objects the member returned, and the work status controller, which keeps it current from the
member informers afterwards (behaviour.md 5.1).

As upstream's work status controller, an entry is replaced when its member object is seen again
and kept while the object is not in the cache: a cache that has not caught up with a fresh write
does not take a reported object away again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada import event_messages as M
from pykarmada.karmada.interpreter import has_health_interpreter, interpret_health, reflect_status
from pykarmada.kube.events import NORMAL, EventRecorder

Obj = dict[str, Any]


@dataclass(frozen=True)
class ManifestRef:
    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Obj) -> ManifestRef:
        meta = manifest.get("metadata") or {}
        return cls(manifest.get("apiVersion", ""), manifest.get("kind", ""), meta.get("namespace") or "", meta.get("name", ""))

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind}({self.api_version}) {where}"


def manifests_of(work: Obj) -> list[Obj]:
    return ((work.get("spec") or {}).get("workload") or {}).get("manifests") or []


def _identifier(ordinal: int, manifest: Obj) -> Obj:
    ref = ManifestRef.of(manifest)
    group, _, version = ref.api_version.rpartition("/")
    return {"ordinal": ordinal, "group": group, "version": version, "kind": ref.kind, "resource": "", "namespace": ref.namespace, "name": ref.name}


def reflected(work: Obj, observed: list[Obj | None]) -> list[tuple[Obj, Obj | None]]:
    """Each manifest's status entry, with the member object it came from: from ``observed`` (one
    per manifest, None where the object is not known), or the Work's current entry for that
    manifest, with no object, when there is one."""
    current = _by_identifier(work)
    out: list[tuple[Obj, Obj | None]] = []
    for ordinal, (manifest, obj) in enumerate(zip(manifests_of(work), observed)):
        identifier = _identifier(ordinal, manifest)
        if obj is None:
            if (kept := current.get(_key(identifier))) is not None:
                out.append((kept, None))
            continue
        entry: Obj = {"identifier": identifier, "health": interpret_health(obj)}
        if (status := reflect_status(obj)) is not None:
            entry["status"] = status
        out.append((entry, obj))
    return out


def _key(identifier: Obj) -> tuple[Any, ...]:
    return tuple(identifier.get(k) for k in ("ordinal", "group", "version", "kind", "namespace", "name"))


def _by_identifier(work: Obj) -> dict[tuple[Any, ...], Obj]:
    """The Work's current manifest status entries, by their identifier."""
    return {_key(s.get("identifier") or {}): s for s in (work.get("status") or {}).get("manifestStatuses") or ()}


def record_reflection(recorder: EventRecorder, work: Obj, entries: list[tuple[Obj, Obj | None]]) -> None:
    """ReflectStatusSucceed (and InterpretHealthSucceed for kinds with a health rule) for each
    member object whose entry differs from the Work's; upstream records them on every reflection,
    where an unchanged one would only bump a count."""
    before = _by_identifier(work)
    for entry, obj in entries:
        if obj is None or before.get(_key(entry["identifier"])) == entry:
            continue
        recorder.event(work, NORMAL, c.EVENT_REFLECT_STATUS_SUCCEED, M.reflect_status(obj))
        if has_health_interpreter(obj):
            recorder.event(work, NORMAL, c.EVENT_INTERPRET_HEALTH_SUCCEED, M.interpret_health(obj, entry["health"]))
