"""Command-line values as Go's flag package reads them, for flags that keep upstream's syntax."""

from __future__ import annotations

import argparse


def go_bool(value: str) -> bool:
    """A boolean flag's value (``--flag``, ``--flag=true``, ``--flag=false``, also 1/0 and t/f)."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "t"):
        return True
    if lowered in ("false", "0", "f"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {value!r}")
