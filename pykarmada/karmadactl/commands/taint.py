"""``cordon``, ``uncordon`` and ``taint``: a Cluster's ``spec.taints`` from the command line, with
upstream's arguments, flags (``--dry-run``; ``--overwrite`` for taint) and output. Changes are a
merge patch of ``spec.taints``; the server stamps ``timeAdded`` on new NoExecute taints."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

import click

from pykarmada.karmada import constants as c
from pykarmada.karmada.taints import same_taint, taint_to_string
from pykarmada.karmadactl.commands.kubeconfig import control_plane_options, load
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.validation import label_value, qualified_name

Obj = dict[str, Any]
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
UNSCHEDULABLE = {"key": c.TAINT_CLUSTER_UNSCHEDULABLE, "effect": "NoSchedule"}


class TaintError(ValueError):
    """A taint argument or change that cannot be made; the message is upstream's."""


def parse_taint(spec: str) -> Obj:
    """``key[=value][:effect]`` (kubectl's parseTaint)."""
    parts = spec.split(":")
    value, effect = "", ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in EFFECTS:
            raise TaintError(f"invalid taint effect: {effect}, unsupported taint effect")
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise TaintError(f"invalid taint spec: {spec}")
        key = kv[0]
        if len(kv) == 2:
            value = kv[1]
            if errors := label_value(value):
                raise TaintError(f"invalid taint spec: {spec}, {'; '.join(errors)}")
    else:
        raise TaintError(f"invalid taint spec: {spec}")
    if errors := qualified_name(key):
        raise TaintError(f"invalid taint spec: {spec}, {'; '.join(errors)}")
    return {k: v for k, v in (("key", key), ("value", value), ("effect", effect)) if v}


def parse_taints(specs: Sequence[str]) -> tuple[list[Obj], list[Obj]]:
    """The taints to add and to remove (a trailing ``-``); every added one needs an effect and a
    key may be added once per effect."""
    add: list[Obj] = []
    remove: list[Obj] = []
    for spec in specs:
        if spec.endswith("-"):
            taint = parse_taint(spec[:-1])
            remove.append({k: v for k, v in taint.items() if k != "value"})
            continue
        taint = parse_taint(spec)
        if not taint.get("effect"):
            raise TaintError(f"invalid taint spec: {spec}")
        if any(same_taint(t, taint) for t in add):
            raise TaintError(f"duplicated taints with the same key and effect: {_go_taint(taint)}")
        add.append(taint)
    return add, remove


def _go_taint(taint: Obj) -> str:
    return f"{{{taint.get('key', '')} {taint.get('value', '')} {taint.get('effect', '')} <nil>}}"


def split_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Resources first, then taint changes (an argument with ``=``, ``:`` or a trailing ``-``)."""
    resources: list[str] = []
    taints: list[str] = []
    for arg in args:
        is_taint = "=" in arg or ":" in arg or arg.endswith("-")
        if is_taint:
            taints.append(arg)
        elif taints:
            raise TaintError(f"all resources must be specified before taint changes: {arg}")
        else:
            resources.append(arg)
    return resources, taints


def check_conflicts(add: Sequence[Obj], remove: Sequence[Obj]) -> None:
    conflicts = [
        f'{{"{r["key"]}":"{r.get("effect", "")}"}}'
        for a in add
        for r in remove
        if a["key"] == r["key"] and (not r.get("effect") or a.get("effect") == r.get("effect"))
    ]
    if conflicts:
        raise TaintError(f"can not both modify and remove the following taint(s) in the same command: {', '.join(conflicts)}")


def updated_taints(cluster: Obj, add: Sequence[Obj], remove: Sequence[Obj], *, overwrite: bool) -> tuple[str, list[Obj]]:
    """The operation word (``tainted``, ``untainted``, ``modified``) and the new ``spec.taints``."""
    name, old = cluster["metadata"]["name"], list((cluster.get("spec") or {}).get("taints") or [])
    if not overwrite:
        exists = [t["key"] for t in add for o in old if same_taint(t, o)]
        if exists:
            raise TaintError(f"cluster {name} already has {','.join(exists)} taint(s) with same effect(s) and --overwrite is false")
    new = [dict(t) for t in add] + [o for o in old if not any(same_taint(t, o) for t in add)]
    added = len(old) != len(new)
    errors, deleted = [], False
    for taint in remove:
        before = len(new)
        new = [t for t in new if not (t.get("key") == taint["key"] and (not taint.get("effect") or t.get("effect") == taint["effect"]))]
        deleted = len(new) != before
        if not deleted:
            errors.append(f'taint "{taint_to_string(taint)}" not found')
    if errors:
        raise TaintError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    if (added and deleted) or overwrite:
        return "modified", new
    return ("tainted" if added else "untainted"), new


def _run(coro: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coro)
    except ApiError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot reach the API server: {e}") from None


async def _patch_taints(client: KubeClient, name: str, taints: list[Obj]) -> None:
    await client.patch(f"{c.CLUSTERS_PATH}/{name}", {"spec": {"taints": taints or None}})


def _cordon(cordon: bool, cluster_name: str, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    conn = load(kubeconfig, karmada_context, "control plane")
    out: list[str] = []

    async def run() -> None:
        async with KubeClient(conn) as client:
            cluster = await client.get(f"{c.CLUSTERS_PATH}/{cluster_name}")
            taints = list((cluster.get("spec") or {}).get("taints") or [])
            has = any(same_taint(t, UNSCHEDULABLE) for t in taints)
            if has == cordon:
                out.append(f"{cluster_name} cluster already {'cordoned' if cordon else 'uncordoned'}")
                return
            new = taints + [dict(UNSCHEDULABLE)] if cordon else [t for t in taints if not same_taint(t, UNSCHEDULABLE)]
            if not dry_run:
                await _patch_taints(client, cluster_name, new)
            out.append(f"{cluster_name} cluster {'cordoned' if cordon else 'uncordoned'}")

    _run(run())
    click.echo("\n".join(out))


dry_run_option = click.option("--dry-run", is_flag=True, help="Run the command in dry-run mode, without making any server requests.")


@click.command("cordon")
@click.argument("cluster_name", metavar="CLUSTER")
@dry_run_option
@control_plane_options()
def cordon(cluster_name: str, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Mark cluster as unschedulable."""
    _cordon(True, cluster_name, dry_run, kubeconfig, karmada_context)


@click.command("uncordon")
@click.argument("cluster_name", metavar="CLUSTER")
@dry_run_option
@control_plane_options()
def uncordon(cluster_name: str, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Mark cluster as schedulable."""
    _cordon(False, cluster_name, dry_run, kubeconfig, karmada_context)


@click.command("taint")
@click.argument("args", nargs=-1, metavar="CLUSTER NAME KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N=VAL_N:TAINT_EFFECT_N")
@click.option("--overwrite", is_flag=True, help="If true, allow taints to be overwritten, otherwise reject taint updates that overwrite existing taints.")
@dry_run_option
@control_plane_options()
def taint(args: tuple[str, ...], overwrite: bool, dry_run: bool, kubeconfig: str, karmada_context: str) -> None:
    """Update the taints on one or more clusters.

    A taint is key=value:effect, the effect NoSchedule, PreferNoSchedule or NoExecute; key:effect-
    removes the taint of that key and effect, key- every taint of that key.

    \b
    karmadactl taint clusters foo dedicated=special-user:NoSchedule
    karmadactl taint clusters foo dedicated:NoSchedule-
    """
    try:
        resources, specs = split_args(args)
        if not resources:
            raise TaintError("one or more resources must be specified as <resource> <name>")
        if not specs:
            raise TaintError("at least one taint update is required")
        add, remove = parse_taints(specs)
        if resources[0].lower() not in ("cluster", "clusters"):
            raise TaintError(f'invalid resource type {resources[0].lower()}, only ["cluster" "clusters"] are supported')
        check_conflicts(add, remove)
        if len(resources) < 2:
            raise TaintError("at least one resource name must be specified")
    except TaintError as e:
        raise click.ClickException(str(e)) from None
    conn = load(kubeconfig, karmada_context, "control plane")

    async def run() -> None:
        async with KubeClient(conn) as client:
            for name in resources[1:]:
                cluster = await client.get(f"{c.CLUSTERS_PATH}/{name}")
                try:
                    operation, taints = updated_taints(cluster, add, remove, overwrite=overwrite)
                except TaintError as e:
                    raise click.ClickException(str(e)) from None
                if not dry_run:
                    await _patch_taints(client, name, taints)
                click.echo(f"cluster/{name} {operation}")

    _run(run())
