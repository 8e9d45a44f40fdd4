"""Shell completion (``completion bash|zsh|fish``): click's completion scripts, plus what upstream
completes from the control plane: cluster names after ``-C``/``--cluster``/``--clusters`` and
resource types for the first argument of verbs that take one. Lookups use the kubeconfig of the
command line (or the default one) and stay silent when the control plane cannot be reached:
completion must never print an error into the user's prompt."""

from __future__ import annotations

import asyncio

import click
from click.shell_completion import CompletionItem, get_completion_class

from pykarmada.karmada import constants as c
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import load_kubeconfig

SHELLS = ("bash", "zsh", "fish")
CLUSTER_FLAGS = ("-C", "--cluster", "--clusters")
LOOKUP_TIMEOUT = 3.0


def _lookup(kubeconfig: str | None, context: str | None, what: str) -> list[str]:
    async def run() -> list[str]:
        conn = load_kubeconfig(kubeconfig or None).connection(context or None)
        async with KubeClient(conn, timeout=LOOKUP_TIMEOUT) as client:
            if what == "clusters":
                return sorted(x["metadata"]["name"] for x in (await client.list(c.CLUSTERS_PATH))["items"])
            names: set[str] = set()
            docs = [await client.get("/api/v1")]
            for group in (await client.get("/apis")).get("groups") or []:
                gv = (group.get("preferredVersion") or group["versions"][0])["groupVersion"]
                docs.append(await client.get(f"/apis/{gv}"))
            for doc in docs:
                names.update(r["name"] for r in doc.get("resources") or [] if "/" not in r["name"])
            return sorted(names)

    try:
        return asyncio.run(asyncio.wait_for(run(), LOOKUP_TIMEOUT * 2))
    except Exception:  # noqa: BLE001 - completion stays silent, whatever went wrong
        return []


def _flag_value(args: list[str], long: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == long and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(long + "="):
            return arg.split("=", 1)[1]
    return None


def complete(args: list[str], incomplete: str, *, takes_type: bool) -> list[CompletionItem]:
    """Completions for a kubectl-style command line ``args`` (what is typed before ``incomplete``)."""
    kubeconfig, context = _flag_value(args, "--kubeconfig"), _flag_value(args, "--karmada-context")
    if args and args[-1] in CLUSTER_FLAGS:
        return [CompletionItem(n) for n in _lookup(kubeconfig, context, "clusters") if n.startswith(incomplete)]
    positionals = [a for i, a in enumerate(args) if not a.startswith("-") and not (i and args[i - 1].startswith("-") and "=" not in args[i - 1])]
    if takes_type and not positionals and not incomplete.startswith("-"):
        return [CompletionItem(n) for n in _lookup(kubeconfig, context, "resources") if n.startswith(incomplete)]
    return []


def cluster_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``shell_complete`` for click options that name clusters."""
    kubeconfig, context = ctx.params.get("kubeconfig"), ctx.params.get("karmada_context")
    return [CompletionItem(n) for n in _lookup(kubeconfig, context, "clusters") if n.startswith(incomplete)]


def resource_types(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    kubeconfig, context = ctx.params.get("kubeconfig"), ctx.params.get("karmada_context")
    return [CompletionItem(n) for n in _lookup(kubeconfig, context, "resources") if n.startswith(incomplete)]


@click.command("completion", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Output shell completion code for the specified shell (bash, zsh or fish).

    \b
    bash:  source <(karmadactl completion bash)
    zsh:   source <(karmadactl completion zsh)
    fish:  karmadactl completion fish | source
    """
    root = click.get_current_context().find_root()
    prog = root.info_name or "karmadactl"
    if " " in prog:
        prog = "karmadactl"  # kubectl's plugin completion is kubectl's own business
    env_var = f"_{prog.replace('-', '_').upper()}_COMPLETE"
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(root.command, {}, prog, env_var).source())

