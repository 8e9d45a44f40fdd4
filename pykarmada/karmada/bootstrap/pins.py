"""CA public-key pins (``--discovery-token-ca-cert-hash``): ``sha256:<hex>`` of a certificate's
DER SubjectPublicKeyInfo, as kubeadm's pubkeypin computes them."""

from __future__ import annotations

import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

_PIN_RE = re.compile(r"\A[0-9a-f]{64}\Z")


class PinError(ValueError):
    """A pin that is not ``sha256:<64 hex>``, or CA certificates that match no pin."""


def spki_hash(cert: x509.Certificate) -> str:
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def parse_pins(values: list[str]) -> set[str]:
    """Normalized pins (``sha256:<lower-case hex>``); the format name is case-insensitive."""
    pins = set()
    for value in values:
        kind, sep, digest = value.partition(":")
        if not sep:
            raise PinError(f"invalid discovery token CA certificate hash {value!r}: expected \"sha256:<hex>\"")
        if kind.lower() != "sha256":
            raise PinError(f"invalid discovery token CA certificate hash {value!r}: unknown hash type {kind!r} (only sha256)")
        if not _PIN_RE.match(digest.lower()):
            raise PinError(f"invalid discovery token CA certificate hash {value!r}: expected 64 hex digits after sha256:")
        pins.add("sha256:" + digest.lower())
    return pins


def load_certs(pem: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise PinError(f"cannot parse the CA certificates: {e}") from None
    return certs


def ca_pins(pem: bytes) -> list[str]:
    """The pin of each certificate of a PEM bundle, in its order."""
    return [spki_hash(cert) for cert in load_certs(pem)]


def check_any(pem: bytes, pins: set[str]) -> None:
    """Accept when any CA certificate of ``pem`` is pinned."""
    hashes = ca_pins(pem)
    if not any(h in pins for h in hashes):
        raise PinError(f"none of the public keys {hashes} are pinned")
