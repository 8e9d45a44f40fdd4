"""The invalid policies of the e2e corpus (tests/e2e/testdata/invalid-policies) that the webhook
refuses are refused by the pure rules too, naming the same field with the same reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykarmada.karmada.crds import typed_schema
from pykarmada.karmada.fielderrors import FieldPath
from pykarmada.karmada.mutation import mutate_override_policy, mutate_propagation_policy
from pykarmada.karmada.openapi import check_types
from pykarmada.karmada.validation import validate_override_policy, validate_propagation_policy

CORPUS = Path(__file__).resolve().parents[2] / "e2e" / "testdata" / "invalid-policies"
NAMESPACE = "corpus"


def _header(text: str) -> dict[str, str]:
    return {k.strip(): v.strip() for line in text.splitlines() if line.startswith("# ") for k, _, v in [line[2:].partition(":")]}


def _cases(layer: str) -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.yaml") if _header(p.read_text())["refused-by"] == layer)


def _errors(policy: dict) -> list[str]:
    kind = policy["kind"]
    cluster_scoped = kind.startswith("Cluster")
    if "Propagation" in kind:
        mutated = mutate_propagation_policy(policy, namespace=NAMESPACE, cluster_scoped=cluster_scoped, creating=True, new_id="id")
        return [str(e) for e in validate_propagation_policy(mutated, namespace=NAMESPACE, cluster_scoped=cluster_scoped)]
    if not cluster_scoped:
        policy = mutate_override_policy(policy, namespace=NAMESPACE)
    return [str(e) for e in validate_override_policy(policy, namespace=NAMESPACE, cluster_scoped=cluster_scoped)]


def test_corpus_is_large_enough() -> None:
    assert len(list(CORPUS.glob("*.yaml"))) >= 40


@pytest.mark.parametrize("path", _cases("webhook"), ids=lambda p: p.stem)
def test_webhook_rule_refuses(path: Path) -> None:
    text = path.read_text()
    header, policy = _header(text), yaml.safe_load(text)
    errors = _errors(policy)
    assert any(e.startswith(header["field"] + ":") and header["reason"] in e for e in errors), errors


@pytest.mark.parametrize("path", _cases("webhook-decode"), ids=lambda p: p.stem)
def test_type_check_refuses(path: Path) -> None:
    text = path.read_text()
    header, policy = _header(text), yaml.safe_load(text)
    errors = [str(e) for e in check_types(policy, typed_schema(policy["kind"]), FieldPath())]
    assert any(e.startswith(header["field"] + ":") and header["reason"] in e for e in errors), errors
