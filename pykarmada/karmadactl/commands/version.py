"""``version``: upstream's one line, ``<parent> version: version.Info{...}`` in Go syntax, with
this package's version (the Go toolchain fields say which Python runs it); and ``options``, the
flags every command takes."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

import click


def version_info() -> dict[str, str]:
    try:
        release = metadata.version("pykarmada")
    except metadata.PackageNotFoundError:
        release = "unknown"
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {
        "GitVersion": f"v{release}", "GitCommit": "", "GitShortCommit": "", "GitTreeState": "", "BuildDate": "",
        "GoVersion": f"python{sys.version.split()[0]}", "Compiler": platform.python_implementation().lower(), "Platform": f"{sys.platform}/{machine}",
    }


@click.command("version", context_settings={"help_option_names": ["-h", "--help"]})
def version() -> None:
    """Print the version information."""
    root = click.get_current_context().find_root().info_name or "karmadactl"
    fields = ", ".join(f'{k}:"{v}"' for k, v in version_info().items())
    click.echo(f"{root} version: version.Info{{{fields}}}")


@click.command("options", context_settings={"help_option_names": ["-h", "--help"]})
def options() -> None:
    """Print the list of flags inherited by all commands."""
    root = click.get_current_context().find_root()
    click.echo("The following options can be passed to any command:\n")
    for param in root.command.params:
        if isinstance(param, click.Option) and not param.hidden and "--help" not in param.opts:
            click.echo(f"    {', '.join(param.opts)}: {param.help or ''}")
