"""local-up's webhook step: the process it starts and the registration it applies."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from types import SimpleNamespace

from pykarmada.kube.apply import load_manifests
from pykarmada.localup.webhooks import local_configurations, webhook_spec

MANIFEST = Path(__file__).resolve().parents[2] / "manifests" / "webhook-configuration.yaml"


def test_shipped_configurations() -> None:
    mutating, validating = load_manifests(MANIFEST)
    assert (mutating["kind"], mutating["metadata"]["name"]) == ("MutatingWebhookConfiguration", "mutating-config")
    assert (validating["kind"], validating["metadata"]["name"]) == ("ValidatingWebhookConfiguration", "validating-config")
    rules = {
        (obj["kind"][0], w["name"]): (w["rules"][0]["resources"], w["rules"][0]["operations"], w["clientConfig"]["url"])
        for obj in (mutating, validating)
        for w in obj["webhooks"]
    }
    base = "https://karmada-webhook.karmada-system.svc:443"
    assert rules == {
        ("M", "propagationpolicy.karmada.io"): (["propagationpolicies"], ["CREATE", "UPDATE"], f"{base}/mutate-propagationpolicy"),
        ("M", "clusterpropagationpolicy.karmada.io"): (["clusterpropagationpolicies"], ["CREATE", "UPDATE"], f"{base}/mutate-clusterpropagationpolicy"),
        ("M", "overridepolicy.karmada.io"): (["overridepolicies"], ["CREATE", "UPDATE"], f"{base}/mutate-overridepolicy"),
        ("M", "resourcebinding.karmada.io"): (["resourcebindings"], ["CREATE"], f"{base}/mutate-resourcebinding"),
        ("M", "clusterresourcebinding.karmada.io"): (["clusterresourcebindings"], ["CREATE"], f"{base}/mutate-clusterresourcebinding"),
        ("M", "work.karmada.io"): (["works"], ["CREATE", "UPDATE"], f"{base}/mutate-work"),
        ("V", "propagationpolicy.karmada.io"): (["propagationpolicies"], ["CREATE", "UPDATE"], f"{base}/validate-propagationpolicy"),
        ("V", "clusterpropagationpolicy.karmada.io"): (["clusterpropagationpolicies"], ["CREATE", "UPDATE"], f"{base}/validate-clusterpropagationpolicy"),
        ("V", "overridepolicy.karmada.io"): (["overridepolicies"], ["CREATE", "UPDATE"], f"{base}/validate-overridepolicy"),
        ("V", "clusteroverridepolicy.karmada.io"): (["clusteroverridepolicies"], ["CREATE", "UPDATE"], f"{base}/validate-clusteroverridepolicy"),
        ("V", "resourcebinding.karmada.io"): (["resourcebindings"], ["CREATE", "UPDATE"], f"{base}/validate-resourcebinding"),
        ("V", "clustertaintpolicy.karmada.io"): (["clustertaintpolicies"], ["CREATE", "UPDATE"], f"{base}/validate-clustertaintpolicy"),
    }
    for obj in (mutating, validating):
        assert obj["metadata"]["labels"] == {"app": "karmada-webhook"}
        for w in obj["webhooks"]:
            assert (w["failurePolicy"], w["timeoutSeconds"], w["admissionReviewVersions"]) == ("Fail", 3, ["v1"])
            assert w["rules"][0]["apiVersions"] == ["*"]


def test_local_configurations_point_at_loopback() -> None:
    shipped = load_manifests(MANIFEST)
    local = local_configurations(shipped, port=4443, ca_pem=b"PEM")
    for obj in local:
        for w in obj["webhooks"]:
            assert w["clientConfig"]["url"].startswith("https://127.0.0.1:4443/")
            assert w["clientConfig"]["caBundle"] == base64.b64encode(b"PEM").decode()
    assert local[0]["webhooks"][0]["clientConfig"]["url"] == "https://127.0.0.1:4443/mutate-propagationpolicy"
    assert "caBundle" not in shipped[0]["webhooks"][0]["clientConfig"], "the input is unchanged"


def test_webhook_process_command_line(tmp_path: Path) -> None:
    pair = SimpleNamespace(cert=tmp_path / "s.crt", key=tmp_path / "s.key")
    ports = {"karmada-webhook": 4443, "karmada-webhook/metrics": 4444, "karmada-webhook/health": 4445}
    plan = SimpleNamespace(ports=ports, pki=SimpleNamespace(serving={"karmada-webhook": pair}, ca=SimpleNamespace(cert=tmp_path / "ca.crt")))
    layout = SimpleNamespace(log_file=lambda name: tmp_path / (name.replace("/", "-") + ".log"))
    spec = webhook_spec(SimpleNamespace(control_plane=plan, layout=layout, upstream_defaults=False))  # type: ignore[arg-type]
    assert spec.name == "karmada/karmada-webhook"
    assert spec.argv[:3] == [sys.executable, "-m", "pykarmada.webhooks"]
    assert "--bind-address=127.0.0.1" in spec.argv and "--secure-port=4443" in spec.argv
    assert f"--client-ca-file={tmp_path / 'ca.crt'}" in spec.argv
    assert "--metrics-bind-address=127.0.0.1:4444" in spec.argv and "--health-probe-bind-address=127.0.0.1:4445" in spec.argv
    assert spec.log == tmp_path / "karmada-karmada-webhook.log"
    assert "--allow-no-execute-taint-policy=true" in spec.argv, "local-up turns cluster failover on"
    upstream = webhook_spec(SimpleNamespace(control_plane=plan, layout=layout, upstream_defaults=True))  # type: ignore[arg-type]
    assert not any(a.startswith("--allow-no-execute-taint-policy") for a in upstream.argv)
