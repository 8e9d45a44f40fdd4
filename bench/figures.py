"""What the benchmarks print: percentiles in milliseconds and a process's resident memory."""

from __future__ import annotations

from pathlib import Path


def pct_ms(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` in seconds, as milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_mib(pid: int) -> float:
    return rss_kib(pid) / 1024
