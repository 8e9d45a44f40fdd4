"""Go duration flags (``--ttl 24h``, ``--discovery-timeout 5m``, ``--wait 1m30s``), as cobra's
DurationVar reads them; a bare number is taken as seconds."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import click

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds of a Go duration string; ValueError when it is not one."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if re.fullmatch(r"\d+(\.\d*)?", value):
        return sign * float(value)
    pos, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise ValueError(f"invalid duration {text!r} (e.g. 30s, 5m, 1h30m)")
    return sign * total


class GoDuration(click.ParamType):
    name = "duration"

    def __init__(self, positive: bool = False) -> None:
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            seconds = parse_go_duration(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)
        if seconds < 0 or (self.positive and seconds == 0):
            self.fail(f"{value!r} must be a {'positive' if self.positive else 'non-negative'} duration", param, ctx)
        return timedelta(seconds=seconds)
