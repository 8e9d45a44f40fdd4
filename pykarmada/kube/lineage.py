"""Which objects were last written by low-priority work, so that the stages downstream keep a
backlog behind live edits.

The priority queue puts keys from an informer's initial list behind live events. That alone helps
only the first stage of a pipeline: after a cold start the detector drains its backlog at low
priority, but the ResourceBindings it creates reach the scheduler as live watch events, and the
Works the binding controller writes reach the execution controller the same way, so at every
later stage a user's edit waits behind the whole backlog again.

Here each reconcile runs with the priority its key was handed out with (``reconciling_at``, set by
the controller's worker). Every object the process writes during a low-priority reconcile is
remembered by UID; a write at high priority forgets it. An informer delivering an event about a
remembered object reports it as low priority (``Informer.low_priority``), so the priority follows
the work down the pipeline, and a live edit lifts it again at the first stage that handles it.
The memory is bounded (least recently written first out) and belongs to the process: one
controller process shares it among all its controllers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pykarmada.kube.workqueue import HIGH_PRIORITY

MAX_REMEMBERED = 200_000

_priority: ContextVar[int] = ContextVar("reconcile_priority", default=HIGH_PRIORITY)


@contextmanager
def reconciling_at(priority: int) -> Iterator[None]:
    """Run the body (a reconcile) at ``priority``: what it writes inherits it."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> int:
    """The priority of the reconcile this code runs in (``HIGH_PRIORITY`` outside any)."""
    return _priority.get()


class Lineage:
    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self.size = size
        self._low: OrderedDict[str, None] = OrderedDict()

    def wrote(self, obj: Any) -> None:
        """Note a write of ``obj`` (a request body or a response) by the current reconcile."""
        uid = _uid(obj)
        if not uid:
            return
        if current_priority() >= HIGH_PRIORITY:
            self._low.pop(uid, None)
            return
        self._low[uid] = None
        self._low.move_to_end(uid)
        if len(self._low) > self.size:
            self._low.popitem(last=False)

    def is_low(self, obj: Mapping[str, Any]) -> bool:
        uid = _uid(obj)
        return bool(uid) and uid in self._low


def _uid(obj: Any) -> str:
    if not isinstance(obj, Mapping):
        return ""
    meta = obj.get("metadata")
    return meta.get("uid") or "" if isinstance(meta, Mapping) else ""


LINEAGE = Lineage()
