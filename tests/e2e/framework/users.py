"""Kubeconfigs for other users of the control plane: a client certificate signed by its CA."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from pykarmada.certs import CertificateAuthority, KeyAndCert, issue_client_cert
from pykarmada.localup.state import Layout
from tests.e2e.framework.env import LocalEnv


def user_kubeconfig(env: LocalEnv, tmp_path: Path, user: str, *, server_path: str = "") -> str:
    """A kubeconfig for ``user``; ``server_path`` is appended to the server URL (a proxy)."""
    pki = Layout(env.state_dir).pki / "karmada"
    ca_pair = KeyAndCert.read(pki, "ca")
    cert = issue_client_cert(CertificateAuthority(ca_pair.key, ca_pair.cert), user)
    config = yaml.safe_load(Path(env.karmada_kubeconfig).read_text())
    config["users"][0]["user"] = {
        "client-certificate-data": base64.b64encode(cert.cert_pem).decode(),
        "client-key-data": base64.b64encode(cert.key_pem).decode(),
    }
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = cluster["cluster"]["server"].rstrip("/") + server_path
    path = tmp_path / f"{user}.config"
    path.write_text(yaml.safe_dump(config))
    return str(path)
