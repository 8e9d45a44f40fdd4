"""``karmadactl interpret``: --check, each --operation and its errors, on files of our own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pykarmada.karmadactl.cli import cli

CUSTOMIZATION = {
    "apiVersion": "config.karmada.io/v1alpha1",
    "kind": "ResourceInterpreterCustomization",
    "metadata": {"name": "web-rules"},
    "spec": {
        "target": {"apiVersion": "apps/v1", "kind": "Deployment"},
        "customizations": {
            "retention": {"luaScript": "function Retain(d, o) d.spec.paused = o.spec.paused; return d end"},
            "replicaResource": {"luaScript": 'function GetReplicas(o) return o.spec.replicas, require("kube").accuratePodRequirements(o.spec.template) end'},
            "replicaRevision": {"luaScript": "function ReviseReplica(o, n) o.spec.replicas = n; return o end"},
            "healthInterpretation": {"luaScript": "function InterpretHealth(o) return o.status.readyReplicas == o.spec.replicas end"},
            "statusAggregation": {"luaScript": "function AggregateStatus(o, items) local n = 0; for i = 1, #items do n = n + items[i].status.readyReplicas end; o.status = {readyReplicas = n}; return o end"},
        },
    },
}
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "paused": True, "template": {"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}}},
    "status": {"readyReplicas": 2},
}  # fmt: skip


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(CUSTOMIZATION))
    (tmp_path / "observed.yaml").write_text(yaml.safe_dump(DEPLOYMENT))
    desired = {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "paused": False}}
    (tmp_path / "desired.yaml").write_text(yaml.safe_dump(desired))
    items = [{"clusterName": "m1", "status": {"readyReplicas": 2}, "applied": True}, {"clusterName": "m2", "status": {"readyReplicas": 1}, "applied": True}]
    (tmp_path / "status.yaml").write_text(yaml.safe_dump_all(items))
    broken = {**CUSTOMIZATION, "metadata": {"name": "broken"}, "spec": {**CUSTOMIZATION["spec"], "customizations": {"healthInterpretation": {"luaScript": "function InterpretHealth(o"}}}}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken))
    return tmp_path


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["interpret", *args], input=stdin)


def test_check_passes_every_rule_that_compiles(files: Path) -> None:
    result = run("-f", str(files / "rules.yaml"), "--check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "SOURCE: web-rules" and lines[2].startswith("TARGET: apps/v1 Deployment")
    assert "    Retain:                PASS" in lines
    assert "    InterpretComponent:    UNSET" in lines


def test_check_fails_on_a_syntax_error_and_names_the_rule(files: Path) -> None:
    result = run("-f", str(files), "--check")  # the directory: both customizations, plus the other objects
    assert result.exit_code == 1
    assert any(line.startswith("    InterpretHealth:") and "ERROR: script:1:" in line for line in result.output.splitlines())
    assert "not a ResourceInterpreterCustomization, got apps/v1, Kind=Deployment" in result.output


def test_interpret_replica_prints_the_replicas_and_requirements(files: Path) -> None:
    result = run("-f", str(files / "rules.yaml"), "--operation", "interpretReplica", "--observed-file", str(files / "observed.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output == "---\n# [1/2] replica:\n2\n---\n# [2/2] requires:\nresourceRequest:\n  cpu: '1'\n"


def test_retain_revise_health_and_aggregate(files: Path) -> None:
    retained = run("-f", str(files / "rules.yaml"), "--operation", "Retain", "--desired-file", str(files / "desired.yaml"), "--observed-file", str(files / "observed.yaml"))
    assert retained.exit_code == 0 and yaml.safe_load(retained.output.split(":\n", 1)[1])["spec"]["paused"] is True
    revised = run("-f", str(files / "rules.yaml"), "--operation", "reviseReplica", "--observed-file", str(files / "observed.yaml"), "--desired-replica", "7")
    assert yaml.safe_load(revised.output.split(":\n", 1)[1])["spec"]["replicas"] == 7
    health = run("-f", str(files / "rules.yaml"), "--operation", "interprethealth", "--observed-file", str(files / "observed.yaml"))
    assert health.output.endswith("healthy:\ntrue\n")
    status = (files / "status.yaml").read_text()
    aggregated = run("-f", str(files / "rules.yaml"), "--operation", "aggregateStatus", "--observed-file", str(files / "observed.yaml"), "--status-file", "-", stdin=status)
    assert yaml.safe_load(aggregated.output.split(":\n", 1)[1])["status"] == {"readyReplicas": 3}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--operation", "nope"], 2, "operation nope is not supported. Use one of: Retain, InterpretReplica"),
        ([], 2, "operation is not set for executing"),
        (["--check", "--edit"], 2, "you can't set both --check and --edit options"),
        (["--operation", "InterpretComponent", "--observed-file", "{observed}"], 1, "Execute InterpretComponent error: rule is not enabled"),
        (["--operation", "InterpretHealth"], 1, "Execute InterpretHealth error: desired-file, observed-file options are not set"),
        (["--operation", "Retain", "--observed-file", "{observed}"], 1, "Execute Retain error: desired, desired-file options are not set"),
        (["--operation", "InterpretHealth", "--observed-file", "{missing}"], 1, "does not exist"),
    ],
)
def test_bad_input_gets_one_clear_line(files: Path, args: list[str], code: int, message: str) -> None:
    args = [a.format(observed=files / "observed.yaml", missing=files / "nope.yaml") for a in args]
    result = run("-f", str(files / "rules.yaml"), *args)
    assert result.exit_code == code
    assert message in result.output


def test_edit_saves_back_once_the_scripts_compile(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = files / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/return d end/return d  end/' \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("KUBE_EDITOR", str(editor))
    result = run("-f", str(files / "rules.yaml"), "--edit")
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((files / "rules.yaml").read_text())
    assert saved["spec"]["customizations"]["retention"]["luaScript"].endswith("return d  end")
