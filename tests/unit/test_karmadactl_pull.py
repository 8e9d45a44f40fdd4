"""register/unregister/token flag checks that end before any server is reached: each bad input
is one error line naming what is wrong, never a secret; and the pure helpers of the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pykarmada.certs.ca import CertificateAuthority
from pykarmada.karmada.bootstrap import rbac
from pykarmada.karmada.bootstrap.pins import ca_pins
from pykarmada.karmada.bootstrap.token import Token
from pykarmada.karmadactl.cli import cli
from pykarmada.karmadactl.commands.token import register_command
from pykarmada.karmadactl.commands.unregister import agent_kubeconfig_location

TOKEN = "abcdef.0123456789abcdef"
PIN = "sha256:" + "ab" * 32


@pytest.fixture
def member_kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "member.config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "m",
        "clusters": [{"name": "member4", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "m", "context": {"cluster": "member4", "user": "u"}}],
    }))
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://127.0.0.1:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", PIN], "without a scheme"),
        (["127.0.0.1:6443", "--discovery-token-ca-cert-hash", PIN], "token is required"),
        (["127.0.0.1:6443", "--token", "abcdef.0123456789abcdeX", "--discovery-token-ca-cert-hash", PIN], "not of the form"),
        (["127.0.0.1:6443", "--token", TOKEN], "--discovery-token-unsafe-skip-ca-verification"),
        (["127.0.0.1:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", "sha1:abcd"], "unknown hash type"),
        (["127.0.0.1:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", PIN, "--cluster-name", "Bad_Name"], "invalid cluster name(Bad_Name)"),
        (["127.0.0.1:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", PIN, "--discovery-timeout", "soon"], "invalid duration"),
    ],
)
def test_register_refuses_bad_flags(member_kubeconfig: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["register", *args, "--kubeconfig", member_kubeconfig])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "0123456789abcde" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["unregister", "member4"], "--cluster-kubeconfig is required"),
        (["unregister", "member4", "--cluster-kubeconfig", "/nonexistent"], "no such file"),
        (["unregister", "member4", "--cluster-kubeconfig", "x", "--wait", "0"], "positive"),
        (["token", "create", "--usages", "signing,sign"], "unknown usage(s) sign"),
        (["token", "delete", "abc"], "[a-z0-9]{6}"),
        (["token", "delete"], "missing token"),
    ],
)
def test_other_commands_refuse_bad_flags(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and message in result.output, result.output


def test_register_command_pins_every_ca_of_the_kubeconfig() -> None:
    first, second = CertificateAuthority.create("a").cert_pem, CertificateAuthority.create("b").cert_pem
    line = register_command("kubectl karmada", "https://10.0.0.1:5443", Token("abcdef", "0123456789abcdef"), first + second)
    pins = ",".join(ca_pins(first) + ca_pins(second))
    assert line == f"kubectl karmada register 10.0.0.1:5443 --token {TOKEN} --discovery-token-ca-cert-hash {pins}"


def test_unregister_finds_the_agent_kubeconfig_register_mounted() -> None:
    settings = rbac.AgentSettings("member4", "karmada-system", "karmada-cluster", "https://127.0.0.1:1")
    deployment = rbac.member_objects(settings, "")[-1]
    assert agent_kubeconfig_location(deployment) == ("karmada-kubeconfig", "karmada-kubeconfig", "")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["command"].append("--karmada-context=ctx")
    assert agent_kubeconfig_location(deployment)[2] == "ctx"
