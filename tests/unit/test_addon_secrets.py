"""The Secrets ``addons enable`` makes for the estimator and the descheduler, and the estimator
manifest filled for one member."""

from __future__ import annotations

import base64

import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509

from pykarmada.certs import CertificateAuthority
from pykarmada.karmadactl.cmdinit import addon_secrets, render
from pykarmada.karmadactl.cli import cli
from pykarmada.karmadactl.commands.addons import addon_files


def _decoded(secret: dict, key: str) -> bytes:  # type: ignore[type-arg]
    return base64.b64decode(secret["data"][key])


def test_the_estimator_certificate_serves_every_member_service_of_the_namespace() -> None:
    ca = CertificateAuthority.create("karmada")
    secret = addon_secrets.estimator_cert_secret(ca, "ks", "cluster.local")
    cert = x509.load_pem_x509_certificate(_decoded(secret, "tls.crt"))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert {"*.ks.svc", "*.ks.svc.cluster.local"} <= set(names)
    assert cert.issuer == ca.cert.subject and _decoded(secret, "ca.crt") == ca.cert_pem


def test_the_ca_is_read_back_from_karmada_cert_and_a_missing_key_is_named() -> None:
    ca = CertificateAuthority.create("karmada")
    data = {"ca.crt": base64.b64encode(ca.cert_pem).decode(), "ca.key": base64.b64encode(ca.key_pem).decode()}
    assert addon_secrets.ca_from_secret(data).cert == ca.cert
    with pytest.raises(ValueError, match="ca.key"):
        addon_secrets.ca_from_secret({"ca.crt": data["ca.crt"]})


def test_descheduler_kubeconfig_points_at_the_namespace_apiserver() -> None:
    kubeconfig_secret, client_secret = addon_secrets.descheduler_secrets(CertificateAuthority.create("karmada"), "ks", "example.local")
    config = yaml.safe_load(_decoded(kubeconfig_secret, "kubeconfig"))
    assert config["clusters"][0]["cluster"]["server"] == render.apiserver_url("ks", "example.local")
    assert {"tls.crt", "tls.key", "ca.crt"} == set(client_secret["data"])


def test_the_estimator_manifest_is_filled_for_one_member() -> None:
    rendered = render.render_files(render.InitOptions(namespace="ks"), addon_files("karmada-scheduler-estimator"), b"", {"member_cluster_name": "m1"})
    text = yaml.safe_dump_all([r.obj for r in rendered])
    assert "{{" not in text
    deployment = next(r.obj for r in rendered if r.obj["kind"] == "Deployment")
    assert deployment["metadata"]["name"] == "karmada-scheduler-estimator-m1" and deployment["metadata"]["namespace"] == "ks"
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "member-kubeconfig")
    assert volume["secret"] == {"secretName": addon_secrets.member_kubeconfig_secret_name("m1"), "items": [{"key": "m1-kubeconfig", "path": "kubeconfig"}]}


@pytest.mark.parametrize(
    "args, message",
    [
        (["enable", "karmada-scheduler-estimator"], "-C/--cluster MEMBER --member-kubeconfig"),
        (["enable", "karmada-scheduler-estimator", "-C", "m1"], "--member-kubeconfig: the kubeconfig of member cluster m1"),
        (["enable", "karmada-descheduler", "-C", "m1"], "-C/--cluster is only for karmada-scheduler-estimator"),
        (["disable", "karmada-scheduler-estimator", "--force"], "give -C/--cluster MEMBER"),
    ],
)
def test_the_estimator_flags_are_checked_before_anything_is_read(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["addons", *args, "--kubeconfig", "/nonexistent"])
    assert result.exit_code == 2 and message in result.output, result.output
