"""``interpret``: check, run and edit ResourceInterpreterCustomization rules locally, before they
reach the control plane (upstream's verb and flags). Nothing here talks to a cluster.

- ``--check``: every rule of every customization in ``-f`` compiles (PASS, UNSET or ERROR).
- ``--operation OP``: runs one rule on ``--desired-file``/``--observed-file`` (``--status-file``
  for AggregateStatus, ``--desired-replica`` for ReviseReplica) and prints each result as YAML.
- ``--edit``: opens the customization in ``$KUBE_EDITOR``/``$EDITOR`` and saves it back to its file
  once every script compiles.

Unlike upstream, a rule that fails exits 1 (upstream prints the error and exits 0)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import click
import yaml

from pykarmada.karmada.interpreter.customization import RULES, Customizations, LuaScriptError, Rule, rule_for, rule_script

_KIND = ("config.karmada.io/v1alpha1", "ResourceInterpreterCustomization")
_DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")


def _read_source(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (the user's URL)
                return response.read().decode()
        except OSError as e:
            raise click.ClickException(f"unable to read URL {source!r}: {e}") from None
    try:
        return Path(source).read_text()
    except OSError as e:
        raise click.ClickException(f"the path {source!r} does not exist" if isinstance(e, FileNotFoundError) else f"{source}: {e}") from None


def _sources(names: tuple[str, ...], recursive: bool) -> list[str]:
    out: list[str] = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir():
            found = path.rglob("*") if recursive else path.iterdir()
            out.extend(str(p) for p in sorted(found) if p.is_file() and p.suffix in _DOCUMENT_SUFFIXES)
        else:
            out.append(name)
    return out


def load_documents(source: str) -> list[Any]:
    """The YAML or JSON documents of one file, URL or ``-``, in order; List objects unfolded."""
    try:
        documents = [d for d in yaml.safe_load_all(_read_source(source)) if d is not None]
    except yaml.YAMLError as e:
        raise click.ClickException(f"error parsing {source}: {e}") from None
    out: list[Any] = []
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "List":
            out.extend(document.get("items") or [])
        else:
            out.append(document)
    return out


def _one_object(source: str | None, flag: str) -> dict[str, Any] | None:
    if not source:
        return None
    objects = load_documents(source)
    if len(objects) != 1 or not isinstance(objects[0], dict):
        raise click.ClickException(f"{flag}: get {len(objects)} objects, expect one")
    return objects[0]


def _customizations(filenames: tuple[str, ...], recursive: bool) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for source in _sources(filenames, recursive):
        for obj in load_documents(source):
            out.append((source, obj))
    return out


def _is_customization(obj: Any) -> bool:
    return isinstance(obj, dict) and (obj.get("apiVersion"), obj.get("kind")) == _KIND


def _dump(value: Any) -> str:
    text = yaml.safe_dump(value, sort_keys=True, default_flow_style=False)
    return text[: -len("...\n")] if text.endswith("\n...\n") else text


def run_check(customizations: list[tuple[str, dict[str, Any]]]) -> bool:
    checker = Customizations()
    failed = False
    for source, obj in customizations:
        click.echo("-----------------------------------")
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None
        click.echo(f"SOURCE: {name or source}")
        if not _is_customization(obj):
            failed = True
            got = f"{obj.get('apiVersion', '')}, Kind={obj.get('kind', '')}" if isinstance(obj, dict) else type(obj).__name__
            click.echo(f"not a ResourceInterpreterCustomization, got {got}")
            continue
        target = (obj.get("spec") or {}).get("target") or {}
        if not target.get("kind"):
            failed = True
            click.echo("target.kind no set")
            continue
        if not target.get("apiVersion"):
            failed = True
            click.echo("target.apiVersion no set")
            continue
        click.echo(f"TARGET: {target['apiVersion']} {target['kind']}   ")
        click.echo("RULERS:")
        width = max(len(rule.operation) for rule in RULES) + len("    :") + 3
        for rule in RULES:
            label = f"    {rule.operation}:".ljust(width)
            script = rule_script(obj, rule)
            if not script:
                click.echo(f"{label}UNSET")
                continue
            try:
                checker.check(script)
            except LuaScriptError as e:
                failed = True
                click.echo(f"{label}ERROR: {str(e).strip()}   ")
                continue
            click.echo(f"{label}PASS")
    return not failed


def _rule_results(rule: Rule, interpreter: Customizations, desired: Any, observed: Any, status: list[Any], replica: int) -> list[tuple[str, Any]]:
    def single() -> dict[str, Any]:
        if desired is None and observed is None:
            raise LuaScriptError("desired-file, observed-file options are not set")
        if desired is not None and observed is not None:
            raise LuaScriptError("you can not specify both desired-file and observed-file options")
        return desired if desired is not None else observed

    def enabled(value: Any) -> Any:
        if value is None:
            raise LuaScriptError("rule is not enabled")
        return value

    op = rule.operation
    if op == "Retain":
        if desired is None:
            raise LuaScriptError("desired, desired-file options are not set")
        if observed is None:
            raise LuaScriptError("observed, observed-file options are not set")
        return [("retained", enabled(interpreter.retain(desired, observed)))]
    obj = single()
    if op == "InterpretReplica":
        replicas, requires = enabled(interpreter.get_replicas(obj))
        return [("replica", replicas), ("requires", requires)]
    if op == "InterpretComponent":
        return [("components", enabled(interpreter.get_components(obj)))]
    if op == "ReviseReplica":
        return [("revised", enabled(interpreter.revise_replica(obj, replica)))]
    if op == "InterpretStatus":
        return [("status", enabled(interpreter.reflect_status(obj)))]
    if op == "AggregateStatus":
        return [("aggregatedStatus", enabled(interpreter.aggregate_status(obj, status)))]
    if op == "InterpretHealth":
        return [("healthy", enabled(interpreter.interpret_health(obj)))]
    return [("dependencies", enabled(interpreter.get_dependencies(obj)))]


def run_edit(customizations: list[tuple[str, dict[str, Any]]], filenames: tuple[str, ...]) -> None:
    if len(customizations) > 1:
        raise click.ClickException("only one customization can be edited")
    if not customizations:
        if len(filenames) != 1:
            raise click.ClickException("no customizations found. If you want to create a new one, please set only one file with '-f'")
        source, original = filenames[0], {"apiVersion": _KIND[0], "kind": _KIND[1], "metadata": {"name": ""}, "spec": {"target": {}, "customizations": {}}}
    else:
        source, original = customizations[0]
    if source == "-" or source.startswith(("http://", "https://")):
        raise click.ClickException("--edit saves to the file given with -f; stdin and URLs cannot be edited")
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    header = "# Edit the customization; each rule's luaScript must compile. Lines starting with '#' are ignored.\n"
    text = header + yaml.safe_dump(original, sort_keys=False)
    checker = Customizations()
    while True:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="karmadactl-interpret-edit-", delete=False) as f:
            f.write(text)
        try:
            if subprocess.call([*shlex.split(editor), f.name]) != 0:
                raise click.ClickException(f"the editor {editor!r} exited with an error; nothing was saved")
            edited_text = Path(f.name).read_text()
        finally:
            os.unlink(f.name)
        try:
            edited = yaml.safe_load(edited_text)
            problems = [] if _is_customization(edited) else ["not a ResourceInterpreterCustomization"]
            for rule in RULES:
                script = rule_script(edited, rule) if not problems else ""
                try:
                    if script:
                        checker.check(script)
                except LuaScriptError as e:
                    problems.append(f"{rule.operation}: {e}")
        except yaml.YAMLError as e:
            edited, problems = None, [f"the edited file is not YAML: {e}"]
        if edited == original:
            click.echo("Edit cancelled, no changes made.", err=True)
            return
        if not problems:
            break
        if edited_text == text:
            raise click.ClickException("Edit cancelled, no valid changes were saved.")
        click.echo("error: the edited file failed validation: " + "; ".join(problems), err=True)
        text = header + "# " + "\n# ".join("; ".join(problems).splitlines()) + "\n" + "\n".join(l for l in edited_text.splitlines() if not l.startswith("#")) + "\n"
    Path(source).write_text(yaml.safe_dump(edited, sort_keys=False))
    click.echo(f"resourceinterpretercustomization.config.karmada.io/{(edited.get('metadata') or {}).get('name', '')} edited")


_OPERATIONS = ",".join(rule.operation for rule in RULES)


@click.command("interpret", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-f", "--filename", "filenames", multiple=True, help="Filename, directory, or URL to files containing the customizations (YAML or JSON).")
@click.option("-R", "--recursive", is_flag=True, help="Process the directory used in -f, --filename recursively.")
@click.option("--operation", default="", help=f"The interpret operation to use. One of: ({_OPERATIONS})")
@click.option("--check", is_flag=True, help="Validates the given ResourceInterpreterCustomization configuration(s)")
@click.option("--edit", is_flag=True, help="Edit customizations")
@click.option("--show-doc", is_flag=True, help="Show document of rules when editing")
@click.option("--desired-file", default="", help="Filename, directory, or URL of the desiredObj argument of the rule script.")
@click.option("--observed-file", default="", help="Filename, directory, or URL of the observedObj argument of the rule script.")
@click.option("--status-file", default="", help="Filename, directory, or URL of the statusItems argument of the rule script.")
@click.option("--desired-replica", default=0, type=int, help="The desiredReplica argument in rule script.")
def interpret(filenames: tuple[str, ...], recursive: bool, operation: str, check: bool, edit: bool, show_doc: bool,
              desired_file: str, observed_file: str, status_file: str, desired_replica: int) -> None:  # fmt: skip
    """Validate, test and edit interpreter customization before applying it to the control plane."""
    if check and edit:
        raise click.UsageError("you can't set both --check and --edit options")
    rule = rule_for(operation) if operation else None
    if operation and rule is None:
        raise click.UsageError(f"operation {operation} is not supported. Use one of: {', '.join(r.operation for r in RULES)}")
    if not filenames:
        raise click.UsageError("must specify one of -f and -k")
    customizations = _customizations(filenames, recursive)
    if check:
        if not run_check(customizations):
            sys.exit(1)
        return
    if edit:
        if show_doc:
            for r in RULES:
                click.echo(f"# {r.operation} ({r.field}):\n" + "".join(f"#   {line}\n" for line in r.document.splitlines()), err=True)
        run_edit(customizations, filenames)
        return
    if rule is None:
        raise click.UsageError("operation is not set for executing")
    for source, obj in customizations:
        if not _is_customization(obj):
            raise click.ClickException(f"fail to get customization object: {source}: not a ResourceInterpreterCustomization")
    desired = _one_object(desired_file, "--desired-file")
    observed = _one_object(observed_file, "--observed-file")
    status = load_documents(status_file) if status_file else []
    interpreter = Customizations([obj for _, obj in customizations])
    try:
        results = _rule_results(rule, interpreter, desired, observed, status, desired_replica)
    except LuaScriptError as e:
        click.echo(f"Execute {rule.operation} error: {e}", err=True)
        sys.exit(1)
    for index, (name, value) in enumerate(results, 1):
        click.echo("---")
        click.echo(f"# [{index}/{len(results)}] {name}:")
        click.echo(_dump(value), nl=False)
