"""The native resource interpreter: what Karmada reads from and writes into objects of known kinds
(status reflection, health, status aggregation). Pure functions over JSON objects."""

from pykarmada.karmada.interpreter.status import aggregate_status, has_health_interpreter, interpret_health, reflect_status

__all__ = ["aggregate_status", "has_health_interpreter", "interpret_health", "reflect_status"]
