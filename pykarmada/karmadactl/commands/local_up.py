"""``local-up`` and ``local-down``: the local environment of real processes."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pykarmada.localup.binaries import BuildError
from pykarmada.localup.environment import AlreadyRunning, Environment, Settings, usage_text
from pykarmada.localup.processes import STOP_GRACE
from pykarmada.localup.starter import ComponentFailed
from pykarmada.localup.state import EnvironmentBusy, default_state_dir


def _echo(msg: str) -> None:
    click.echo(msg, err=True)


state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_state_dir,
    show_default="$PYKARMADA_STATE_DIR or ~/.local/state/pykarmada/local-up",
    help="Directory for certificates, etcd data, logs and the process record.",
)
kubeconfig_dir_option = click.option(
    "--kubeconfig-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: Path(os.path.expanduser("~/.kube")),
    show_default="~/.kube",
    help="Where karmada.config and members.config are written.",
)


@click.command("local-up")
@click.option("--members", type=click.IntRange(1, 20), default=3, show_default=True, help="Number of member clusters.")
@click.option("--nodes-per-member", type=click.IntRange(1, 500), default=3, show_default=True, help="kwok nodes in each member.")
@click.option("--pull-members", type=click.IntRange(0, 20), default=1, show_default=True,
              help="How many of the members (the last ones) register in Pull mode, each with a karmada-agent.")
@click.option("--timeout", type=click.FloatRange(5), default=120.0, show_default=True, help="Seconds each component may take to become ready.")
@click.option(
    "--upstream-defaults", is_flag=True,
    help="Run the controller process and the webhook with upstream's defaults: cluster failover (gate Failover, "
    "NoExecute taint eviction, NoExecute ClusterTaintPolicies) off. Without it they are on.",
)
@state_dir_option
@kubeconfig_dir_option
def local_up(members: int, nodes_per_member: int, pull_members: int, timeout: float, upstream_defaults: bool, state_dir: Path, kubeconfig_dir: Path) -> None:
    """Start a control plane and member clusters as local processes.

    The control plane is etcd, kube-apiserver and kube-controller-manager; each member is a
    kube-apiserver, kube-controller-manager, kube-scheduler and kwok simulating its nodes. The
    members join in Push mode but for the last --pull-members, which register in Pull mode
    (token create + register) with a karmada-agent. Binaries are built on first use and cached.
    """
    if pull_members > members:
        raise click.BadParameter(f"{pull_members} Pull members but only {members} members", param_hint="'--pull-members'")
    settings = Settings(
        state_dir=state_dir, kubeconfig_dir=kubeconfig_dir, members=members, nodes_per_member=nodes_per_member, timeout=timeout,
        pull_members=pull_members,
        upstream_defaults=upstream_defaults,
    )
    try:
        state = Environment(settings, log=_echo).up()
    except ComponentFailed as e:
        _echo(f"error: {e.component} failed: {e.reason}")
        if e.log_path:
            _echo(f"last lines of {e.log_path}:\n{e.log_tail}")
        _echo("every process that local-up started has been stopped")
        raise SystemExit(1) from None
    except (AlreadyRunning, BuildError, EnvironmentBusy) as e:
        _echo(f"error: {e}")
        raise SystemExit(1) from None
    click.echo(usage_text(state))


@click.command("local-down")
@click.option("--purge", is_flag=True, help="Also delete certificates, etcd data, logs and the kubeconfigs local-up wrote.")
@state_dir_option
@kubeconfig_dir_option
def local_down(purge: bool, state_dir: Path, kubeconfig_dir: Path) -> None:
    """Stop every process local-up started."""
    settings = Settings(state_dir=state_dir, kubeconfig_dir=kubeconfig_dir)
    try:
        killed = Environment(settings, log=_echo).down(purge=purge)
    except EnvironmentBusy as e:
        _echo(f"error: {e}")
        raise SystemExit(1) from None
    for name in killed:
        _echo(f"warning: {name} did not stop within {STOP_GRACE:.0f}s of SIGTERM and was killed (SIGKILL)")
    click.echo("local environment stopped" + (" and purged" if purge else ""))
