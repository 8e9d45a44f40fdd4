"""The local environment as the tests see it: started once per session by the project's own
``karmadactl local-up`` (or attached to, when ``PYKARMADA_E2E_STATE_DIR`` names a running one),
and helpers that run the real kubectl against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykarmada.localup.binaries import ensure_binaries
from pykarmada.localup.processes import is_running
from pykarmada.localup.state import EnvState, Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]


@dataclass
class LocalEnv:
    state_dir: Path
    kubeconfig_dir: Path
    state: EnvState
    kubectl_path: Path

    @property
    def karmada_kubeconfig(self) -> str:
        return self.state.karmada_kubeconfig

    @property
    def members_kubeconfig(self) -> str:
        return self.state.members_kubeconfig

    @property
    def push_members(self) -> list[str]:
        """The members joined in Push mode (local-up registers the last ones in Pull mode)."""
        return [m for m in self.state.members if m not in self.state.pull_members]

    def kubectl(self, *args: str, context: str = "karmada-apiserver", check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run kubectl against the control plane (context ``karmada-apiserver``) or a member."""
        config = self.karmada_kubeconfig if context == "karmada-apiserver" else self.members_kubeconfig
        cmd = [str(self.kubectl_path), "--kubeconfig", config, "--context", context, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd[3:])} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def kubectl_json(self, *args: str, context: str = "karmada-apiserver") -> Any:
        return json.loads(self.kubectl(*args, "-o", "json", context=context).stdout)


def karmadactl(*args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*KARMADACTL, *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"karmadactl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def attach(state_dir: Path) -> LocalEnv:
    state = load_state(Layout(state_dir))
    if state is None or not state.ready:
        raise RuntimeError(f"PYKARMADA_E2E_STATE_DIR={state_dir} holds no running environment")
    return LocalEnv(state_dir, Path(state.karmada_kubeconfig).parent, state, ensure_binaries().kubectl)


def start(base: Path, *, members: int = 3, nodes_per_member: int = 3) -> LocalEnv:
    state_dir, kube_dir = base / "state", base / "kube"
    karmadactl(
        "local-up",
        f"--members={members}",
        f"--nodes-per-member={nodes_per_member}",
        f"--state-dir={state_dir}",
        f"--kubeconfig-dir={kube_dir}",
    )
    return attach(state_dir)


def keep_logs(env: LocalEnv, dest: Path, *, tail: int = 40) -> str:
    """Copy the environment's logs to ``dest`` and describe its processes: which still run, and
    the last lines of our own components' logs and of every process that exited."""
    shutil.copytree(Layout(env.state_dir).logs, dest, dirs_exist_ok=True)
    state = load_state(Layout(env.state_dir))
    lines = [f"logs kept in {dest}"]
    for record in state.processes if state else []:
        running = is_running(record)
        lines.append(f"{record.name}: {'running' if running else 'EXITED'} (pid {record.pid})")
        if not running or record.name.startswith("karmada/karmada-"):
            log = Path(record.log)
            text = log.read_text(errors="replace").splitlines()[-tail:] if log.exists() else ["(no log)"]
            lines += [f"  | {line}" for line in text]
    return "\n".join(lines)


def stop(env: LocalEnv) -> None:
    karmadactl("local-down", "--purge", f"--state-dir={env.state_dir}", f"--kubeconfig-dir={env.kubeconfig_dir}")


def external_env_dir() -> Path | None:
    value = os.environ.get("PYKARMADA_E2E_STATE_DIR")
    return Path(value) if value else None
