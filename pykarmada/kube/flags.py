"""Flag value types shared by the components' command lines, spelled as Go's flags spell them."""

from __future__ import annotations

import argparse
import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(value: str) -> float:
    """Go's ``time.ParseDuration`` in seconds (``3s``, ``500ms``, ``1m30s``); a bare number is seconds."""
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m[1]) * _UNITS[m[2]]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {value!r} (e.g. 10s, 500ms, 2m, 1m30s)")
    return total


def duration_flag(value: str) -> float:
    """``type=`` of an argparse flag taking a Go duration."""
    try:
        return parse_duration(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
