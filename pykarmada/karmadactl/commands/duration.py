"""Go duration flags (``--ttl 24h``, ``--discovery-timeout 5m``, ``--wait 1m30s``), as cobra's
DurationVar reads them; a bare number is taken as seconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from pykarmada.kube.flags import parse_go_duration

class GoDuration(click.ParamType):
    name = "duration"

    def __init__(self, positive: bool = False) -> None:
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            seconds = parse_go_duration(str(value), bare_seconds=True)
        except ValueError as e:
            self.fail(str(e), param, ctx)
        if seconds < 0 or (self.positive and seconds == 0):
            self.fail(f"{value!r} must be a {'positive' if self.positive else 'non-negative'} duration", param, ctx)
        return timedelta(seconds=seconds)
