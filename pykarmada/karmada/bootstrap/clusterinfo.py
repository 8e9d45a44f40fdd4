"""``kube-public/cluster-info``: the one-cluster kubeconfig a member reads anonymously before it
trusts the control plane, and the kubeconfigs register writes (surfaces.md 4.5, 4.6)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import yaml

NAMESPACE = "kube-public"
NAME = "cluster-info"
PATH = f"/api/v1/namespaces/{NAMESPACE}/configmaps/{NAME}"
KUBECONFIG_KEY = "kubeconfig"
JWS_PREFIX = "jws-kubeconfig-"
CLUSTER_NAME = "karmada-apiserver"  # the cluster of the kubeconfigs register writes
BOOTSTRAP_USER = "tls-bootstrap-token-user"


class ClusterInfoError(ValueError):
    """cluster-info that cannot be used; the message says what is wrong."""


def cluster_info_configmap(server: str, ca_pem: bytes) -> dict[str, Any]:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "", "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "contexts": [],
        "users": [],
        "current-context": "",
        "preferences": {},
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "data": {KUBECONFIG_KEY: yaml.safe_dump(kubeconfig, sort_keys=True)},
    }


@dataclass(frozen=True)
class ClusterInfo:
    server: str
    ca_pem: bytes


def parse_kubeconfig(text: str) -> ClusterInfo:
    """The single cluster of cluster-info's kubeconfig."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ClusterInfoError(f"the kubeconfig in the {NAME} ConfigMap is not valid YAML") from None
    clusters = (config or {}).get("clusters") if isinstance(config, dict) else None
    if not isinstance(clusters, list) or len(clusters) != 1:
        count = len(clusters) if isinstance(clusters, list) else 0
        raise ClusterInfoError(f"expected the kubeconfig in the {NAME} ConfigMap to have a single cluster, but it had {count}")
    cluster = (clusters[0] or {}).get("cluster") or {}
    try:
        ca = base64.b64decode(cluster.get("certificate-authority-data") or "", validate=True)
    except ValueError:
        raise ClusterInfoError(f"the certificate-authority-data in the {NAME} ConfigMap is not base64") from None
    return ClusterInfo(str(cluster.get("server") or ""), ca)


def kubeconfig(server: str, ca_pem: bytes, user: str, credentials: dict[str, str]) -> dict[str, Any]:
    """cluster ``karmada-apiserver``, user ``user``, context ``<user>@karmada-apiserver``."""
    context = f"{user}@{CLUSTER_NAME}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": context, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": context,
        "preferences": {},
    }


def cert_credentials(cert_pem: bytes, key_pem: bytes) -> dict[str, str]:
    return {"client-certificate-data": base64.b64encode(cert_pem).decode(), "client-key-data": base64.b64encode(key_pem).decode()}
