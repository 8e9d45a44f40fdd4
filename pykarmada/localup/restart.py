"""Stopping one process of a running environment and starting it again with the same command line,
keeping state.json's record true so that local-down still stops everything. For tests and
benchmarks that take a member's API away."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pykarmada.localup import processes
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.state import EnvState, Layout, load_state


def _state(state_dir: Path) -> tuple[Layout, EnvState]:
    layout = Layout(state_dir)
    state = load_state(layout)
    if state is None:
        raise FileNotFoundError(f"no environment in {state_dir}")
    return layout, state


def stop_process(state_dir: Path, name: str, *, kill: bool = False) -> ProcessSpec:
    """Stop ``name`` (e.g. "member2/kube-apiserver"), with SIGKILL when ``kill`` (no chance to
    clean up, as a crash); returns how to start it again (its command line, read from /proc)."""
    _, state = _state(state_dir)
    record = next(p for p in state.processes if p.name == name)
    argv = [a.decode() for a in Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0") if a]
    processes.stop([record], grace=0.0 if kill else 10.0)
    return ProcessSpec(name, argv, Path(record.log))


def start_process(state_dir: Path, spec: ProcessSpec) -> tuple[subprocess.Popen[bytes], EnvState]:
    """Start ``spec`` as a child of the caller (who may read its exit status), recorded in
    state.json in place of the stopped one; returns the process and the updated state."""
    layout, state = _state(state_dir)
    proc = processes.spawn(spec)
    record = processes.record_of(spec, proc)
    state.processes = [record if p.name == spec.name else p for p in state.processes]
    state.save(layout)
    return proc, state
