"""Command-line values as Go's flag package reads them, for flags that keep upstream's syntax."""

from __future__ import annotations

import argparse
import os
import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_go_duration(text: str, *, bare_seconds: bool = False) -> float:
    """Seconds of a Go duration (``10s``, ``1m30s``, ``500ms``, ``-1s``, ``0``); with
    ``bare_seconds`` a plain number counts as seconds. ValueError when it is none of these."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    if body == "0" or (bare_seconds and re.fullmatch(r"\d+(\.\d*)?", body)):
        return sign * float(body)
    total, pos = 0.0, 0
    for m in _PART.finditer(body):
        if m.start() != pos:
            break
        total += float(m[1]) * _UNITS[m[2]]
        pos = m.end()
    if not body or pos != len(body):
        raise ValueError(f"invalid duration {text!r} (e.g. 10s, 1m30s, 500ms)")
    return sign * total


def go_duration(value: str) -> float:
    """An argparse ``type``: a Go duration flag."""
    try:
        return parse_go_duration(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def go_bool(value: str) -> bool:
    """A boolean flag's value (``--flag``, ``--flag=true``, ``--flag=false``, also 1/0 and t/f)."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "t"):
        return True
    if lowered in ("false", "0", "f"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {value!r}")


def require_files(parser: argparse.ArgumentParser, args: argparse.Namespace, *dests: str) -> None:
    """A usage error for the first of these file flags that is set and names no file; unset
    (None or empty) flags are left to the caller."""
    for dest in dests:
        path = getattr(args, dest)
        if path and not os.path.isfile(path):
            parser.error(f"--{dest.replace('_', '-')}: no such file: {path}")
