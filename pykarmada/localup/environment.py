"""Bringing a local environment up and down.

``up`` is all-or-nothing: it starts etcd, then every kube-apiserver, then the controllers,
schedulers and kwok, waiting for each to answer its health endpoint. If anything fails it stops
what it started and raises :class:`ComponentFailed` naming the component with the tail of its log.
An environment that is already running is reused when it matches the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import yaml

from pykarmada.certs.ca import write_private
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection, build_kubeconfig
from pykarmada.kube.errors import ApiError
from pykarmada.localup import components, controllers, estimators, karmada, nodes, processes, pull
from pykarmada.localup.binaries import Binaries, ensure_binaries
from pykarmada.localup.components import CONTROL_PLANE, ClusterPlan
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.pki import ESTIMATOR, ClusterPki, EtcdPki, ensure_cluster_pki, ensure_estimator_pki, ensure_etcd_pki
from pykarmada.localup.processes import ProcessRecord
from pykarmada.localup.starter import Starter, etcd_healthy, http_ok
from pykarmada.localup.state import EnvState, Layout, load_state

Log = Callable[[str], None]

CONTROL_PLANE_CONTEXT = "karmada-apiserver"
KARMADA_KUBECONFIG = "karmada.config"
MEMBERS_KUBECONFIG = "members.config"
READY_TIMEOUT = 120.0


class AlreadyRunning(Exception):
    """An environment that does not match the request is running in this state directory."""


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    kubeconfig_dir: Path
    members: int = 3
    nodes_per_member: int = 3
    timeout: float = READY_TIMEOUT
    pull_members: int = 1  # the last ones join in Pull mode, as upstream's local-up joins member3
    upstream_defaults: bool = False

    @property
    def member_names(self) -> list[str]:
        return [f"member{i}" for i in range(1, self.members + 1)]

    @property
    def pull_member_names(self) -> list[str]:
        return self.member_names[len(self.member_names) - min(self.pull_members, self.members):]


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (all sockets held open until every port is chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def is_port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now. Like Go's listeners, bind with SO_REUSEADDR:
    connections lingering in TIME_WAIT after a process exits do not keep its port."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _port_names(members: list[str], pull_members: Collection[str] = ()) -> list[str]:
    names = ["etcd/client", "etcd/peer"]
    names += [
        f"{CONTROL_PLANE}/{c}"
        for c in ("kube-apiserver", "kube-controller-manager", *karmada.COMPONENTS, *karmada.ENDPOINT_PORTS, *estimators.CONTROL_PLANE_PORTS)
    ]
    for m in members:
        names += [f"{m}/{c}" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", *estimators.MEMBER_PORTS)]
        names += [f"{m}/{c}" for c in pull.ENDPOINT_PORTS if m in pull_members]
    return names


def _port_owner(port_name: str) -> str:
    """The process listening on a port of ``_port_names``: etcd for its two; a component for its
    metrics and health ports ("karmada/karmada-webhook/metrics"); else the same name."""
    if port_name.startswith("etcd/"):
        return "etcd"
    return "/".join(port_name.split("/")[:2])


def _assign_ports(layout: Layout, members: list[str], keep: Collection[str] = (), pull_members: Collection[str] = ()) -> tuple[dict[str, int], set[str]]:
    """Reuse the ports of the previous run where they are still free (the etcd data remembers its
    peer URL) or held by a process of ours that keeps running (``keep``: process names), and pick
    free ones for the rest. Also returns the processes whose port moved."""
    try:
        previous = {k: int(v) for k, v in json.loads(layout.ports_file.read_text()).items()}
    except (OSError, ValueError):
        previous = {}
    names = _port_names(members, pull_members)
    ports = {n: previous[n] for n in names if n in previous and (_port_owner(n) in keep or is_port_free(previous[n]))}
    fresh = iter(p for p in _free_ports(len(names) + 8) if p not in ports.values())
    for n in names:
        ports.setdefault(n, next(fresh))
    layout.ports_file.write_text(json.dumps(ports, indent=2))
    return ports, {_port_owner(n) for n in names if n in previous and previous[n] != ports[n]}


def restart_with(moved: Collection[str], running: Collection[str]) -> set[str]:
    """Which ``running`` processes must restart too because a process they dial now listens on
    another port: everything dials etcd; a cluster's components dial its kube-apiserver; the
    controller process keeps a client (and informers) per member endpoint; an agent dials its
    member and the control plane."""
    if "etcd" in moved:
        return set(running)
    out: set[str] = set()
    for name in moved:
        cluster, _, component = name.partition("/")
        if component == "kube-apiserver":
            out.update(r for r in running if r.startswith(f"{cluster}/"))
            if cluster != CONTROL_PLANE:
                out.add(f"{CONTROL_PLANE}/{controllers.NAME}")
            else:
                out.update(r for r in running if r.endswith(f"/{pull.AGENT}"))
    return out & set(running)


def stop_order(records: list[ProcessRecord]) -> list[list[ProcessRecord]]:
    """Who stops first: the controller process, the agents and the descheduler (they write through
    the servers below and give their Leases back), then our servers (the estimators too), then the
    Kubernetes components, etcd last."""
    ours = {f"{CONTROL_PLANE}/{n}" for n in karmada.COMPONENTS}
    first = {f"{CONTROL_PLANE}/{controllers.NAME}", f"{CONTROL_PLANE}/{estimators.DESCHEDULER}"}
    tiers: list[list[ProcessRecord]] = [[], [], [], []]
    for r in records:
        ours_too = r.name in ours or r.name.endswith(f"/{ESTIMATOR}")
        rank = 0 if r.name in first or r.name.endswith(f"/{pull.AGENT}") else 1 if ours_too else 3 if r.name == "etcd" else 2
        tiers[rank].append(r)
    return [t for t in tiers if t]


def _write_kubeconfig(path: Path, entries: list[tuple[str, Connection]], current: str | None = None) -> None:
    write_private(path, yaml.safe_dump(build_kubeconfig(entries, current=current), sort_keys=False).encode())


class Environment:
    def __init__(self, settings: Settings, *, log: Log = print) -> None:
        self.settings = settings
        self.layout = Layout(settings.state_dir)
        self.log = log

    # ---- up -------------------------------------------------------------------------------
    def up(self, binaries: Binaries | None = None) -> EnvState:
        """Start the environment; one that runs is reused, one that runs in part is completed
        (the stopped components start again, on their recorded ports when free)."""
        with self.layout.locked():
            existing = load_state(self.layout)
            running: list[ProcessRecord] = []
            if existing is not None:
                self._check_size(existing)
                dead = existing.not_running()
                if not dead:
                    self.log("a local environment is already running; reusing it")
                    return existing
                self.log(f"a local environment is partly running; starting what stopped: {', '.join(dead)}")
                running = [p for p in existing.processes if p.name not in dead]
            bins = binaries or ensure_binaries(log=self.log)
            return asyncio.run(self._up(bins, running))

    def _check_size(self, state: EnvState) -> None:
        if state.pull_members != self.settings.pull_member_names and state.members == self.settings.member_names:
            raise AlreadyRunning(
                f"a local environment with Pull members {', '.join(state.pull_members) or '(none)'} is already running in "
                f"{self.layout.root}; run `kubectl karmada local-down --purge` first to change how members join"
            )
        if state.members != self.settings.member_names or state.nodes_per_member != self.settings.nodes_per_member:
            raise AlreadyRunning(
                f"a local environment with {len(state.members)} members and {state.nodes_per_member} nodes each is "
                f"already running in {self.layout.root}; run `kubectl karmada local-down` first to change its size"
            )

    async def _up(self, bins: Binaries, running: list[ProcessRecord]) -> EnvState:
        s, layout = self.settings, self.layout
        started = time.monotonic()
        etcd_pki = ensure_etcd_pki(layout.pki)
        ports, moved = _assign_ports(layout, s.member_names, keep=[r.name for r in running], pull_members=s.pull_member_names)
        for name in sorted(moved):
            self.log(f"{name}: its previous port is taken; it listens on a new one")
        dependents = restart_with(moved, [r.name for r in running])
        if dependents:
            self.log(f"restarting {', '.join(sorted(dependents))}: a process they connect to moved")
            processes.stop([r for r in running if r.name in dependents])
        plans = [self._plan(CONTROL_PLANE, 0, ports)] + [
            self._plan(m, i, ports) for i, m in enumerate(s.member_names, start=1)
        ]
        self._write_component_kubeconfigs(plans)
        endpoints = {**karmada.endpoint_urls(plans[0].ports), **estimators.endpoint_urls(plans)}
        state = EnvState(members=s.member_names, nodes_per_member=s.nodes_per_member, ports=ports, endpoints=endpoints, pull_members=s.pull_member_names)
        starter = Starter(self.log, running)
        try:
            await self._start_all(bins, etcd_pki, plans, ports, starter)
            state.processes = starter.records
            state.karmada_kubeconfig, state.members_kubeconfig = self._write_user_kubeconfigs(plans)
            state.ready = True
            state.save(layout)
        except BaseException:
            processes.stop(starter.started)
            raise
        self.log(f"local environment ready in {time.monotonic() - started:.1f}s")
        return state

    def _plan(self, name: str, index: int, ports: dict[str, int]) -> ClusterPlan:
        pki: ClusterPki = ensure_cluster_pki(self.layout.pki, name, control_plane=(name == CONTROL_PLANE))
        own = {k.split("/", 1)[1]: v for k, v in ports.items() if k.startswith(f"{name}/")}
        return ClusterPlan(name=name, index=index, pki=pki, ports=own)

    def _write_component_kubeconfigs(self, plans: list[ClusterPlan]) -> None:
        for plan in plans:
            for component in plan.pki.clients:
                _write_kubeconfig(plan.kubeconfig(self.layout, component), [(plan.name, plan.connection(component))])

    def _write_user_kubeconfigs(self, plans: list[ClusterPlan]) -> tuple[str, str]:
        d = self.settings.kubeconfig_dir
        karmada_config, members_config = d / KARMADA_KUBECONFIG, d / MEMBERS_KUBECONFIG
        _write_kubeconfig(karmada_config, [(CONTROL_PLANE_CONTEXT, plans[0].connection("admin"))])
        _write_kubeconfig(members_config, [(p.name, p.connection("admin")) for p in plans[1:]])
        return str(karmada_config), str(members_config)

    async def _start_all(
        self, bins: Binaries, etcd_pki: EtcdPki, plans: list[ClusterPlan], ports: dict[str, int], starter: Starter
    ) -> None:
        s, layout, timeout = self.settings, self.layout, self.settings.timeout
        starter.phase("starting etcd")
        etcd = starter.start(components.etcd_spec(bins, layout, etcd_pki, ports["etcd/client"], ports["etcd/peer"]))
        etcd_conn = Connection(
            server=f"https://127.0.0.1:{ports['etcd/client']}",
            ca_pem=etcd_pki.ca.read_bytes(),
            client_cert_pem=etcd_pki.client.cert.read_bytes(),
            client_key_pem=etcd_pki.client.key.read_bytes(),
        )
        await starter.wait(etcd, lambda: etcd_healthy(etcd_conn), timeout, "healthy")

        starter.phase(f"starting {len(plans)} kube-apiservers (control plane + {s.members} members)")
        apiservers = [
            starter.start(components.apiserver_spec(bins, layout, p, etcd_pki, ports["etcd/client"])) for p in plans
        ]
        await asyncio.gather(
            *(starter.wait(r, lambda p=p: http_ok(p.connection("admin"), "/readyz"), timeout) for r, p in zip(apiservers, plans))
        )

        starter.phase("starting controller managers, schedulers and kwok; installing Karmada in the control plane")
        install_ctx = InstallContext(bins, layout, plans[0], starter, timeout, etcd_pki, ports["etcd/client"], s.upstream_defaults)
        waits: list[Awaitable[None]] = [karmada.install(install_ctx)]
        for plan in plans:
            ca = plan.pki.ca.cert.read_bytes()
            kinds = ["kube-controller-manager"] if plan.is_control_plane else ["kube-controller-manager", "kube-scheduler", "kwok"]
            for kind in kinds:
                spec = {
                    "kube-controller-manager": components.controller_manager_spec,
                    "kube-scheduler": components.scheduler_spec,
                    "kwok": components.kwok_spec,
                }[kind](bins, layout, plan)
                record = starter.start(spec)
                health = Connection(server=f"https://127.0.0.1:{plan.ports[kind]}", ca_pem=ca)
                waits.append(starter.wait(record, lambda c=health: http_ok(c, "/healthz"), timeout, "healthy"))
            if not plan.is_control_plane:
                kwok = starter.records[-1]
                waits.append(self._bring_up_nodes(plan, kwok, starter))
        await asyncio.gather(*waits)
        starter.phase(f"starting {len(plans) - 1} scheduler-estimators")
        estimator_pki = ensure_estimator_pki(layout.pki, [p.name for p in plans[1:]])
        install_ctx = dataclasses.replace(install_ctx, estimator_pki=estimator_pki)
        await estimators.start_estimators(install_ctx, plans[1:], estimator_pki, field_manager=karmada.FIELD_MANAGER)
        pulled = set(s.pull_member_names)
        push, pull_plans = [p for p in plans[1:] if p.name not in pulled], [p for p in plans[1:] if p.name in pulled]
        starter.phase(f"starting the controller process, joining {len(push)} members in Push mode and registering {len(pull_plans)} in Pull mode")
        await karmada.start_controllers_and_join(install_ctx, push, pull_plans)
        starter.phase("starting the descheduler")
        await estimators.start_descheduler(install_ctx, estimator_pki)

    async def _bring_up_nodes(self, plan: ClusterPlan, kwok: ProcessRecord, starter: Starter) -> None:
        """Create the member's kwok nodes, then wait until they are Ready and pods can be admitted
        (the ServiceAccount controller has made ``default/default``)."""
        count = self.settings.nodes_per_member
        async with KubeClient(plan.connection("admin")) as client:
            for i in range(count):
                try:
                    await client.create("/api/v1/nodes", nodes.build_node(plan.name, i, plan.index))
                except ApiError as e:
                    if not e.already_exists:
                        raise

            async def nodes_ready() -> bool:
                listing = await client.list("/api/v1/nodes", labelSelector="type=kwok")
                return sum(nodes.is_node_ready(n) for n in listing["items"]) >= count

            async def default_service_account() -> bool:
                await client.get("/api/v1/namespaces/default/serviceaccounts/default")
                return True

            await starter.wait(kwok, nodes_ready, self.settings.timeout, f"managing {count} Ready nodes")
            await starter.wait(kwok, default_service_account, self.settings.timeout, "seeing default/default ServiceAccount")

    # ---- down -----------------------------------------------------------------------------
    def down(self, *, purge: bool = False) -> list[str]:
        """Stop every recorded process; returns the names of those that had to be killed."""
        with self.layout.locked():
            state = load_state(self.layout)
            killed = [name for tier in stop_order(state.processes) for name in processes.stop(tier)] if state else []
            self.layout.state_file.unlink(missing_ok=True)
            if purge:
                for f in (self.settings.kubeconfig_dir / KARMADA_KUBECONFIG, self.settings.kubeconfig_dir / MEMBERS_KUBECONFIG):
                    if state and str(f) in (state.karmada_kubeconfig, state.members_kubeconfig):
                        f.unlink(missing_ok=True)
        if purge:
            shutil.rmtree(self.layout.root, ignore_errors=True)
        return killed


def usage_text(state: EnvState) -> str:
    k, m = state.karmada_kubeconfig, state.members_kubeconfig
    home = os.path.expanduser("~")
    k, m = (p.replace(home, "~", 1) if p.startswith(home + "/") else p for p in (k, m))
    lines = [
        "Local Karmada is running.",
        "",
        "Control plane (context karmada-apiserver):",
        f"  export KUBECONFIG={k}",
        "  kubectl get namespaces",
        "",
        f"Member clusters (contexts {', '.join(state.members)}):",
        f"  kubectl --kubeconfig {m} --context {state.members[0] if state.members else 'member1'} get nodes",
        "",
        "Metrics and probes (the aggregated API server's with control-plane credentials):",
        *(f"  {name}: {url}" for name, url in state.endpoints.items()),
        "",
        "Stop it with `kubectl karmada local-down` (add --purge to delete its state too).",
    ]
    return "\n".join(lines)
