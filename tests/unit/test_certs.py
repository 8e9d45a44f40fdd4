"""Certificates: chains, SANs and key usages, and real TLS handshakes that accept or refuse them."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pykarmada.certs import CertificateAuthority, KeyAndCert, issue_client_cert, issue_serving_cert

DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("test-ca")


@pytest.fixture(scope="module")
def other_ca() -> CertificateAuthority:
    return CertificateAuthority.create("other-ca")


def _verify_signed_by(leaf: x509.Certificate, ca: CertificateAuthority) -> None:
    leaf.verify_directly_issued_by(ca.cert)


def test_ca_is_a_ca(ca: CertificateAuthority) -> None:
    bc = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ca.cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    assert ca.cert.subject == ca.cert.issuer


def test_serving_cert_chain_sans_and_usages(ca: CertificateAuthority) -> None:
    leaf = issue_serving_cert(ca, "kube-apiserver", dns_names=["localhost", "kubernetes.default.svc"], ip_addresses=["127.0.0.1", "10.96.0.1"])
    _verify_signed_by(leaf.cert, ca)
    sans = leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "kubernetes.default.svc"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.96.0.1")]
    eku = leaf.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not leaf.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_serving_cert_for_peers_has_both_usages(ca: CertificateAuthority) -> None:
    leaf = issue_serving_cert(ca, "etcd", ip_addresses=["127.0.0.1"], client_auth=True)
    eku = leaf.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}


def test_serving_cert_needs_a_name(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="at least one DNS name or IP"):
        issue_serving_cert(ca, "nameless")


def test_client_cert_carries_kubernetes_identity(ca: CertificateAuthority) -> None:
    leaf = issue_client_cert(ca, "system:admin", ["system:masters", "team-a"])
    _verify_signed_by(leaf.cert, ca)
    assert leaf.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "system:admin"
    assert [a.value for a in leaf.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["system:masters", "team-a"]
    eku = leaf.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_wrong_ca_does_not_verify(ca: CertificateAuthority, other_ca: CertificateAuthority) -> None:
    leaf = issue_client_cert(other_ca, "mallory")
    with pytest.raises((ValueError, InvalidSignature)):
        _verify_signed_by(leaf.cert, ca)


def test_write_and_read_back(tmp_path: Path, ca: CertificateAuthority) -> None:
    leaf = issue_client_cert(ca, "u")
    cert_path, key_path = leaf.write(tmp_path, "u")
    assert key_path.stat().st_mode & 0o777 == 0o600
    again = KeyAndCert.read(tmp_path, "u")
    assert again.cert == leaf.cert and again.key_pem == leaf.key_pem
    reused = CertificateAuthority.load_or_create(tmp_path, "ca", "x")
    assert CertificateAuthority.load_or_create(tmp_path, "ca", "x").cert == reused.cert


# ---- real TLS handshakes -------------------------------------------------------------------


def _server_context(tmp_path: Path, server: KeyAndCert, client_ca: CertificateAuthority) -> ssl.SSLContext:
    cert, key = server.write(tmp_path, "server")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(cadata=client_ca.cert_pem.decode())
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _client_context(tmp_path: Path, trust: CertificateAuthority, client: KeyAndCert | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=trust.cert_pem.decode())
    if client is not None:
        cert, key = client.write(tmp_path, "client")
        ctx.load_cert_chain(cert, key)
    return ctx


async def _handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, host: str = "localhost") -> bytes:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx, server_hostname=host)
        data = await reader.read(2)
        writer.close()
        return data
    finally:
        server.close()


def _serving(ca: CertificateAuthority, **kw: object) -> KeyAndCert:
    return issue_serving_cert(ca, "server", dns_names=["localhost"], ip_addresses=["127.0.0.1"], **kw)  # type: ignore[arg-type]


def test_tls_handshake_succeeds_with_right_chain(tmp_path: Path, ca: CertificateAuthority) -> None:
    server = _server_context(tmp_path, _serving(ca), ca)
    client = _client_context(tmp_path, ca, issue_client_cert(ca, "alice"))
    assert asyncio.run(_handshake(server, client)) == b"ok"


@pytest.mark.parametrize(
    "case",
    ["server-from-other-ca", "client-from-other-ca", "expired-server", "expired-client", "not-yet-valid-server", "wrong-hostname", "no-client-cert"],
)
def test_tls_handshake_refuses_bad_certificates(tmp_path: Path, ca: CertificateAuthority, other_ca: CertificateAuthority, case: str) -> None:
    past = datetime.datetime.now(datetime.timezone.utc) - 10 * DAY
    future = datetime.datetime.now(datetime.timezone.utc) + 10 * DAY
    server_cert = _serving(ca)
    client_cert: KeyAndCert | None = issue_client_cert(ca, "alice")
    host = "localhost"
    if case == "server-from-other-ca":
        server_cert = _serving(other_ca)
    elif case == "client-from-other-ca":
        client_cert = issue_client_cert(other_ca, "mallory")
    elif case == "expired-server":
        server_cert = _serving(ca, not_before=past, validity=DAY)
    elif case == "expired-client":
        client_cert = issue_client_cert(ca, "alice", not_before=past, validity=DAY)
    elif case == "not-yet-valid-server":
        server_cert = _serving(ca, not_before=future)
    elif case == "wrong-hostname":
        host = "evil.example"
    elif case == "no-client-cert":
        client_cert = None
    server = _server_context(tmp_path, server_cert, ca)
    client = _client_context(tmp_path, ca, client_cert)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        data = asyncio.run(_handshake(server, client, host))
        # TLS 1.3 reports a refused client certificate on the first read, not in the handshake.
        if data != b"ok":
            raise ConnectionError("server closed the connection")
