"""certRotation's pure steps: when to rotate, the CSR it asks for, the kubeconfig it writes."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509

from pykarmada.agent.cert_rotation import RotationError, build_csr, client_user, new_key_pem, read_kubeconfig, should_rotate, with_new_credentials
from pykarmada.certs import CertificateAuthority, issue_client_cert

NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority.load_or_create(tmp_path_factory.mktemp("ca"), "ca", "test-ca")


def _cert(ca: CertificateAuthority, *, started: datetime.timedelta, lifetime: datetime.timedelta) -> bytes:
    pair = issue_client_cert(ca, "system:karmada:agent:member3", ["system:karmada:agents"], validity=lifetime, not_before=NOW - started)
    return pair.cert_pem


def test_rotates_at_or_below_the_remaining_share(ca: CertificateAuthority) -> None:
    young = _cert(ca, started=datetime.timedelta(hours=1), lifetime=datetime.timedelta(hours=10))
    old = _cert(ca, started=datetime.timedelta(hours=9), lifetime=datetime.timedelta(hours=10))
    assert not should_rotate(young, 0.2, NOW)
    assert should_rotate(old, 0.2, NOW)
    assert should_rotate(young, 0.95, NOW)


def test_the_csr_keeps_the_old_subject_and_lifetime(ca: CertificateAuthority) -> None:
    old = _cert(ca, started=datetime.timedelta(hours=9), lifetime=datetime.timedelta(hours=10))
    key, key_pem = new_key_pem()
    csr = build_csr("member3", key, old)
    assert csr["metadata"]["name"].startswith("member3-") and len(csr["metadata"]["name"]) == len("member3-") + 5
    spec = csr["spec"]
    assert spec["signerName"] == "kubernetes.io/kube-apiserver-client"
    assert spec["usages"] == ["digital signature", "key encipherment", "client auth"]
    assert spec["expirationSeconds"] == 10 * 3600
    request = x509.load_pem_x509_csr(base64.b64decode(spec["request"]))
    assert request.subject == x509.load_pem_x509_certificate(old).subject
    assert request.public_key().public_numbers() == key.public_key().public_numbers()
    assert key_pem.startswith(b"-----BEGIN EC PRIVATE KEY-----")


def _kubeconfig(cert: bytes) -> dict:
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "member3@karmada-apiserver",
        "clusters": [{"name": "karmada-apiserver", "cluster": {"server": "https://cp:5443"}}],
        "contexts": [{"name": "member3@karmada-apiserver", "context": {"cluster": "karmada-apiserver", "user": "member3"}}],
        "users": [{"name": "member3", "user": {"client-certificate-data": base64.b64encode(cert).decode(), "client-key-data": "b2xk"}}],
    }


def test_the_new_credentials_replace_the_current_users(ca: CertificateAuthority) -> None:
    config = _kubeconfig(b"old-cert")
    user, entry = client_user(config)
    assert user == "member3" and entry["client-key-data"] == "b2xk"
    out = with_new_credentials(config, user, b"new-cert", b"new-key")
    assert base64.b64decode(out["users"][0]["user"]["client-certificate-data"]) == b"new-cert"
    assert base64.b64decode(out["users"][0]["user"]["client-key-data"]) == b"new-key"
    assert config["users"][0]["user"]["client-key-data"] == "b2xk"


def test_a_secret_without_a_kubeconfig_is_an_error_naming_it() -> None:
    with pytest.raises(RotationError, match="karmada-system/karmada-kubeconfig"):
        read_kubeconfig({"metadata": {"namespace": "karmada-system", "name": "karmada-kubeconfig"}, "data": {}})
    with pytest.raises(RotationError, match="current context"):
        client_user({"current-context": "nope", "contexts": []})
