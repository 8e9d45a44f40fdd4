"""Where a local environment keeps its files, and the record of what is running.

``<state>/state.json`` exists only while an environment is up (or failed half-way and was not yet
cleaned up); ``ports.json``, ``pki/`` and the etcd data survive ``local-down`` so that the next
``local-up`` restarts the same clusters with the same data. ``local-down --purge`` removes all.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pykarmada.localup.processes import ProcessRecord, is_running

STATE_VERSION = 1


def default_state_dir() -> Path:
    """``$PYKARMADA_STATE_DIR``, else ``$XDG_STATE_HOME/pykarmada/local-up``, else ``~/.local/state/...``."""
    if os.environ.get("PYKARMADA_STATE_DIR"):
        return Path(os.environ["PYKARMADA_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "pykarmada" / "local-up"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd-data"

    @property
    def kubeconfigs(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def ports_file(self) -> Path:
        return self.root / "ports.json"

    def log_file(self, process_name: str) -> Path:
        return self.logs / (process_name.replace("/", "-") + ".log")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialize local-up and local-down on one state directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise EnvironmentBusy(f"another local-up or local-down is working on {self.root}") from None
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


class EnvironmentBusy(Exception):
    pass


@dataclass
class EnvState:
    """What is running: the clusters, their endpoints and the processes."""

    members: list[str]
    nodes_per_member: int
    ports: dict[str, int]
    processes: list[ProcessRecord] = field(default_factory=list)
    karmada_kubeconfig: str = ""
    members_kubeconfig: str = ""
    ready: bool = False
    endpoints: dict[str, str] = field(default_factory=dict)  # "<component>/metrics|healthz|readyz" -> URL
    pull_members: list[str] = field(default_factory=list)  # registered in Pull mode, each with a karmada-agent

    def to_json(self) -> dict[str, object]:
        return {
            "version": STATE_VERSION,
            "members": self.members,
            "nodesPerMember": self.nodes_per_member,
            "ports": self.ports,
            "processes": [p.to_json() for p in self.processes],
            "karmadaKubeconfig": self.karmada_kubeconfig,
            "membersKubeconfig": self.members_kubeconfig,
            "ready": self.ready,
            "endpoints": self.endpoints,
            "pullMembers": self.pull_members,
        }

    @classmethod
    def from_json(cls, data: dict) -> EnvState:  # type: ignore[type-arg]
        return cls(
            members=list(data["members"]),
            nodes_per_member=int(data["nodesPerMember"]),
            ports={k: int(v) for k, v in data["ports"].items()},
            processes=[ProcessRecord.from_json(p) for p in data.get("processes", [])],
            karmada_kubeconfig=data.get("karmadaKubeconfig", ""),
            members_kubeconfig=data.get("membersKubeconfig", ""),
            ready=bool(data.get("ready")),
            endpoints=dict(data.get("endpoints") or {}),
            pull_members=list(data.get("pullMembers") or []),
        )

    def not_running(self) -> list[str]:
        return [p.name for p in self.processes if not is_running(p)]

    def save(self, layout: Layout) -> None:
        tmp = layout.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2))
        tmp.replace(layout.state_file)


def load_state(layout: Layout) -> EnvState | None:
    try:
        return EnvState.from_json(json.loads(layout.state_file.read_text()))
    except FileNotFoundError:
        return None
