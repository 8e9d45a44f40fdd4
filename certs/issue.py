"""Leaf certificates signed by a :class:`CertificateAuthority`.

Serving certificates carry the ``serverAuth`` usage and the DNS names and IPs clients dial; client
certificates carry ``clientAuth`` with the Kubernetes identity in the subject (CN = user,
O = groups), which is how kube-apiserver's x509 authenticator reads them.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pykarmada.certs.ca import CLOCK_SKEW, CertificateAuthority, KeyAndCert, PrivateKey, new_private_key

LEAF_VALIDITY = datetime.timedelta(days=365)


def _sign(
    ca: CertificateAuthority,
    subject: x509.Name,
    usages: Sequence[x509.ObjectIdentifier],
    *,
    sans: list[x509.GeneralName] | None,
    validity: datetime.timedelta,
    not_before: datetime.datetime | None,
) -> KeyAndCert:
    key = new_private_key()
    start = not_before or datetime.datetime.now(datetime.timezone.utc) - CLOCK_SKEW
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return KeyAndCert(key, builder.sign(ca.key, hashes.SHA256()))


def issue_serving_cert(
    ca: CertificateAuthority,
    common_name: str,
    *,
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[str] = (),
    client_auth: bool = False,
    validity: datetime.timedelta = LEAF_VALIDITY,
    not_before: datetime.datetime | None = None,
) -> KeyAndCert:
    """A TLS server certificate valid for ``dns_names`` and ``ip_addresses``.

    ``client_auth`` adds the clientAuth usage too, for peers that dial each other (etcd).
    """
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if not sans:
        raise ValueError("a serving certificate needs at least one DNS name or IP address")
    usages = [ExtendedKeyUsageOID.SERVER_AUTH]
    if client_auth:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return _sign(ca, subject, usages, sans=sans, validity=validity, not_before=not_before)


def issue_client_cert(
    ca: CertificateAuthority,
    user: str,
    groups: Sequence[str] = (),
    *,
    validity: datetime.timedelta = LEAF_VALIDITY,
    not_before: datetime.datetime | None = None,
) -> KeyAndCert:
    """A TLS client certificate for Kubernetes user ``user`` in ``groups``."""
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
    return _sign(
        ca,
        x509.Name(attrs),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        sans=None,
        validity=validity,
        not_before=not_before,
    )


def new_service_account_key() -> PrivateKey:
    """The key pair kube-apiserver signs service-account tokens with (ES256)."""
    return new_private_key()
