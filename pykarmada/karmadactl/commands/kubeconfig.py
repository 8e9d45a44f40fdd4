"""Kubeconfig flags shared by commands: the control plane (``--kubeconfig``, ``--karmada-context``)
and members (``--cluster-kubeconfig``, ``--cluster-context``), resolved as karmadactl does."""

from __future__ import annotations

import os

import click

from pykarmada.kube.config import ConfigError, Connection, connection_from_kubeconfig


def default_kubeconfig() -> str:
    """``$KUBECONFIG`` (first entry), else ``~/.kube/config``."""
    env = os.environ.get("KUBECONFIG", "")
    return env.split(os.pathsep)[0] if env else os.path.expanduser("~/.kube/config")


def load(path: str | None, context: str | None, what: str) -> Connection:
    try:
        return connection_from_kubeconfig(path or default_kubeconfig(), context or None)
    except ConfigError as e:
        raise click.ClickException(f"{what}: {e}") from None


def control_plane_options(f):  # type: ignore[no-untyped-def]
    f = click.option("--karmada-context", default="", help="Context of the control plane in --kubeconfig.")(f)
    f = click.option("--kubeconfig", default="", help="kubeconfig of the Karmada control plane (default $KUBECONFIG or ~/.kube/config).")(f)
    return f
