"""``token create|list|delete``: bootstrap tokens in the control plane, for registering members
in Pull mode (surfaces.md 4.5). The rules and Secret layout are in
:mod:`pykarmada.karmada.bootstrap.token`."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timezone
from typing import Any

import click

from pykarmada.karmada.bootstrap import token as bt
from pykarmada.karmada.bootstrap.pins import PinError, ca_pins
from pykarmada.karmadactl.commands.duration import GoDuration
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

SECRETS = f"/api/v1/namespaces/{bt.NAMESPACE}/secrets"


def _split(values: tuple[str, ...]) -> list[str]:
    """cobra's StringSlice: repeated flags and comma lists alike."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except ApiError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot reach the API server: {e}") from None


def parent_command() -> str:
    """``karmadactl`` or ``kubectl karmada``: the name the root command was started under."""
    return click.get_current_context().find_root().info_name or "karmadactl"


def register_command(parent: str, server: str, token: bt.Token, ca_pem: bytes | None) -> str:
    """The one line a member runs: the control plane's host:port, the token, its CA pins."""
    if not ca_pem:
        raise click.ClickException("the control-plane kubeconfig has no certificate-authority data to pin")
    try:
        pins = ",".join(ca_pins(ca_pem))
    except PinError as e:
        raise click.ClickException(f"the control-plane kubeconfig's CA: {e}") from None
    return f"{parent} register {server.replace('https://', '')} --token {token} --discovery-token-ca-cert-hash {pins}"


@click.group("token")
def token() -> None:
    """Manage bootstrap tokens for registering member clusters in Pull mode."""


@token.command("create")
@click.option("--print-register-command", is_flag=True, help="Print the full 'register' command for this token instead of the token alone.")
@click.option("--ttl", type=GoDuration(), default="24h", show_default=True, help="Lifetime of the token (e.g. 1s, 2m, 3h); 0 = never expires.")
@click.option("--description", default="", help="A human-friendly description of how this token is used.")
@click.option("--groups", multiple=True, default=(bt.DEFAULT_GROUP,), show_default=True, help="Extra groups the token authenticates as (comma list or repeated); must match system:bootstrappers:...")
@click.option("--usages", multiple=True, default=(",".join(bt.DEFAULT_USAGES),), show_default=True, help=f"Ways the token may be used (comma list or repeated): {', '.join(bt.KNOWN_USAGES)}.")
@control_plane_options()
def create(print_register_command: bool, ttl: Any, description: str, groups: tuple[str, ...], usages: tuple[str, ...], kubeconfig: str, karmada_context: str) -> None:
    """Create a bootstrap token in the control plane."""
    usage_list, group_list = _split(usages), _split(groups)
    if bad := bt.unknown_usages(usage_list):
        raise click.BadParameter(f"unknown usage(s) {', '.join(bad)}; valid: {', '.join(bt.KNOWN_USAGES)}", param_hint="--usages")
    if bad := bt.invalid_groups(group_list):
        click.echo(f"warning: group(s) {', '.join(bad)} do not match {bt.GROUP_PATTERN!r}: the token will not authenticate", err=True)
    conn = load(kubeconfig, karmada_context, "control plane")
    new = bt.generate_token()
    secret = bt.token_secret(new, ttl=ttl, usages=usage_list, groups=group_list, description=description, now=datetime.now(timezone.utc))

    async def run() -> None:
        async with KubeClient(conn) as client:
            await client.create(SECRETS, secret)

    _run(run())
    if print_register_command:
        click.echo(register_command(parent_command(), conn.server, new, conn.ca_pem))
    else:
        click.echo(str(new))


def _decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode(errors="replace") for k, v in (secret.get("data") or {}).items()}


def _table(rows: list[list[str]]) -> str:
    lines = [list(bt.LIST_COLUMNS), *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(bt.LIST_COLUMNS))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in lines)


@token.command("list")
@control_plane_options()
def list_(kubeconfig: str, karmada_context: str) -> None:
    """List the bootstrap tokens of the control plane."""
    conn = load(kubeconfig, karmada_context, "control plane")

    async def run() -> list[dict[str, Any]]:
        async with KubeClient(conn) as client:
            return (await client.list(SECRETS, fieldSelector=f"type={bt.SECRET_TYPE}"))["items"]

    now, rows = datetime.now(timezone.utc), []
    for secret in _run(run()):
        try:
            rows.append(bt.list_row(bt.token_info(secret["metadata"]["name"], _decoded(secret)), now))
        except bt.TokenError as e:
            click.echo(str(e), err=True)
    click.echo(_table(rows))


@token.command("delete")
@click.argument("tokens", nargs=-1, metavar="TOKEN_ID_OR_TOKEN...")
@control_plane_options()
def delete(tokens: tuple[str, ...], kubeconfig: str, karmada_context: str) -> None:
    """Delete bootstrap tokens, given by id ([a-z0-9]{6}) or in full."""
    if not tokens:
        raise click.UsageError(f"missing token: 'token delete' takes tokens of the form {bt.ID_PATTERN!r} or {bt.TOKEN_PATTERN!r}")
    ids = []
    for value in tokens:
        if bt.is_token_id(value):
            ids.append(value)
            continue
        try:
            ids.append(bt.parse_token(value).id)
        except bt.TokenError:
            raise click.BadParameter(f"a token is given as {bt.ID_PATTERN!r} or {bt.TOKEN_PATTERN!r}", param_hint="TOKEN_ID_OR_TOKEN") from None
    conn = load(kubeconfig, karmada_context, "control plane")

    async def run() -> None:
        async with KubeClient(conn) as client:
            for token_id in ids:
                try:
                    await client.delete(f"{SECRETS}/{bt.secret_name(token_id)}")
                except ApiError as e:
                    raise click.ClickException(f'failed to delete secret "{bt.secret_name(token_id)}": {e.message or e.reason}') from None
                click.echo(f'bootstrap token "{token_id}" deleted')

    _run(run())
