"""The certificates of a local environment, made once and reused on later starts.

One CA for etcd, and per cluster (control plane and each member) its own CA, the kube-apiserver
serving certificate, client certificates for each component that talks to it, the
service-account key pair, and (control plane only) the front-proxy CA and client used by the API
aggregation layer. Every file sits under ``<state>/pki/<cluster>/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pykarmada.certs import CertificateAuthority, KeyAndCert, issue_client_cert, issue_serving_cert
from pykarmada.certs.ca import key_to_pem, write_private
from pykarmada.certs.issue import new_service_account_key

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = ("127.0.0.1", "::1")
# The in-cluster names of the API server, and the first IP of the service CIDR (10.96.0.0/12).
APISERVER_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
APISERVER_SERVICE_IP = "10.96.0.1"

# (file name, user, groups) of the client certificates every cluster gets.
CLIENTS = (
    ("admin", "system:admin", ("system:masters",)),
    ("kube-controller-manager", "system:kube-controller-manager", ()),
    ("kube-scheduler", "system:kube-scheduler", ()),
    ("kwok", "kwok-controller", ("system:masters",)),
    ("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",)),
    # What kube-apiserver presents to admission webhooks (our webhook server requires it).
    ("apiserver-webhook-client", "kube-apiserver-webhook-client", ()),
)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _pair(directory: Path, name: str) -> Pair:
    return Pair(directory / f"{name}.crt", directory / f"{name}.key")


def _ensure_leaf(directory: Path, name: str, make: Callable[[], KeyAndCert]) -> Pair:
    pair = _pair(directory, name)
    if not (pair.cert.exists() and pair.key.exists()):
        make().write(directory, name)
    return pair


@dataclass(frozen=True)
class EtcdPki:
    ca: Path
    server: Pair
    client: Pair  # used by every kube-apiserver


@dataclass(frozen=True)
class ClusterPki:
    directory: Path
    ca: Pair
    apiserver: Pair
    clients: dict[str, Pair]
    serving: dict[str, Pair]  # component -> its serving certificate (kwok's is the kubelet endpoint's)
    sa_key: Path
    sa_pub: Path
    front_proxy_ca: Pair | None
    front_proxy_client: Pair | None


def ensure_etcd_pki(root: Path) -> EtcdPki:
    d = root / "etcd"
    ca = CertificateAuthority.load_or_create(d, "ca", "etcd-ca")
    server = _ensure_leaf(
        d, "server", lambda: issue_serving_cert(ca, "etcd", dns_names=LOOPBACK_NAMES, ip_addresses=LOOPBACK_IPS, client_auth=True)
    )
    client = _ensure_leaf(d, "client", lambda: issue_client_cert(ca, "kube-apiserver-etcd-client"))
    return EtcdPki(ca=d / "ca.crt", server=server, client=client)


# Identities of our own components in the control plane (RBAC binds these users).
CONTROL_PLANE_CLIENTS = (
    ("karmada-aggregated-apiserver", "system:karmada:karmada-aggregated-apiserver", ()),
    # The controllers create and update objects of every kind in the control plane.
    ("karmada-controller-manager", "system:karmada:karmada-controller-manager", ("system:masters",)),
)

# Our own servers in the control plane, with the in-cluster Service names they are dialled by
# (the aggregation layer checks <service>.<namespace>.svc) besides loopback.
KARMADA_SERVERS = {
    "karmada-aggregated-apiserver": "karmada-system",
    "karmada-webhook": "karmada-system",
}
# Further Services that reach the same server: the aggregated API server also serves karmada-search.
SERVER_ALIASES = {"karmada-aggregated-apiserver": ("karmada-search",)}


def _service_names(service: str, namespace: str) -> tuple[str, ...]:
    return (service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local")


def ensure_cluster_pki(root: Path, cluster: str, *, control_plane: bool) -> ClusterPki:
    """Certificates of one cluster; the control plane also gets the front-proxy CA and client and
    the serving certificates of Karmada's servers."""
    d = root / cluster
    ca = CertificateAuthority.load_or_create(d, "ca", f"{cluster}-ca")
    apiserver = _ensure_leaf(
        d,
        "apiserver",
        lambda: issue_serving_cert(
            ca,
            "kube-apiserver",
            dns_names=LOOPBACK_NAMES + APISERVER_NAMES,
            ip_addresses=LOOPBACK_IPS + (APISERVER_SERVICE_IP,),
        ),
    )
    clients = {
        name: _ensure_leaf(d, name, lambda user=user, groups=groups: issue_client_cert(ca, user, groups))
        for name, user, groups in CLIENTS + (CONTROL_PLANE_CLIENTS if control_plane else ())
    }
    serving = {
        name: _ensure_leaf(
            d, f"{name}-serving", lambda name=name: issue_serving_cert(ca, name, dns_names=LOOPBACK_NAMES, ip_addresses=LOOPBACK_IPS)
        )
        for name in ("kube-controller-manager", "kube-scheduler", "kwok")
    }
    if control_plane:
        for name, namespace in KARMADA_SERVERS.items():
            serving[name] = _ensure_leaf(
                d,
                f"{name}-serving",
                lambda name=name, namespace=namespace: issue_serving_cert(
                    ca,
                    name,
                    dns_names=LOOPBACK_NAMES + tuple(n for svc in (name, *SERVER_ALIASES.get(name, ())) for n in _service_names(svc, namespace)),
                    ip_addresses=LOOPBACK_IPS,
                ),
            )
    sa_key, sa_pub = d / "sa.key", d / "sa.pub"
    if not (sa_key.exists() and sa_pub.exists()):
        key = new_service_account_key()
        write_private(sa_key, key_to_pem(key))
        sa_pub.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    fp_ca = fp_client = None
    if control_plane:
        proxy_ca = CertificateAuthority.load_or_create(d, "front-proxy-ca", "front-proxy-ca")
        fp_ca = _pair(d, "front-proxy-ca")
        fp_client = _ensure_leaf(d, "front-proxy-client", lambda: issue_client_cert(proxy_ca, "front-proxy-client"))
    return ClusterPki(
        directory=d,
        ca=_pair(d, "ca"),
        apiserver=apiserver,
        clients=clients,
        serving=serving,
        sa_key=sa_key,
        sa_pub=sa_pub,
        front_proxy_ca=fp_ca,
        front_proxy_client=fp_client,
    )


ESTIMATOR = "karmada-scheduler-estimator"
ESTIMATOR_CLIENT = "karmada-scheduler-estimator-client"


@dataclass(frozen=True)
class EstimatorPki:
    ca: Path  # signs both sides: the estimators' serving and the callers' client certificates
    serving: dict[str, Pair]  # member -> its estimator's serving certificate
    client: Pair  # what the scheduler and the descheduler present


def ensure_estimator_pki(root: Path, members: list[str]) -> EstimatorPki:
    """Certificates of the members' scheduler-estimators, from the control plane's CA (they are
    Karmada's components, dialled by the control plane's scheduler and descheduler)."""
    d = root / "karmada"
    ca = CertificateAuthority.load_or_create(d, "ca", "karmada-ca")
    serving = {
        m: _ensure_leaf(
            d,
            f"{ESTIMATOR}-{m}-serving",
            lambda m=m: issue_serving_cert(
                ca, f"{ESTIMATOR}-{m}", dns_names=LOOPBACK_NAMES + _service_names(f"{ESTIMATOR}-{m}", "karmada-system"), ip_addresses=LOOPBACK_IPS
            ),
        )
        for m in members
    }
    client = _ensure_leaf(d, ESTIMATOR_CLIENT, lambda: issue_client_cert(ca, f"system:karmada:{ESTIMATOR_CLIENT}"))
    return EstimatorPki(ca=d / "ca.crt", serving=serving, client=client)
