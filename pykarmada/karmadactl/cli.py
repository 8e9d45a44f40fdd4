"""Entry point shared by ``karmadactl`` and the kubectl plugin ``kubectl-karmada``."""

from __future__ import annotations

import os
import sys

import click

from pykarmada.karmadactl.commands import describe, get, join, local_up


def command_name() -> str:
    """``kubectl karmada`` when run as the kubectl plugin, else ``karmadactl``."""
    return "kubectl karmada" if os.path.basename(sys.argv[0]).startswith("kubectl-") else "karmadactl"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """karmadactl controls a Karmada control plane and its member clusters."""


cli.add_command(local_up.local_up)
cli.add_command(local_up.local_down)
cli.add_command(join.join)
cli.add_command(join.unjoin)
cli.add_command(get.get)
cli.add_command(describe.describe)


def main() -> None:
    cli(prog_name=command_name())
