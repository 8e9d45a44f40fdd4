"""kubectl's own verbs (create, delete, edit, patch, label, annotate, apply, explain, api-resources,
api-versions, logs, exec, attach, describe), run by the ``kubectl`` binary itself: karmadactl takes
its own flags off the command line (the control-plane kubeconfig and, where upstream has them,
``-s/--operation-scope`` and the cluster flag) and hands the rest to kubectl untouched, ``--``
included. For a member, kubectl talks to the cluster proxy: the control plane's kubeconfig with
its server replaced by ``<server>/apis/cluster.karmada.io/v1alpha1/clusters/<c>/proxy``, as
upstream's member factory does, so the caller's credentials and RBAC apply. kubectl's stdin,
stdout, stderr and exit code are the command's."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from click.shell_completion import CompletionItem

from pykarmada.karmada import constants as c
from pykarmada.karmadactl.commands.completion import complete
from pykarmada.karmadactl.commands.kubeconfig import GlobalFlags, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.conditions import get_condition
from pykarmada.kube.errors import ApiError
from pykarmada.localup.binaries import cached_binaries

PROXY = "/apis/cluster.karmada.io/v1alpha1/clusters/{}/proxy"
KUBECTL_ENV = "KARMADACTL_KUBECTL"
SCOPES = ("karmada", "members")
TYPE_FIRST = {"explain", "describe", "delete", "edit", "patch", "label", "annotate"}  # verbs whose first argument is a resource type


@dataclass(frozen=True)
class Flag:
    """One of karmadactl's own flags on a kubectl verb: its names, the value it stores under."""

    dest: str
    long: str
    short: str | None = None
    takes_value: bool = True
    multiple: bool = False  # a list (pflag StringSlice): repeats and commas add up
    help: str = ""


KUBECONFIG = Flag("kubeconfig", "--kubeconfig", help="Path to the control plane's kubeconfig file.")
KARMADA_CONTEXT = Flag("karmada_context", "--karmada-context", help="The name of the kubeconfig context of the control plane.")
SCOPE = Flag("operation_scope", "--operation-scope", "-s", help="Where the command runs: karmada (the control plane, default) or members.")
CLUSTER = Flag("cluster", "--cluster", help="The member cluster to run against, with --operation-scope=members.")
CLUSTER_C = Flag("cluster", "--cluster", "-C", help=CLUSTER.help)
LOGS_CLUSTER = Flag("cluster", "--cluster", "-C", help="The member cluster of the pod (required).")


def split_args(args: list[str], flags: list[Flag]) -> tuple[dict[str, str], list[str]]:
    """Our flags' values, and every other argument in its order (what follows ``--`` is never
    ours). Accepts ``--flag=v``, ``--flag v``, ``-Xv`` and ``-X v`` as pflag does."""
    by_long = {f.long: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    ours: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        flag = by_long.get(name) if arg.startswith("--") else by_short.get(name) if arg.startswith("-") and len(arg) > 1 else None
        if flag is None:
            rest.append(arg)
            i += 1
            continue
        if not flag.takes_value:
            ours[flag.dest] = "true"
            i += 1
            continue
        if eq or (inline and not arg.startswith("--")):
            value, i = inline, i + 1
        elif i + 1 < len(args):
            value, i = args[i + 1], i + 2
        else:
            raise click.UsageError(f"flag needs an argument: {flag.long}")
        ours[flag.dest] = f"{ours[flag.dest]},{value}" if flag.multiple and ours.get(flag.dest) else value
    return ours, rest


def kubectl_binary() -> str:
    """``$KARMADACTL_KUBECTL``, else ``kubectl`` on PATH, else the one local-up built."""
    explicit = os.environ.get(KUBECTL_ENV)
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise click.ClickException(f"{KUBECTL_ENV}={explicit} is not an executable kubectl")
        return explicit
    found = shutil.which("kubectl")
    if found:
        return found
    built = cached_binaries()
    if built is not None and built.kubectl.is_file():
        return str(built.kubectl)
    raise click.ClickException("kubectl not found: this command runs kubectl; install it on PATH or set KARMADACTL_KUBECTL to its path")


@dataclass
class Invocation:
    verb: list[str]
    flags: dict[str, str]
    rest: list[str]
    given: GlobalFlags = field(default_factory=GlobalFlags)
    always_member: bool = False  # logs: upstream's logs runs only in a member

    @property
    def kubeconfig(self) -> str:
        return self.flags.get("kubeconfig") or self.given.kubeconfig or ""

    @property
    def karmada_context(self) -> str:
        return self.flags.get("karmada_context") or self.given.karmada_context or ""

    def member(self) -> str | None:
        """The member cluster to run against, or None for the control plane."""
        cluster = self.flags.get("cluster", "")
        if self.always_member:
            if not cluster:
                raise click.UsageError("must specify a cluster (-C/--cluster)")
            return cluster
        scope = self.flags.get("operation_scope", "karmada")
        if scope not in SCOPES:
            raise click.BadParameter(f'invalid argument "{scope}": must be one of {", ".join(SCOPES)}', param_hint="'-s' / '--operation-scope'")
        if scope == "members" and not cluster:
            raise click.UsageError("must specify a member cluster (--cluster)")
        return cluster if scope == "members" else None

    def kubectl_args(self, server: str | None) -> list[str]:
        args = [kubectl_binary(), *self.verb]
        if self.kubeconfig:
            args.append(f"--kubeconfig={self.kubeconfig}")
        if self.karmada_context:
            args.append(f"--context={self.karmada_context}")
        if self.given.namespace and not any(a in ("-n", "--namespace") or a.startswith(("--namespace=", "-n=")) for a in self.rest):
            args.append(f"--namespace={self.given.namespace}")
        if server:
            args.append(f"--server={server}")
        return args + self.rest


def member_server(inv: Invocation, cluster: str) -> str:
    """The proxy URL of ``cluster``, after checking that it is joined and Ready: kubectl would
    otherwise report a proxy 404 or 503 in its own words."""
    conn = load(inv.kubeconfig, inv.karmada_context, "control plane")

    async def check() -> None:
        async with KubeClient(conn) as cp:
            try:
                obj = await cp.get(f"{c.CLUSTERS_PATH}/{cluster}")
            except ApiError as e:
                if e.not_found:
                    raise click.ClickException(f'cluster "{cluster}" not found: it is not joined to the control plane (see `kubectl get clusters`)') from None
                raise click.ClickException(f'cluster "{cluster}": {e.message or e.reason}') from None
            ready = get_condition((obj.get("status") or {}).get("conditions"), c.CLUSTER_CONDITION_READY)
            if not ready or ready.get("status") != "True":
                why = f"{ready.get('reason', '')}: {ready.get('message', '')}" if ready else "it has not reported status yet"
                raise click.ClickException(f'cluster "{cluster}" is not Ready ({why})')

    asyncio.run(check())
    return conn.server + PROXY.format(cluster)


def run_kubectl(args: list[str]) -> int:
    """kubectl in the foreground with our stdio; Ctrl-C reaches it (same process group), so we
    only wait for it to finish."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(args)
    except OSError as e:
        raise click.ClickException(f"cannot run kubectl ({args[0]}): {e.strerror}") from None
    finally:
        signal.signal(signal.SIGINT, previous)


class KubectlVerb(click.Command):
    """A verb whose arguments are kubectl's but for ``flags``; ``-h/--help`` prints ours, then kubectl's."""

    def __init__(
        self, verb: list[str], flags: list[Flag], help_text: str, *,
        after: Callable[[Invocation, str | None], None] | None = None, always_member: bool = False,
    ) -> None:
        super().__init__(
            verb[0], help=help_text, options_metavar="[FLAGS] [kubectl arguments and flags]",
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False,
            # Declared for the root group's check of flags given before the verb; parsing is ours.
            params=[click.Option([f.long], hidden=True) for f in (KUBECONFIG, KARMADA_CONTEXT)] + [click.Option(["-n", "--namespace"], hidden=True)],
        )
        self.verb, self.own_flags, self.after, self.always_member = verb, [KUBECONFIG, KARMADA_CONTEXT, *flags], after, always_member
        self.callback = self._run

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["kubectl_args"] = list(args)
        return []

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        if incomplete.startswith("-"):
            return [CompletionItem(name) for f in self.own_flags for name in (f.long, f.short) if name and name.startswith(incomplete)]
        return complete(ctx.meta.get("kubectl_args", []), incomplete, takes_type=self.verb[0] in TYPE_FIRST)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(f"{f.short + ', ' if f.short else ''}{f.long}" + (" TEXT" if f.takes_value else ""), f.help) for f in self.own_flags]
        with formatter.section("karmadactl options"):
            formatter.write_dl(rows)
        formatter.write_paragraph()
        formatter.write_text(f"Every other argument and flag is kubectl's: see `kubectl {' '.join(self.verb)} --help`.")

    def _run(self) -> None:
        ctx = click.get_current_context()
        raw: list[str] = ctx.meta["kubectl_args"]
        before_dashes = raw[: raw.index("--")] if "--" in raw else raw
        if "-h" in before_dashes or "--help" in before_dashes:
            click.echo(self.get_help(ctx))
            return
        flags, rest = split_args(raw, self.own_flags)
        inv = Invocation(self.verb, flags, rest, ctx.find_object(GlobalFlags) or GlobalFlags(), self.always_member)
        cluster = inv.member()
        server = member_server(inv, cluster) if cluster else None
        code = self.kubectl(inv, server)
        if code == 0 and self.after is not None:
            self.after(inv, cluster)
        sys.exit(code)

    def kubectl(self, inv: Invocation, server: str | None) -> int:
        return run_kubectl(inv.kubectl_args(server))



_SCOPED = [SCOPE, CLUSTER]
VERBS: dict[str, tuple[list[Flag], str]] = {
    "create": ([], "Create a resource in the control plane from a file or from stdin."),
    "delete": ([], "Delete resources in the control plane by file names, stdin, resources and names, or by resources and label selector."),
    "edit": ([], "Edit a resource in the control plane."),
    "patch": ([], "Update fields of a resource in the control plane."),
    "label": ([], "Update the labels on a resource in the control plane."),
    "annotate": ([], "Update the annotations on a resource in the control plane."),
    "explain": (_SCOPED, "Describe fields and structure of resources, of the control plane or a member."),
    "api-resources": (_SCOPED, "Print the supported API resources of the control plane or a member."),
    "api-versions": (_SCOPED, "Print the supported API versions of the control plane or a member."),
    "exec": (_SCOPED, "Execute a command in a container of a member cluster's pod."),
    "attach": (_SCOPED, "Attach to a process that is already running inside a container of a member cluster's pod."),
    "logs": ([LOGS_CLUSTER], "Print the logs for a container in a pod of a member cluster."),
}


def commands() -> list[click.Command]:
    return [KubectlVerb([name], flags, text, always_member=name == "logs") for name, (flags, text) in VERBS.items()]
