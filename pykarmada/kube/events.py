"""Kubernetes Events (core/v1) for controllers, in the manner of client-go's recorder.

``event()`` is synchronous and never blocks a reconcile: the write happens in a background task,
at most ``concurrency`` at a time, and events beyond ``max_pending`` are dropped (events are
best effort). Repeats of the same event (same source, object, type, reason and message) bump
``count`` and ``lastTimestamp`` on the existing Event instead of creating a new one, as client-go's
correlator does. Cluster-scoped objects get their Events in ``default``.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
MAX_MESSAGE = 1024
CORRELATION_WINDOW = 600.0  # seconds during which a repeat updates the existing Event
WRITE_TIMEOUT = 10.0


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An ObjectReference to a full object (or to a binding's ``spec.resource``)."""
    meta = obj.get("metadata")
    if meta is None:  # already a reference
        ref = {k: obj.get(k) for k in ("apiVersion", "kind", "namespace", "name", "uid")}
    else:
        ref = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"), "uid": meta.get("uid")}
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    def __init__(self, client: KubeClient, component: str, *, concurrency: int = 4, max_pending: int = 1000) -> None:
        self.client = client
        self.component = component
        self.max_pending = max_pending
        self._sem = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[tuple[Any, ...], tuple[str, str, int, float]] = OrderedDict()

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        """Record an Event about ``obj`` (an object or an ObjectReference); fire and forget."""
        if len(self._tasks) >= self.max_pending:
            log.debug("dropping event %s for %s: too many pending", reason, obj)
            return
        ref = object_reference(obj)
        if not ref.get("name"):
            return
        try:
            task = asyncio.get_running_loop().create_task(self._write(ref, type_, reason, message[:MAX_MESSAGE]), name=f"event {reason}")
        except RuntimeError:
            return  # no loop: nothing to record with
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, ref: dict[str, Any], type_: str, reason: str, message: str) -> None:
        key = (ref.get("kind"), ref.get("namespace"), ref.get("name"), ref.get("uid"), type_, reason, message)
        namespace = ref.get("namespace") or "default"
        async with self._sem:
            try:
                await asyncio.wait_for(self._create_or_bump(key, ref, namespace, type_, reason, message), WRITE_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - events are best effort
                log.debug("recording event %s on %s/%s failed: %s", reason, namespace, ref.get("name"), e)

    async def _create_or_bump(self, key: tuple[Any, ...], ref: dict[str, Any], namespace: str, type_: str, reason: str, message: str) -> None:
        now = _now()
        seen = self._seen.get(key)
        if seen is not None and time.monotonic() - seen[3] < CORRELATION_WINDOW:
            name, ns, count, _ = seen
            try:
                await self.client.patch(f"/api/v1/namespaces/{ns}/events/{name}", {"count": count + 1, "lastTimestamp": now})
                self._remember(key, (name, ns, count + 1, time.monotonic()))
                return
            except ApiError as e:
                if not e.not_found:
                    raise
        name = f"{ref['name']}.{time.time_ns():x}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": self.component,
        }
        await self.client.create(f"/api/v1/namespaces/{namespace}/events", body)
        self._remember(key, (name, namespace, 1, time.monotonic()))

    def _remember(self, key: tuple[Any, ...], value: tuple[str, str, int, float]) -> None:
        self._seen[key] = value
        self._seen.move_to_end(key)
        while len(self._seen) > 4096:
            self._seen.popitem(last=False)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
