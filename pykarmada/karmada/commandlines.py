"""Command lines of the control plane's processes, one builder per component.

local-up runs these as local processes and ``karmadactl init`` installs them as Deployments
(``manifests/``): both take their flags from here, so an installed control plane runs what the
tests run. Only paths and addresses differ between the two; a builder returns the arguments
without the interpreter (``python -m <module>`` or the binary goes in front).
"""

from __future__ import annotations

# The Python module each of our components runs as.
MODULES = {
    "karmada-controller-manager": "pykarmada.controllers",
    "karmada-webhook": "pykarmada.webhooks",
    "karmada-aggregated-apiserver": "pykarmada.aggregator",
}

# The controllers of Karmada's control-plane kube-controller-manager (upstream init's list).
CONTROL_PLANE_CONTROLLERS = (
    "namespace",
    "garbagecollector",
    "serviceaccount-token",
    "ttl-after-finished",
    "bootstrapsigner",
    "tokencleaner",
    "csrcleaner",
    "csrsigning",
    "clusterrole-aggregation",
)


def controller_manager_args(*, kubeconfig: str, metrics_bind_address: str, health_probe_bind_address: str, leader_namespace: str) -> list[str]:
    """The controller process (scheduler included), leader-elected on a Lease in ``leader_namespace``."""
    return [
        f"--kubeconfig={kubeconfig}",
        "--controllers=*",
        "--leader-elect=true",
        f"--leader-elect-resource-namespace={leader_namespace}",
        f"--metrics-bind-address={metrics_bind_address}",
        f"--health-probe-bind-address={health_probe_bind_address}",
    ]


def webhook_args(
    *, bind_address: str, secure_port: int, cert: str, key: str, client_ca: str, metrics_bind_address: str, health_probe_bind_address: str
) -> list[str]:
    """karmada-webhook, requiring the client certificate the control plane presents to webhooks."""
    return [
        f"--bind-address={bind_address}",
        f"--secure-port={secure_port}",
        f"--tls-cert-file={cert}",
        f"--tls-private-key-file={key}",
        f"--client-ca-file={client_ca}",
        f"--metrics-bind-address={metrics_bind_address}",
        f"--health-probe-bind-address={health_probe_bind_address}",
    ]


def aggregator_args(
    *, kubeconfig: str, etcd_servers: str, etcd_ca: str, etcd_cert: str, etcd_key: str, cert: str, key: str, bind_address: str, secure_port: int
) -> list[str]:
    """The aggregated API server of cluster.karmada.io, storing Clusters in the control plane's etcd."""
    return [
        f"--kubeconfig={kubeconfig}",
        f"--etcd-servers={etcd_servers}",
        f"--etcd-cafile={etcd_ca}",
        f"--etcd-certfile={etcd_cert}",
        f"--etcd-keyfile={etcd_key}",
        f"--tls-cert-file={cert}",
        f"--tls-private-key-file={key}",
        "--tls-min-version=VersionTLS13",
        f"--bind-address={bind_address}",
        f"--secure-port={secure_port}",
    ]


def karmada_apiserver_args(*, front_proxy_ca: str, front_proxy_client_cert: str, front_proxy_client_key: str, admission_config: str) -> list[str]:
    """What makes a kube-apiserver Karmada's: bootstrap tokens (Pull registration), no
    ServiceAccount admission (nothing runs there), the aggregation layer's front proxy, and a
    client certificate presented to admission webhooks (``admission_config``)."""
    return [
        "--authorization-mode=RBAC",
        "--enable-bootstrap-token-auth=true",
        "--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount",
        f"--requestheader-client-ca-file={front_proxy_ca}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={front_proxy_client_cert}",
        f"--proxy-client-key-file={front_proxy_client_key}",
        f"--admission-control-config-file={admission_config}",
    ]


def flag_names(argv: list[str]) -> list[str]:
    """The ``--flag`` names of a command line, in order (values dropped)."""
    return [a.split("=", 1)[0] for a in argv if a.startswith("-")]
