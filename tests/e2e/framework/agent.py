"""karmada-agent as a real subprocess of the test, with a log file of its own, and the turning of
a Push member of the shared environment into a Pull one and back."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

AGENT = [sys.executable, "-m", "pykarmada.agent"]
# An endpoint nobody listens on: the controller process cannot reach the member through it.
UNREACHABLE_ENDPOINT = "https://127.0.0.1:1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def member_kubeconfig(env: LocalEnv, member: str, path: Path) -> Path:
    """A kubeconfig of ``member`` alone (its current context), as the agent's --kubeconfig."""
    path.write_text(env.kubectl("config", "view", "--minify", "--flatten", context=member).stdout)
    return path


@dataclass
class Agent:
    env: LocalEnv
    cluster: str
    workdir: Path
    args: list[str]
    metrics_port: int = field(default_factory=free_port)
    health_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.workdir / f"agent-{self.starts}.log"

    def command(self, *extra: str, name: str | None = None) -> list[str]:
        return [
            *AGENT,
            f"--karmada-kubeconfig={self.env.karmada_kubeconfig}",
            f"--kubeconfig={self.workdir / 'member.config'}",
            f"--cluster-name={name or self.cluster}",
            *self.args,
            *extra,
        ]

    def start(self) -> subprocess.Popen[bytes]:
        assert self.proc is None or self.proc.poll() is not None, "the agent runs already"
        self.starts += 1
        ports = [f"--metrics-bind-address=127.0.0.1:{self.metrics_port}", f"--health-probe-bind-address=127.0.0.1:{self.health_port}"]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.command(*ports), stdout=out, stderr=subprocess.STDOUT)
        return self.proc

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, *, kill: bool = False, timeout: float = 10.0) -> int:
        """SIGTERM (or SIGKILL, a crash), and the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def run_once(self, name: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Another agent for the same member, under ``name``, run to its exit."""
        return subprocess.run(self.command("--metrics-bind-address=0", "--health-probe-bind-address=0", name=name), capture_output=True, text=True, timeout=timeout)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("agent-*.log")))


def cluster_ready(env: LocalEnv, name: str) -> bool:
    cluster = env.kubectl_json("get", "cluster", name)
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (cluster.get("status") or {}).get("conditions") or [])


def unjoin(env: LocalEnv, member: str) -> None:
    karmadactl("unjoin", member, "--kubeconfig", env.karmada_kubeconfig, "--cluster-kubeconfig", env.members_kubeconfig, "--cluster-context", member)


def back_to_push(env: LocalEnv, agent: Agent, placement: list[str]) -> None:
    """Undo the Pull registration as ``unregister`` does (the Cluster goes while its agent still
    runs, so the agent removes what its Works applied and releases them), then join the member in
    Push mode again with its old placement, and wait until it is Ready."""
    member = agent.cluster
    if not agent.running():
        agent.start()
    env.kubectl("delete", "cluster", member, "--ignore-not-found", "--timeout=120s")
    agent.stop()
    unjoin(env, member)  # the Cluster is gone: this removes what registration made in the member
    env.kubectl("delete", "lease", "-n", "karmada-system", f"karmada-agent-{member}", "--ignore-not-found")
    env.kubectl("delete", "lease", "-n", "karmada-cluster", member, "--ignore-not-found")  # garbage-collected, in time
    cp = ["--kubeconfig", env.karmada_kubeconfig, "--cluster-kubeconfig", env.members_kubeconfig, "--cluster-context", member]
    karmadactl("join", member, *cp, *placement)
    wait_for(lambda: cluster_ready(env, member), timeout=90, what=f"{member} Ready in Push mode again")
