"""Detached processes with their own log files, and how to find and stop them again.

local-up returns once the environment is ready, so every process is started in a session of its
own and outlives the command. Each is recorded with its pid and its kernel start time: a recorded
pid that now belongs to another program (pid reuse) is never signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessSpec:
    name: str  # "<cluster>/<component>", e.g. "member1/kube-apiserver"
    argv: list[str]
    log: Path
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    start_time: int  # clock ticks since boot, from /proc/<pid>/stat
    log: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "pid": self.pid, "startTime": self.start_time, "log": self.log}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ProcessRecord:
        return cls(str(data["name"]), int(data["pid"]), int(data["startTime"]), str(data["log"]))  # type: ignore[arg-type]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of a process, or None when there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def start(spec: ProcessSpec) -> ProcessRecord:
    return record_of(spec, spawn(spec))


def spawn(spec: ProcessSpec) -> subprocess.Popen[bytes]:
    """Start the process detached, in a session of its own, its output appended to its log."""
    spec.log.parent.mkdir(parents=True, exist_ok=True)
    with open(spec.log, "ab") as log:
        log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {spec.name}\n".encode())
        log.flush()
        return subprocess.Popen(
            spec.argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=spec.env,
        )


def record_of(spec: ProcessSpec, proc: subprocess.Popen[bytes]) -> ProcessRecord:
    stat = _stat(proc.pid)
    return ProcessRecord(spec.name, proc.pid, stat[1] if stat else 0, str(spec.log))


def is_running(record: ProcessRecord) -> bool:
    """True when the recorded process still runs (not a zombie, not a reused pid)."""
    stat = _stat(record.pid)
    return stat is not None and stat[0] not in ("Z", "X") and stat[1] == record.start_time


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our own child (it is, inside the same run)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


STOP_GRACE = 10.0


def stop(records: Iterable[ProcessRecord], *, grace: float = STOP_GRACE) -> list[str]:
    """SIGTERM every running process (its whole session), SIGKILL what is left after ``grace``
    seconds. Returns the names of processes that had to be killed."""
    running = [r for r in records if is_running(r)]
    for r in running:
        _signal(r, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for r in running:
            _reap(r.pid)
        running = [r for r in running if is_running(r)]
        if not running:
            return []
        time.sleep(0.1)
    for r in running:
        _signal(r, signal.SIGKILL)
    for r in running:
        for _ in range(50):
            _reap(r.pid)
            if not is_running(r):
                break
            time.sleep(0.1)
    return [r.name for r in running]


def _signal(record: ProcessRecord, sig: signal.Signals) -> None:
    try:
        os.killpg(record.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(record.pid, sig)
        except ProcessLookupError:
            pass


def log_tail(path: str | Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
