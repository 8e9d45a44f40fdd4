"""Certificates for every TLS endpoint: certificate authorities, serving and client certificates,
and the service-account signing key pair. Built on ``cryptography``; nothing here touches the network."""

from pykarmada.certs.ca import CertificateAuthority, KeyAndCert
from pykarmada.certs.issue import (
    issue_client_cert,
    issue_serving_cert,
    new_service_account_key,
)

__all__ = [
    "CertificateAuthority",
    "KeyAndCert",
    "issue_client_cert",
    "issue_serving_cert",
    "new_service_account_key",
]
