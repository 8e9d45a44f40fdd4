"""The host Secrets the optional components mount, which ``init`` does not make: ``addons enable``
issues them from the CA in Secret karmada-cert.

* karmada-scheduler-estimator: ``karmada-scheduler-estimator-cert`` (one serving certificate for
  every member's estimator Service, ``*.<namespace>.svc``; ``ca.crt`` is the CA whose client
  certificates it accepts) and, per member, ``<member>-kubeconfig`` (key ``<member>-kubeconfig``,
  as upstream's addon writes it) with the member kubeconfig given on the command line.
* karmada-descheduler: ``karmada-descheduler-kubeconfig`` (its control-plane identity) and
  ``karmada-descheduler-estimator-client`` (its client certificate for the estimators).

Pure functions of their inputs: the command decides which exist already.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pykarmada.certs import CertificateAuthority, issue_client_cert, issue_serving_cert
from pykarmada.karmadactl.cmdinit.render import apiserver_url, kubeconfig_yaml, secret_object

ESTIMATOR_CERT_SECRET = "karmada-scheduler-estimator-cert"
DESCHEDULER_KUBECONFIG_SECRET = "karmada-descheduler-kubeconfig"
DESCHEDULER_ESTIMATOR_CLIENT_SECRET = "karmada-descheduler-estimator-client"
DESCHEDULER_USER = ("system:karmada:karmada-descheduler", ("system:masters",))  # as the controller process's identity
ESTIMATOR_CLIENT_USER = "karmada-scheduler-estimator-client"


def member_kubeconfig_secret_name(cluster: str) -> str:
    return f"{cluster}-kubeconfig"


def ca_from_secret(data: Mapping[str, str]) -> CertificateAuthority:
    """The CA of Secret karmada-cert's ``ca.crt``/``ca.key``; ValueError naming what is missing."""
    missing = [k for k in ("ca.crt", "ca.key") if k not in data]
    if missing:
        raise ValueError(f"Secret karmada-cert has no {' or '.join(missing)}: was this control plane installed by karmadactl init?")
    key = serialization.load_pem_private_key(base64.b64decode(data["ca.key"]), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("Secret karmada-cert: ca.key is not an EC private key")
    return CertificateAuthority(key, x509.load_pem_x509_certificate(base64.b64decode(data["ca.crt"])))


def estimator_cert_secret(ca: CertificateAuthority, namespace: str, domain: str) -> dict[str, Any]:
    server = issue_serving_cert(ca, "karmada-scheduler-estimator", dns_names=[f"*.{namespace}.svc", f"*.{namespace}.svc.{domain}", "localhost"], ip_addresses=["127.0.0.1"])
    return secret_object(ESTIMATOR_CERT_SECRET, namespace, {"tls.crt": server.cert_pem, "tls.key": server.key_pem, "ca.crt": ca.cert_pem})


def member_kubeconfig_secret(cluster: str, namespace: str, kubeconfig: bytes) -> dict[str, Any]:
    name = member_kubeconfig_secret_name(cluster)
    return secret_object(name, namespace, {name: kubeconfig})


def descheduler_secrets(ca: CertificateAuthority, namespace: str, domain: str) -> list[dict[str, Any]]:
    user, groups = DESCHEDULER_USER
    identity = issue_client_cert(ca, user, groups)
    files = {"ca.crt": ca.cert_pem, "descheduler.crt": identity.cert_pem, "descheduler.key": identity.key_pem}
    client = issue_client_cert(ca, ESTIMATOR_CLIENT_USER)
    return [
        secret_object(DESCHEDULER_KUBECONFIG_SECRET, namespace, {"kubeconfig": kubeconfig_yaml(apiserver_url(namespace, domain), files, "descheduler")}),
        secret_object(DESCHEDULER_ESTIMATOR_CLIENT_SECRET, namespace, {"tls.crt": client.cert_pem, "tls.key": client.key_pem, "ca.crt": ca.cert_pem}),
    ]
