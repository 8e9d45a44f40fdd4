"""Agent CertificateSigningRequests: what ``register`` asks for, and which requests the
``agentcsrapproving`` controller recognizes as an agent's (surfaces.md 4.6, 5.7)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pykarmada.karmada import constants as c

SIGNER = "kubernetes.io/kube-apiserver-client"
AGENT_GROUP = "system:karmada:agents"
AGENT_USER_PREFIX = "system:karmada:agent:"
RBAC_GENERATOR_USER = "system:karmada:agent:rbac-generator"
USAGES = ["digital signature", "key encipherment", "client auth"]
ALLOWED_USAGES = ({"digital signature", "key encipherment", "client auth"}, {"digital signature", "client auth"})
RSA_BITS = 3072
DEFAULT_EXPIRATION_SECONDS = 86400 * 365
CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
_RANDOM = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String alphabet


def agent_user(cluster: str) -> str:
    return AGENT_USER_PREFIX + cluster


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_RANDOM) for _ in range(n))


@dataclass(frozen=True)
class KeyAndRequest:
    key_pem: bytes
    csr_pem: bytes


def key_and_request(common_name: str, organizations: list[str], *, bits: int = RSA_BITS) -> KeyAndRequest:
    """A new RSA key and a PKCS#10 request for subject (CN, O...), no extensions."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    names = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), *(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations)]
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return KeyAndRequest(key_pem, request.public_bytes(serialization.Encoding.PEM))


def csr_object(name: str, csr_pem: bytes, *, expiration_seconds: int, usages: list[str] | None = None, signer: str = SIGNER) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name, "labels": {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}},
        "spec": {
            "request": base64.b64encode(csr_pem).decode(),
            "signerName": signer,
            "expirationSeconds": expiration_seconds,
            "usages": list(usages or USAGES),
        },
    }


class NotAgentCSR(ValueError):
    """Why a request is not an agent's."""


def parse_request(csr: dict[str, Any]) -> x509.CertificateSigningRequest:
    raw = base64.b64decode((csr.get("spec") or {}).get("request") or "")
    try:
        return x509.load_pem_x509_csr(raw)
    except ValueError as e:
        raise NotAgentCSR(f"spec.request is not a PEM certificate request: {e}") from None


def _subject(request: x509.CertificateSigningRequest, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in request.subject.get_attributes_for_oid(oid)]


def check_agent_request(request: x509.CertificateSigningRequest, usages: list[str]) -> None:
    """Raise NotAgentCSR unless the request is an agent's: Organization exactly
    [system:karmada:agents], no SANs of any kind, CN prefixed system:karmada:agent:, and usages
    {digital signature, (key encipherment,) client auth}."""
    if _subject(request, NameOID.ORGANIZATION_NAME) != [AGENT_GROUP]:
        raise NotAgentCSR(f"subject organization is not {AGENT_GROUP}")
    try:
        sans = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    if sans is not None:
        for kind, what in ((x509.DNSName, "DNS"), (x509.RFC822Name, "email"), (x509.IPAddress, "IP"), (x509.UniformResourceIdentifier, "URI")):
            if sans.get_values_for_type(kind):
                raise NotAgentCSR(f"{what} subjectAltNames are not allowed")
    common_names = _subject(request, NameOID.COMMON_NAME)
    if not common_names or not common_names[0].startswith(AGENT_USER_PREFIX):
        raise NotAgentCSR(f"subject common name does not begin with {AGENT_USER_PREFIX}")
    if set(usages) not in ALLOWED_USAGES:
        raise NotAgentCSR(f"usages did not match {sorted(ALLOWED_USAGES[0])}")


@dataclass(frozen=True)
class Permission:
    """The SubjectAccessReview resource attributes that approve a recognized request."""

    subresource: str
    message: str

    def attributes(self) -> dict[str, str]:
        return {"group": "certificates.k8s.io", "resource": "certificatesigningrequests", "verb": "create", "subresource": self.subresource, "version": "*"}


SELF = Permission("selfclusteragent", "Auto approving self karmada agent certificate after SubjectAccessReview.")
BOOTSTRAP = Permission("clusteragent", "Auto approving karmada agent certificate after SubjectAccessReview.")


def pending(csr: dict[str, Any]) -> bool:
    """Not yet approved, denied or issued."""
    status = csr.get("status") or {}
    if status.get("certificate"):
        return False
    return not any(x.get("type") in ("Approved", "Denied") for x in status.get("conditions") or [])


def permissions_to_try(csr: dict[str, Any]) -> list[Permission]:
    """The permissions to check, in order, for a pending agent CSR (self first); empty when it is
    not one. A self CSR is one its requester made for its own name."""
    spec = csr.get("spec") or {}
    if spec.get("signerName") != SIGNER or not pending(csr):
        return []
    try:
        request = parse_request(csr)
        check_agent_request(request, spec.get("usages") or [])
    except NotAgentCSR:
        return []
    is_self = spec.get("username") == _subject(request, NameOID.COMMON_NAME)[0]
    return [SELF, BOOTSTRAP] if is_self else [BOOTSTRAP]


def subject_access_review(csr: dict[str, Any], permission: Permission) -> dict[str, Any]:
    """The review asking whether the CSR's requester holds ``permission``."""
    spec = csr.get("spec") or {}
    review: dict[str, Any] = {"user": spec.get("username", ""), "groups": spec.get("groups") or [], "resourceAttributes": permission.attributes()}
    if spec.get("uid"):
        review["uid"] = spec["uid"]
    if spec.get("extra"):
        review["extra"] = spec["extra"]
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": review}


def approved(csr: dict[str, Any], permission: Permission, now: str) -> dict[str, Any]:
    """The CSR with condition Approved/AutoApproved added, for the ``approval`` subresource."""
    status = dict(csr.get("status") or {})
    condition = {"type": "Approved", "status": "True", "reason": "AutoApproved", "message": permission.message, "lastUpdateTime": now, "lastTransitionTime": now}
    status["conditions"] = [*(status.get("conditions") or []), condition]
    return {**csr, "status": status}
