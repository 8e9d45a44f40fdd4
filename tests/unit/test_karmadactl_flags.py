"""karmadactl's control-plane flags go before the verb as well as after it (cobra's way), and
``-n`` defaults to the kubeconfig context's namespace. Flag parsing only: no server is reached."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pykarmada.karmadactl.cli import KarmadaGroup, cli, command_name
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, global_options


@click.group(cls=KarmadaGroup)
@global_options
def root() -> None:
    pass


@root.command("probe")
@control_plane_options(namespace=True)
def probe(kubeconfig: str, karmada_context: str, namespace: str) -> None:
    click.echo(f"{kubeconfig}|{karmada_context}|{namespace}")


@root.command("plain")
@control_plane_options()
def plain(kubeconfig: str, karmada_context: str) -> None:
    click.echo(f"{kubeconfig}|{karmada_context}")


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "missing-plugin-xyz", "args": ["--secret=hunter2"], "interactiveMode": "Never"}}}],
        "contexts": [
            {"name": "karmada-apiserver", "context": {"cluster": "c", "user": "u", "namespace": "team-a"}},
            {"name": "bare", "context": {"cluster": "c", "user": "u"}},
        ],
        "current-context": "karmada-apiserver",
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--kubeconfig", "{F}", "--karmada-context", "bare", "probe"], "{F}|bare|default"),
        (["probe", "--kubeconfig", "{F}", "--karmada-context", "bare"], "{F}|bare|default"),
        (["--kubeconfig={F}", "probe"], "{F}||team-a"),  # -n defaults to the context's namespace
        (["--kubeconfig={F}", "-n", "ns1", "probe"], "{F}||ns1"),
        (["--kubeconfig={F}", "-n", "ns1", "probe", "--namespace=ns2"], "{F}||ns2"),  # after the verb wins
        (["--karmada-context", "one", "plain", "--karmada-context", "two", "--kubeconfig", "{F}"], "{F}|two"),
    ],
    ids=["before-verb", "after-verb", "context-namespace", "namespace-before-verb", "both-places", "context-both-places"],
)
def test_flags_before_and_after_the_verb(kubeconfig: str, args: list[str], expected: str) -> None:
    result = CliRunner().invoke(root, [a.replace("{F}", kubeconfig) for a in args])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected.replace("{F}", kubeconfig)


def test_namespace_from_kubeconfig_environment(kubeconfig: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    result = CliRunner().invoke(root, ["probe"])
    assert result.output.strip() == "||team-a"


def test_a_command_without_namespace_refuses_it_before_the_verb() -> None:
    result = CliRunner().invoke(cli, ["-n", "ns", "join", "member1"])
    assert result.exit_code == 2 and "join does not take -n/--namespace" in result.output


def test_a_broken_exec_plugin_is_a_clean_error(kubeconfig: str) -> None:
    """``get`` reads the root's --kubeconfig; the plugin fails on the first request."""
    result = CliRunner().invoke(cli, ["--kubeconfig", kubeconfig, "--karmada-context", "karmada-apiserver", "get", "clusters"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: exec plugin 'missing-plugin-xyz': executable not found"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "hunter2" not in result.output


@pytest.mark.parametrize("argv0,name", [("/usr/local/bin/kubectl-karmada", "kubectl karmada"), ("karmadactl", "karmadactl")])
def test_binary_names(monkeypatch: pytest.MonkeyPatch, argv0: str, name: str) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    assert command_name() == name
