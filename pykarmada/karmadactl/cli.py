"""Entry point shared by ``karmadactl`` and the kubectl plugin ``kubectl-karmada``."""

from __future__ import annotations

import os
import sys

import click

from pykarmada.karmadactl.commands import addons, apply, completion, describe, get, init, interpret, join, kubectl_verbs, local_up, promote, register, taint, token, top, unregister, version
from pykarmada.karmadactl.commands.kubeconfig import global_options
from pykarmada.kube.errors import ConfigError


def command_name() -> str:
    """``kubectl karmada`` when run as the kubectl plugin, else ``karmadactl``."""
    return "kubectl karmada" if os.path.basename(sys.argv[0]).startswith("kubectl-") else "karmadactl"


class KarmadaGroup(click.Group):
    """Reports a kubeconfig that fails while a command runs (an exec plugin that breaks on a
    refresh) as a clean error, like one that fails at load."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=KarmadaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
def cli() -> None:
    """karmadactl controls a Karmada control plane and its member clusters."""


cli.add_command(local_up.local_up)
cli.add_command(local_up.local_down)
cli.add_command(init.init)
cli.add_command(init.deinit)
cli.add_command(addons.addons)
cli.add_command(join.join)
cli.add_command(join.unjoin)
cli.add_command(get.get)
cli.add_command(describe.describe)
cli.add_command(apply.apply)
cli.add_command(promote.promote)
cli.add_command(interpret.interpret)
cli.add_command(completion.completion)
cli.add_command(version.version)
cli.add_command(version.options)
cli.add_command(top.top)
for command in kubectl_verbs.commands():
    cli.add_command(command)
cli.add_command(token.token)
cli.add_command(register.register)
cli.add_command(unregister.unregister)
cli.add_command(taint.cordon)
cli.add_command(taint.uncordon)
cli.add_command(taint.taint)


def main() -> None:
    cli(prog_name=command_name())
