"""Kubeconfig flags shared by commands: the control plane (``--kubeconfig``, ``--karmada-context``,
``-n/--namespace``) and members (``--cluster-kubeconfig``, ``--cluster-context``), resolved as
karmadactl resolves them.

Upstream registers the control-plane flags on each command, and cobra accepts a command's flags
before its verb too (``karmadactl --kubeconfig F get clusters``). Here the root group takes them
(:func:`global_options`) and each command takes them again (:func:`control_plane_options`); the
command's own value wins, as the later flag does in cobra.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from pykarmada.kube.config import ConfigError, Connection, load_kubeconfig

KUBECONFIG_HELP = "Path to the kubeconfig file to use for CLI requests."
CONTEXT_HELP = "The name of the kubeconfig context to use"
NAMESPACE_HELP = "If present, the namespace scope for this CLI request."
GLOBAL_FLAGS = {"kubeconfig": "--kubeconfig", "karmada_context": "--karmada-context", "namespace": "-n/--namespace"}


@dataclass
class GlobalFlags:
    """The control-plane flags given before the verb."""

    kubeconfig: str | None = None
    karmada_context: str | None = None
    namespace: str | None = None


def load(path: str | None, context: str | None, what: str) -> Connection:
    """The Connection for ``context`` of ``path`` (default: $KUBECONFIG's files merged, else
    ~/.kube/config); a kubeconfig that cannot be used is a clean CLI error."""
    try:
        return load_kubeconfig(path or None).connection(context or None)
    except ConfigError as e:
        raise click.ClickException(f"{what}: {e}") from None


def context_namespace(path: str | None, context: str | None) -> str:
    """The namespace of the kubeconfig context, as kubectl defaults ``-n`` to it."""
    try:
        return load_kubeconfig(path or None).namespace(context or None)
    except ConfigError as e:
        raise click.ClickException(f"control plane: {e}") from None


def _global_option(flag: str) -> Callable[[Any], Any]:
    decls, help_text = {
        "kubeconfig": (("--kubeconfig",), KUBECONFIG_HELP),
        "karmada_context": (("--karmada-context",), CONTEXT_HELP),
        "namespace": (("-n", "--namespace"), NAMESPACE_HELP),
    }[flag]
    return click.option(*decls, flag, default=None, metavar="TEXT", help=help_text)


def global_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The root group's copies of the control-plane flags, kept in ``ctx.obj`` for the command.
    A command that does not take one of them refuses it, as cobra would."""

    @functools.wraps(f)
    def wrapper(kubeconfig: str | None, karmada_context: str | None, namespace: str | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        ctx.obj = GlobalFlags(kubeconfig, karmada_context, namespace)
        command = ctx.command.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None  # type: ignore[attr-defined]
        if command is not None:
            taken = {p.name for p in command.params}
            for name, flag in GLOBAL_FLAGS.items():
                if getattr(ctx.obj, name) is not None and name not in taken:
                    raise click.UsageError(f"{ctx.invoked_subcommand} does not take {flag}")
        return f(**kwargs)

    for flag in reversed(list(GLOBAL_FLAGS)):
        wrapper = _global_option(flag)(wrapper)
    return wrapper


def control_plane_options(namespace: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--kubeconfig`` and ``--karmada-context`` (and ``-n/--namespace`` when ``namespace``) on a
    command. The command receives plain strings: its own flag, else the root's, else ``""``; the
    namespace falls back to the kubeconfig context's, then ``default``."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(**kwargs: Any) -> Any:
            given = click.get_current_context().find_object(GlobalFlags) or GlobalFlags()
            for name in ("kubeconfig", "karmada_context"):
                kwargs[name] = kwargs.get(name) or getattr(given, name) or ""
            if namespace:
                kwargs["namespace"] = (
                    kwargs.get("namespace") or given.namespace or context_namespace(kwargs["kubeconfig"], kwargs["karmada_context"])
                )
            return f(**kwargs)

        flags = ("kubeconfig", "karmada_context", "namespace") if namespace else ("kubeconfig", "karmada_context")
        for flag in reversed(flags):
            wrapper = _global_option(flag)(wrapper)
        return wrapper

    return decorate
