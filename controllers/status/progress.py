"""How often progress is reported: a status that is only moving along (a rollout whose replica
counts change while it is not yet done) is written at most every ``PROGRESS_REPORT_SECONDS`` per
object, while a change of outcome (health, applied, done) is written at once. Each reported step
of a one-replica Deployment would otherwise cost a Work status write and, behind it, a binding
status and a template status write, all within the second or two the rollout takes.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Callable

PROGRESS_REPORT_SECONDS = 3.0


class ProgressThrottle:
    """Per key, when the first unwritten progress was seen; ``wait`` says how long it may still
    stay unwritten."""

    def __init__(self, interval: float = PROGRESS_REPORT_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self.clock = interval, clock
        self._since: dict[Hashable, float] = {}

    def wait(self, key: Hashable) -> float:
        """Seconds until progress of ``key`` is due (<= 0: write it now)."""
        return self._since.setdefault(key, self.clock()) + self.interval - self.clock()

    def forget(self, key: Hashable) -> None:
        """Called once the status is written, equal, or gone."""
        self._since.pop(key, None)
