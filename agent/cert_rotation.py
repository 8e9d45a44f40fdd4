"""certRotation (surfaces.md 5.7; off unless named in ``--controllers``): every
``--cert-rotation-checking-interval`` read the member Secret
``<--karmada-kubeconfig-namespace>/karmada-kubeconfig``; when the remaining share of its client
certificate's lifetime is at or below ``--cert-rotation-remaining-time-threshold``, make a new
ECDSA P-256 key, ask the control plane for a certificate with the old subject through a CSR
created with the agent's own identity (a self CSR the agent CSR approver allows), wait up to
5 minutes for it, and write the new certificate and key into that Secret. The running agent keeps
its credentials; the new ones apply when the Secret is read again (a restart)."""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import logging
import secrets
import time
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import Result, RetryableError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)

Obj = dict[str, Any]
SECRET_NAME = SECRET_KEY = "karmada-kubeconfig"
SIGNER = "kubernetes.io/kube-apiserver-client"
USAGES = ["digital signature", "key encipherment", "client auth"]
CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
ISSUE_TIMEOUT, ISSUE_POLL = 300.0, 1.0
_RANDOM_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String


class RotationError(RetryableError):
    """The Secret or its kubeconfig cannot be rotated; the message says why (never the key)."""


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(n))


def validity(cert_pem: bytes) -> tuple[datetime.datetime, datetime.datetime]:
    """(notBefore, notAfter) over the chain: the latest start and the earliest end."""
    certs = x509.load_pem_x509_certificates(cert_pem)
    return max(c.not_valid_before_utc for c in certs), min(c.not_valid_after_utc for c in certs)


def should_rotate(cert_pem: bytes, threshold: float, now: datetime.datetime) -> bool:
    """Whether remaining / total lifetime has fallen to ``threshold`` or below."""
    not_before, not_after = validity(cert_pem)
    total = (not_after - not_before).total_seconds()
    return total <= 0 or (not_after - now).total_seconds() / total <= threshold


def client_user(kubeconfig: Obj) -> tuple[str, Obj]:
    """The user of the current context, and its entry in ``users``."""
    current = kubeconfig.get("current-context") or ""
    context = next((c.get("context") or {} for c in kubeconfig.get("contexts") or [] if c.get("name") == current), None)
    user = (context or {}).get("user") or ""
    if not user:
        raise RotationError(f"failed to get cluster name, the current context is {current!r}")
    entry = next((u.get("user") for u in kubeconfig.get("users") or [] if u.get("name") == user), None)
    if not isinstance(entry, dict) or not entry.get("client-certificate-data"):
        raise RotationError(f"user {user!r} of the karmada kubeconfig has no client-certificate-data")
    return user, entry


def new_key_pem() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A new ECDSA P-256 key, PEM "EC PRIVATE KEY" as client-go's MakeEllipticPrivateKeyPEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())


def build_csr(user: str, key: ec.EllipticCurvePrivateKey, old_cert_pem: bytes) -> Obj:
    """CSR ``<user>-<5 random>`` for the old certificate's subject and lifetime."""
    old = x509.load_pem_x509_certificates(old_cert_pem)[0]
    request = x509.CertificateSigningRequestBuilder().subject_name(old.subject).sign(key, hashes.SHA256())
    lifetime = int((old.not_valid_after_utc - old.not_valid_before_utc).total_seconds())
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": f"{user}-{random_suffix()}"},
        "spec": {
            "request": base64.b64encode(request.public_bytes(serialization.Encoding.PEM)).decode(),
            "signerName": SIGNER,
            "expirationSeconds": lifetime,
            "usages": list(USAGES),
        },
    }


def with_new_credentials(kubeconfig: Obj, user: str, cert_pem: bytes, key_pem: bytes) -> Obj:
    out = copy.deepcopy(kubeconfig)
    for entry in out.get("users") or []:
        if entry.get("name") == user:
            entry["user"]["client-certificate-data"] = base64.b64encode(cert_pem).decode()
            entry["user"]["client-key-data"] = base64.b64encode(key_pem).decode()
    return out


def read_kubeconfig(secret: Obj) -> Obj:
    where = f"{secret['metadata'].get('namespace')}/{secret['metadata'].get('name')}"
    raw = (secret.get("data") or {}).get(SECRET_KEY)
    if not raw:
        raise RotationError(f"no karmada kubeconfig found in secret {where!r}")
    try:
        config = yaml.safe_load(base64.b64decode(raw))
    except (ValueError, yaml.YAMLError):
        raise RotationError(f"secret {where!r}: key {SECRET_KEY} is not a kubeconfig") from None
    if not isinstance(config, dict):
        raise RotationError(f"secret {where!r}: key {SECRET_KEY} is not a kubeconfig")
    return config


class CertRotationController:
    name = "certRotation"

    def __init__(
        self, control_plane: KubeClient, clusters: Informer, member: KubeClient, *, namespace: str, interval: float, threshold: float
    ) -> None:
        self.control_plane, self.clusters, self.member = control_plane, clusters, member
        self.namespace, self.interval, self.threshold = namespace, interval, threshold

    async def reconcile(self, key: tuple[str, str]) -> Result | None:
        cluster = self.clusters.get("", key[1])
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            return None
        secret = await self.member.get(f"/api/v1/namespaces/{self.namespace}/secrets/{SECRET_NAME}")
        await self.rotate(secret)
        return Result(requeue_after=self.interval)

    async def rotate(self, secret: Obj) -> bool:
        """Rotate when due; True when the Secret got a new certificate."""
        kubeconfig = read_kubeconfig(secret)
        user, entry = client_user(kubeconfig)
        old_cert = base64.b64decode(entry["client-certificate-data"])
        if not should_rotate(old_cert, self.threshold, datetime.datetime.now(datetime.timezone.utc)):
            return False
        key, key_pem = new_key_pem()
        csr = await self.control_plane.create(CSRS, build_csr(user, key, old_cert))
        name = csr["metadata"]["name"]
        log.info("certificate of %s is due for rotation: waiting for CSR %s to be issued", user, name)
        cert_pem = await self._issued(name)
        updated = copy.deepcopy(secret)
        updated["data"][SECRET_KEY] = base64.b64encode(yaml.safe_dump(with_new_credentials(kubeconfig, user, cert_pem, key_pem)).encode()).decode()
        await self.member.replace(f"/api/v1/namespaces/{secret['metadata']['namespace']}/secrets/{SECRET_NAME}", updated)
        log.info("certificate of %s rotated, valid until %s", user, validity(cert_pem)[1].isoformat())
        return True

    async def _issued(self, name: str) -> bytes:
        deadline = time.monotonic() + ISSUE_TIMEOUT
        while True:
            csr = await self.control_plane.get(f"{CSRS}/{name}")
            if cert := (csr.get("status") or {}).get("certificate"):
                return base64.b64decode(cert)
            if time.monotonic() > deadline:
                raise RotationError(f"CSR {name} was not issued within {ISSUE_TIMEOUT:.0f}s")
            await asyncio.sleep(ISSUE_POLL)
