"""Which CertificateSigningRequests agentcsrapproving treats as an agent's (surfaces.md 5.7),
on requests built with ``cryptography``."""

from __future__ import annotations

import base64
import ipaddress
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pykarmada.karmada.bootstrap import csr as agent_csr

KEY = ec.generate_private_key(ec.SECP256R1())
USAGES = ["digital signature", "key encipherment", "client auth"]


def request(cn: str | None = "system:karmada:agent:member4", orgs: tuple[str, ...] = ("system:karmada:agents",), sans: list[x509.GeneralName] | None = None) -> bytes:
    names = ([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn is not None else []) + [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def csr(pem: bytes | None = None, *, signer: str = agent_csr.SIGNER, usages: list[str] | None = None, username: str = "system:bootstrap:abcdef", status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "x"},
        "spec": {
            "request": base64.b64encode(pem or request()).decode(),
            "signerName": signer,
            "usages": USAGES if usages is None else usages,
            "username": username,
            "groups": ["system:bootstrappers", "system:bootstrappers:karmada:default-cluster-token", "system:authenticated"],
        },
        "status": status or {},
    }


def test_an_agent_csr_posted_with_a_bootstrap_token_needs_clusteragent() -> None:
    assert agent_csr.permissions_to_try(csr()) == [agent_csr.BOOTSTRAP]


def test_a_self_csr_tries_selfclusteragent_first() -> None:
    self_csr = csr(username="system:karmada:agent:member4")
    assert agent_csr.permissions_to_try(self_csr) == [agent_csr.SELF, agent_csr.BOOTSTRAP]


def test_register_requests_are_agent_csrs() -> None:
    pair = agent_csr.key_and_request(agent_csr.RBAC_GENERATOR_USER, [agent_csr.AGENT_GROUP], bits=2048)
    obj = agent_csr.csr_object("agent-rbac-generator-member4abcde", pair.csr_pem, expiration_seconds=3600)
    obj["spec"]["username"] = "system:bootstrap:abcdef"
    assert obj["metadata"]["labels"] == {"karmada.io/system": "true"}
    assert obj["spec"]["usages"] == USAGES and obj["spec"]["expirationSeconds"] == 3600
    assert agent_csr.permissions_to_try(obj) == [agent_csr.BOOTSTRAP]
    parsed = x509.load_pem_x509_csr(pair.csr_pem)
    assert parsed.subject.rfc4514_string() == "O=system:karmada:agents,CN=system:karmada:agent:rbac-generator"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(csr(signer="kubernetes.io/kubelet-serving"), id="another signer"),
        pytest.param(csr(signer="example.com/custom"), id="a custom signer"),
        pytest.param(csr(request(orgs=("system:masters",))), id="another group"),
        pytest.param(csr(request(orgs=("system:karmada:agents", "system:masters"))), id="an extra group"),
        pytest.param(csr(request(orgs=())), id="no group"),
        pytest.param(csr(request(cn="system:admin")), id="another CN"),
        pytest.param(csr(request(cn="system:karmada:agentX")), id="a CN without the prefix colon"),
        pytest.param(csr(request(cn=None)), id="no CN"),
        pytest.param(csr(request(sans=[x509.DNSName("example.com")])), id="a DNS SAN"),
        pytest.param(csr(request(sans=[x509.RFC822Name("a@example.com")])), id="an email SAN"),
        pytest.param(csr(request(sans=[x509.IPAddress(ipaddress.ip_address("10.0.0.1"))])), id="an IP SAN"),
        pytest.param(csr(request(sans=[x509.UniformResourceIdentifier("spiffe://x")])), id="a URI SAN"),
        pytest.param(csr(usages=["digital signature", "key encipherment", "client auth", "server auth"]), id="server auth too"),
        pytest.param(csr(usages=["client auth"]), id="too few usages"),
        pytest.param(csr(usages=[]), id="no usages"),
        pytest.param(csr(status={"conditions": [{"type": "Approved", "status": "True"}]}), id="approved already"),
        pytest.param(csr(status={"conditions": [{"type": "Denied", "status": "True"}]}), id="denied"),
        pytest.param(csr(status={"certificate": "Y2VydA=="}), id="issued"),
        pytest.param({"metadata": {"name": "x"}, "spec": {"signerName": agent_csr.SIGNER, "request": base64.b64encode(b"junk").decode(), "usages": USAGES}}, id="not a PEM request"),
    ],
)
def test_nothing_else_is_approved(case: dict[str, Any]) -> None:
    assert agent_csr.permissions_to_try(case) == []


def test_usages_without_key_encipherment_are_fine() -> None:
    assert agent_csr.permissions_to_try(csr(usages=["client auth", "digital signature"])) == [agent_csr.BOOTSTRAP]


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (request(orgs=("other",)), "organization is not system:karmada:agents"),
        (request(sans=[x509.DNSName("a")]), "DNS subjectAltNames"),
        (request(cn="x"), "common name does not begin with system:karmada:agent:"),
    ],
)
def test_the_reason_is_named(pem: bytes, message: str) -> None:
    with pytest.raises(agent_csr.NotAgentCSR, match=message):
        agent_csr.check_agent_request(x509.load_pem_x509_csr(pem), USAGES)


def test_review_is_for_the_requester() -> None:
    obj = csr(username="system:karmada:agent:member4")
    obj["spec"]["uid"] = "u-1"
    obj["spec"]["extra"] = {"k": ["v"]}
    review = agent_csr.subject_access_review(obj, agent_csr.SELF)
    assert review["spec"] == {
        "user": "system:karmada:agent:member4",
        "uid": "u-1",
        "groups": obj["spec"]["groups"],
        "extra": {"k": ["v"]},
        "resourceAttributes": {"group": "certificates.k8s.io", "resource": "certificatesigningrequests", "verb": "create", "subresource": "selfclusteragent", "version": "*"},
    }


def test_approval_appends_the_condition() -> None:
    approved = agent_csr.approved(csr(), agent_csr.BOOTSTRAP, "2026-01-01T00:00:00Z")
    assert approved["status"]["conditions"] == [
        {"type": "Approved", "status": "True", "reason": "AutoApproved", "message": "Auto approving karmada agent certificate after SubjectAccessReview.",
         "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    ]
    assert not agent_csr.pending(approved)
