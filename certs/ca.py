"""Certificate authorities and the key/certificate pairs they sign."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_VALIDITY = datetime.timedelta(days=3650)
# Back-date NotBefore a little so that clocks which are slightly behind accept fresh certificates.
CLOCK_SKEW = datetime.timedelta(minutes=5)

PrivateKey = ec.EllipticCurvePrivateKey


def new_private_key() -> PrivateKey:
    """An ECDSA P-256 key: accepted by etcd, kube-apiserver and browsers, and fast to generate."""
    return ec.generate_private_key(ec.SECP256R1())


def key_to_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable only by its owner (keys, kubeconfigs with credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


@dataclass(frozen=True)
class KeyAndCert:
    """A private key with its certificate (a leaf, or a CA's self-signed one)."""

    key: PrivateKey
    cert: x509.Certificate

    @property
    def key_pem(self) -> bytes:
        return key_to_pem(self.key)

    @property
    def cert_pem(self) -> bytes:
        return cert_to_pem(self.cert)

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.crt`` and ``<name>.key`` (mode 0600); returns (cert path, key path)."""
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        directory.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(self.cert_pem)
        write_private(key_path, self.key_pem)
        return cert_path, key_path

    @classmethod
    def read(cls, directory: Path, name: str) -> KeyAndCert:
        key = serialization.load_pem_private_key((directory / f"{name}.key").read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{directory / name}.key: expected an EC private key")
        cert = x509.load_pem_x509_certificate((directory / f"{name}.crt").read_bytes())
        return cls(key, cert)


@dataclass(frozen=True)
class CertificateAuthority(KeyAndCert):
    """A self-signed CA that signs leaf certificates (``pykarmada.certs.issue``)."""

    @classmethod
    def create(cls, common_name: str, *, validity: datetime.timedelta = CA_VALIDITY) -> CertificateAuthority:
        key = new_private_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @classmethod
    def load_or_create(cls, directory: Path, name: str, common_name: str) -> CertificateAuthority:
        """Reuse ``<name>.crt``/``<name>.key`` in ``directory`` if present, else create and write them."""
        if (directory / f"{name}.crt").exists() and (directory / f"{name}.key").exists():
            pair = KeyAndCert.read(directory, name)
            return cls(pair.key, pair.cert)
        ca = cls.create(common_name)
        ca.write(directory, name)
        return ca
