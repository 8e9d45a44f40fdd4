"""What the benchmarks print: percentiles in milliseconds, a process's resident memory (now and at
its peak) and CPU time."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss(threading.Thread):
    """The highest VmRSS of some processes, sampled every 0.5 s."""

    def __init__(self, pids: Iterable[int]) -> None:
        super().__init__(daemon=True)
        self.peak = {pid: 0 for pid in pids}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for pid in self.peak:
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak[pid] = max(self.peak[pid], int(line.split()[1]))
                except OSError:
                    pass
            self._done.wait(0.5)

    def stop(self) -> None:
        self._done.set()
        self.join()
