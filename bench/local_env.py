"""Benchmark of the local environment: binary build time, local-up time, peak memory.

    python bench/local_env.py                # binaries from the cache (built first if missing)
    python bench/local_env.py --cold         # also a cold build: empty binary, Go build and module caches

Prints figures; asserts nothing. Targets (issue 'Foundation'): local-up to ready under 60 s for
3 members with cached binaries; the whole environment under 3 GiB at its peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pykarmada.localup.binaries import ensure_binaries

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]


def _env_processes(marker: str) -> dict[int, str]:
    """pid -> component name of every process whose command line mentions ``marker``."""
    found = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if not any(marker.encode() in a for a in args) or b"pykarmada.karmadactl" in args:
            continue  # not the environment's, or local-up itself
        name = os.path.basename(args[0].decode())
        if name.startswith("python") and len(args) > 2 and args[1] == b"-m":
            name = args[2].decode()  # our own components: pykarmada.aggregator, ...
        found[int(cmdline.parent.name)] = name
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples the summed RSS of the environment's processes; keeps the peak and its breakdown."""

    def __init__(self, marker: str, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.marker, self.interval = marker, interval
        self.peak_kib, self.peak_breakdown = 0, {}
        self.hwm_kib: dict[int, tuple[str, int]] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            procs = _env_processes(self.marker)
            total, breakdown = 0, {}
            for pid, name in procs.items():
                rss = _status_kib(pid, "VmRSS")
                total += rss
                breakdown[name] = breakdown.get(name, 0) + rss
                self.hwm_kib[pid] = (name, max(self.hwm_kib.get(pid, (name, 0))[1], _status_kib(pid, "VmHWM")))
            if total > self.peak_kib:
                self.peak_kib, self.peak_breakdown = total, breakdown
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def cold_build() -> float:
    with tempfile.TemporaryDirectory(prefix="pykarmada-cold-") as tmp:
        env = dict(os.environ, PYKARMADA_CACHE_DIR=f"{tmp}/cache", GOCACHE=f"{tmp}/gocache", GOMODCACHE=f"{tmp}/gomod")
        t0 = time.monotonic()
        code = "from pykarmada.localup.binaries import ensure_binaries; ensure_binaries()"
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        elapsed = time.monotonic() - t0
        subprocess.run(["chmod", "-R", "u+w", tmp])  # the module cache is read-only
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="measure a cold build too (several minutes)")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--nodes-per-member", type=int, default=3)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to keep sampling after start-up")
    args = parser.parse_args()

    if args.cold:
        print(f"cold build of all binaries (empty caches): {cold_build():.0f} s", flush=True)
    t0 = time.monotonic()
    bins = ensure_binaries(log=lambda m: None)
    print(f"binaries ready from cache in {time.monotonic() - t0:.1f} s")

    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        sampler = MemorySampler(state)
        sampler.start()
        t0 = time.monotonic()
        subprocess.run(
            [*KARMADACTL, "local-up", f"--members={args.members}", f"--nodes-per-member={args.nodes_per_member}", f"--state-dir={state}", f"--kubeconfig-dir={kube}"],
            check=True,
            capture_output=True,
        )
        up = time.monotonic() - t0
        try:
            # Some load while sampling: a 3-replica Deployment in every member.
            for i in range(1, args.members + 1):
                subprocess.run(
                    [str(bins.kubectl), "--kubeconfig", f"{kube}/members.config", "--context", f"member{i}", "create", "deployment", "bench", "--image=nginx", "--replicas=3"],
                    check=True,
                    capture_output=True,
                )
            time.sleep(args.settle)
        finally:
            try:
                sampler.stop()
            finally:
                down = [*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"]
                subprocess.run(down, check=True, capture_output=True)

    mib = 1024
    print(f"local-up to ready ({args.members} members x {args.nodes_per_member} nodes, cached binaries): {up:.1f} s (target < 60 s)")
    print(f"peak memory of the environment (summed RSS): {sampler.peak_kib / mib:.0f} MiB (target < 3072 MiB)")
    for name, kib in sorted(sampler.peak_breakdown.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<26} {kib / mib:7.0f} MiB")
    print(f"sum of per-process peaks (VmHWM): {sum(k for _, k in sampler.hwm_kib.values()) / mib:.0f} MiB")


if __name__ == "__main__":
    main()
