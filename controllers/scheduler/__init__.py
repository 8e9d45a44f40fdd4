"""Karmada scheduler: pure decision logic (``core``) and, later, the controller that drives it.

``schedule_binding(spec, clusters, status)`` is the entry point; see ``core`` for the pipeline.
"""

from pykarmada.controllers.scheduler.core import (
    ScheduleOutcome,
    applied_placement_annotation,
    schedule,
    schedule_binding,
    success_event_message,
)
from pykarmada.controllers.scheduler.framework import FitError, SchedulingError, UnschedulableError
from pykarmada.controllers.scheduler.triggers import schedule_trigger

__all__ = [
    "FitError",
    "ScheduleOutcome",
    "SchedulingError",
    "UnschedulableError",
    "applied_placement_annotation",
    "schedule",
    "schedule_binding",
    "schedule_trigger",
    "success_event_message",
]
