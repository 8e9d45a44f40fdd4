"""Starting processes and waiting until they are ready, all-or-nothing.

A :class:`Starter` remembers every process it started so that a failure can stop them all; its
``wait`` polls a readiness probe and fails fast, with the tail of the log, when the process exits.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import aiohttp

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError
from pykarmada.localup import processes
from pykarmada.localup.processes import ProcessRecord, ProcessSpec

Log = Callable[[str], None]
POLL_INTERVAL = 0.25


class ComponentFailed(Exception):
    """A component did not become ready; ``log_tail`` holds the end of its log."""

    def __init__(self, component: str, reason: str, log_path: str = "") -> None:
        self.component = component
        self.reason = reason
        self.log_path = log_path
        self.log_tail = processes.log_tail(log_path) if log_path else ""
        super().__init__(f"{component}: {reason}")


class Starter:
    """Starts processes and remembers them, so a failure can stop everything started so far.

    ``running`` are processes of this environment that still run (a restart of the components that
    stopped): a spec of the same name adopts the running process instead of starting another."""

    def __init__(self, log: Log, running: list[ProcessRecord] | None = None) -> None:
        self.records: list[ProcessRecord] = []  # the environment's processes, adopted or started
        self.started: list[ProcessRecord] = []  # those this run started
        self._running = {r.name: r for r in running or [] if processes.is_running(r)}
        self.resuming = bool(self._running)
        self.log = log

    def phase(self, message: str) -> None:
        """Announce a step of a fresh start; a restart names each process it starts instead."""
        if not self.resuming:
            self.log(message)

    def is_running(self, name: str) -> bool:
        """Whether ``name`` runs already and will be adopted rather than started."""
        return name in self._running

    def start(self, spec: ProcessSpec) -> ProcessRecord:
        record = self._running.pop(spec.name, None)
        if record is None:
            if self.resuming:
                self.log(f"starting {spec.name}")
            record = processes.start(spec)
            self.started.append(record)
        self.records.append(record)
        return record

    async def wait(
        self, record: ProcessRecord, probe: Callable[[], Awaitable[bool]], timeout: float, what: str = "ready"
    ) -> None:
        """Poll ``probe`` until it is true; fail fast when the process exits."""
        deadline = time.monotonic() + timeout
        last_error = ""
        while True:
            if not processes.is_running(record):
                raise ComponentFailed(record.name, "exited during start-up", record.log)
            try:
                if await probe():
                    return
            except (ApiError, OSError, aiohttp.ClientError, asyncio.TimeoutError) as e:
                last_error = f" (last error: {e})"
            if time.monotonic() > deadline:
                raise ComponentFailed(record.name, f"not {what} after {timeout:.0f}s{last_error}", record.log)
            await asyncio.sleep(POLL_INTERVAL)


async def http_ok(conn: Connection, path: str) -> bool:
    """Probe: ``path`` answers 2xx."""
    async with KubeClient(conn, timeout=5) as client:
        await client.get(path)
        return True


async def etcd_healthy(conn: Connection) -> bool:
    async with KubeClient(conn, timeout=5) as client:
        body = await client.get("/health")  # JSON, but served as text/plain
        return json.loads(body).get("health") == "true" if isinstance(body, str) else body.get("health") == "true"
