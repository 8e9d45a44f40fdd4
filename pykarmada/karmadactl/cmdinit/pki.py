"""The certificates ``init`` makes for a control plane in a host cluster, with upstream init's
file names (``ca``, ``etcd-ca``, ``etcd-server``, ``etcd-client``, ``karmada``, ``apiserver``,
``front-proxy-ca``, ``front-proxy-client``) and one more pair per identity of ours.

Kept as ``name -> PEM bytes`` so that rendering is a pure function of them; ``write`` puts them
under ``--karmada-pki``.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pykarmada.certs import CertificateAuthority, KeyAndCert, issue_client_cert, issue_serving_cert, new_service_account_key
from pykarmada.certs.ca import key_to_pem, write_private

ETCD_SERVICE = "etcd"
APISERVER_SERVICE = "karmada-apiserver"
AGGREGATOR_SERVICE = "karmada-aggregated-apiserver"
WEBHOOK_SERVICE = "karmada-webhook"
# The client identities, as local-up gives them (pykarmada/localup/pki.py): name -> (user, groups).
CLIENTS = {
    "karmada": ("system:admin", ("system:masters",)),  # karmada-apiserver.config (upstream's admin)
    "etcd-client": ("karmada-etcd-client", ()),
    "front-proxy-client": ("front-proxy-client", ()),
    "kube-controller-manager": ("system:kube-controller-manager", ()),
    "karmada-controller-manager": ("system:karmada:karmada-controller-manager", ("system:masters",)),
    "karmada-aggregated-apiserver-client": ("system:karmada:karmada-aggregated-apiserver", ()),
    "apiserver-webhook-client": ("kube-apiserver-webhook-client", ()),
}


def service_names(service: str, namespace: str, domain: str) -> list[str]:
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.{domain}"]


def _put(files: dict[str, bytes], name: str, pair: KeyAndCert) -> None:
    files[f"{name}.crt"] = pair.cert_pem
    files[f"{name}.key"] = pair.key_pem


def generate(namespace: str, *, domain: str, ips: list[str], dns_names: list[str]) -> dict[str, bytes]:
    """Every certificate and key of one installation. ``ips``/``dns_names``: where clients reach
    karmada-apiserver from outside the host cluster (advertise address, --cert-external-ip/-dns)."""
    files: dict[str, bytes] = {}
    ca = CertificateAuthority.create("karmada")
    etcd_ca = CertificateAuthority.create("etcd-ca")
    front_proxy_ca = CertificateAuthority.create("front-proxy-ca")
    for name, authority in (("ca", ca), ("etcd-ca", etcd_ca), ("front-proxy-ca", front_proxy_ca)):
        _put(files, name, authority)
    etcd_dns = ["localhost", *service_names(ETCD_SERVICE, namespace, domain), f"*.{ETCD_SERVICE}.{namespace}.svc.{domain}"]
    _put(files, "etcd-server", issue_serving_cert(etcd_ca, "karmada-etcd-server", dns_names=etcd_dns, ip_addresses=["127.0.0.1"], client_auth=True))
    apiserver_dns = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", *service_names(APISERVER_SERVICE, namespace, domain), *dns_names]
    apiserver_ips = ["127.0.0.1", "10.96.0.1", *ips]
    _put(files, "apiserver", issue_serving_cert(ca, "karmada-apiserver", dns_names=_unique(apiserver_dns), ip_addresses=_unique(apiserver_ips)))
    for server in (AGGREGATOR_SERVICE, WEBHOOK_SERVICE):
        _put(files, server, issue_serving_cert(ca, server, dns_names=service_names(server, namespace, domain)))
    for name, (user, groups) in CLIENTS.items():
        issuer = {"etcd-client": etcd_ca, "front-proxy-client": front_proxy_ca}.get(name, ca)
        _put(files, name, issue_client_cert(issuer, user, groups))
    sa = new_service_account_key()
    files["sa.key"] = key_to_pem(sa)
    files["sa.pub"] = sa.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return files


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def write(files: dict[str, bytes], directory: Path) -> list[Path]:
    """Write every file (keys mode 0600); returns what was written, for a clean-up after a failure."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        path = directory / name
        if name.endswith(".key"):
            write_private(path, data)
        else:
            path.write_bytes(data)
        written.append(path)
    return written
