"""Command lines of the environment's processes. Pure: paths and ports in, ProcessSpec out.

The control plane's kube-apiserver is configured as Karmada's is: bootstrap-token authentication,
the front-proxy (requestheader) settings the aggregation layer needs, and no ServiceAccount
admission (the control plane stores workload templates; nothing runs there). Its
kube-controller-manager runs only the controllers Karmada's control plane uses. Members are
ordinary clusters: every default controller, a scheduler, and kwok for their nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pykarmada.karmada.commandlines import CONTROL_PLANE_CONTROLLERS, karmada_apiserver_args
from pykarmada.kube.config import Connection
from pykarmada.localup.binaries import Binaries
from pykarmada.localup.pki import ClusterPki, EtcdPki
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.state import Layout

CONTROL_PLANE = "karmada"
SERVICE_CIDR = "10.96.0.0/12"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    index: int  # 0 for the control plane, i for member i
    pki: ClusterPki
    ports: dict[str, int]  # component -> port

    @property
    def is_control_plane(self) -> bool:
        return self.name == CONTROL_PLANE

    @property
    def etcd_prefix(self) -> str:
        # Clusters share one etcd, each under its own prefix; the control plane keeps the standard one.
        return "/registry" if self.is_control_plane else f"/{self.name}/registry"

    @property
    def apiserver_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['kube-apiserver']}"

    def kubeconfig(self, layout: Layout, component: str) -> Path:
        return layout.kubeconfigs / f"{self.name}-{component}.kubeconfig"

    def connection(self, client: str) -> Connection:
        """How ``client`` (a name of pki.CLIENTS) reaches this cluster's kube-apiserver."""
        pair = self.pki.clients[client]
        return Connection(
            server=self.apiserver_url,
            ca_pem=self.pki.ca.cert.read_bytes(),
            client_cert_pem=pair.cert.read_bytes(),
            client_key_pem=pair.key.read_bytes(),
        )


def etcd_spec(bins: Binaries, layout: Layout, pki: EtcdPki, client_port: int, peer_port: int) -> ProcessSpec:
    client_url, peer_url = f"https://127.0.0.1:{client_port}", f"https://127.0.0.1:{peer_port}"
    argv = [
        str(bins.etcd),
        "--name=pykarmada",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=pykarmada={peer_url}",
        "--listen-metrics-urls=",
        f"--cert-file={pki.server.cert}",
        f"--key-file={pki.server.key}",
        f"--trusted-ca-file={pki.ca}",
        "--client-cert-auth=true",
        f"--peer-cert-file={pki.server.cert}",
        f"--peer-key-file={pki.server.key}",
        f"--peer-trusted-ca-file={pki.ca}",
        "--peer-client-cert-auth=true",
        "--snapshot-count=10000",
        # A development environment: writes are not fsynced, which frees most of the CPU a burst
        # of writes costs on a small machine; a crash of the machine may lose the last writes.
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=8589934592",
        "--log-level=warn",
    ]
    return ProcessSpec("etcd", argv, layout.log_file("etcd"))


def admission_config(layout: Layout, plan: ClusterPlan) -> Path:
    """Files that make kube-apiserver present a client certificate to every admission webhook:
    an AdmissionConfiguration pointing both webhook plugins at a kubeconfig with user ``*``."""
    client = plan.pki.clients["apiserver-webhook-client"]
    kubeconfig = layout.kubeconfigs / f"{plan.name}-webhook-client.kubeconfig"
    config = layout.kubeconfigs / f"{plan.name}-admission.yaml"
    layout.kubeconfigs.mkdir(parents=True, exist_ok=True)
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "users": [{"name": "*", "user": {"client-certificate": str(client.cert), "client-key": str(client.key)}}],
            }
        )
    )
    webhook = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "WebhookAdmissionConfiguration", "kubeConfigFile": str(kubeconfig)}
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apiserver.config.k8s.io/v1",
                "kind": "AdmissionConfiguration",
                "plugins": [
                    {"name": "ValidatingAdmissionWebhook", "configuration": webhook},
                    {"name": "MutatingAdmissionWebhook", "configuration": webhook},
                ],
            }
        )
    )
    return config


def apiserver_spec(bins: Binaries, layout: Layout, plan: ClusterPlan, etcd: EtcdPki, etcd_port: int) -> ProcessSpec:
    p = plan.pki
    argv = [
        str(bins.kube_apiserver),
        f"--etcd-servers=https://127.0.0.1:{etcd_port}",
        f"--etcd-cafile={etcd.ca}",
        f"--etcd-certfile={etcd.client.cert}",
        f"--etcd-keyfile={etcd.client.key}",
        f"--etcd-prefix={plan.etcd_prefix}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={plan.ports['kube-apiserver']}",
        # Loopback addresses may not be Endpoints; clients here dial the API server directly.
        "--endpoint-reconciler-type=none",
        f"--tls-cert-file={p.apiserver.cert}",
        f"--tls-private-key-file={p.apiserver.key}",
        f"--client-ca-file={p.ca.cert}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={p.sa_pub}",
        f"--service-account-signing-key-file={p.sa_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allow-privileged=true",
        f"--kubelet-client-certificate={p.clients['apiserver-kubelet-client'].cert}",
        f"--kubelet-client-key={p.clients['apiserver-kubelet-client'].key}",
        f"--kubelet-certificate-authority={p.ca.cert}",
        "--kubelet-preferred-address-types=InternalIP",
        "--profiling=false",
    ]
    if plan.is_control_plane:
        assert p.front_proxy_ca and p.front_proxy_client
        argv += karmada_apiserver_args(
            front_proxy_ca=str(p.front_proxy_ca.cert),
            front_proxy_client_cert=str(p.front_proxy_client.cert),
            front_proxy_client_key=str(p.front_proxy_client.key),
            admission_config=str(admission_config(layout, plan)),
        )
    else:
        argv += ["--authorization-mode=Node,RBAC"]
    name = f"{plan.name}/kube-apiserver"
    return ProcessSpec(name, argv, layout.log_file(name))


def _secure_serving(plan: ClusterPlan, component: str) -> list[str]:
    serving = plan.pki.serving[component]
    return [
        "--bind-address=127.0.0.1",
        f"--secure-port={plan.ports[component]}",
        f"--tls-cert-file={serving.cert}",
        f"--tls-private-key-file={serving.key}",
    ]


def _delegated_auth(kubeconfig: Path) -> list[str]:
    return [
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=false",
        # client-go's default of 20 requests/s throttles bursts of hundreds of workloads.
        "--kube-api-qps=200",
        "--kube-api-burst=400",
    ]


def controller_manager_spec(bins: Binaries, layout: Layout, plan: ClusterPlan) -> ProcessSpec:
    p = plan.pki
    controllers = ",".join(CONTROL_PLANE_CONTROLLERS) if plan.is_control_plane else "*"
    argv = [
        str(bins.kube_controller_manager),
        *_delegated_auth(plan.kubeconfig(layout, "kube-controller-manager")),
        *_secure_serving(plan, "kube-controller-manager"),
        f"--cluster-name={plan.name}",
        f"--controllers={controllers}",
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={p.sa_key}",
        f"--root-ca-file={p.ca.cert}",
        f"--cluster-signing-cert-file={p.ca.cert}",
        f"--cluster-signing-key-file={p.ca.key}",
        "--profiling=false",
    ]
    name = f"{plan.name}/kube-controller-manager"
    return ProcessSpec(name, argv, layout.log_file(name))


def scheduler_spec(bins: Binaries, layout: Layout, plan: ClusterPlan) -> ProcessSpec:
    argv = [
        str(bins.kube_scheduler),
        *_delegated_auth(plan.kubeconfig(layout, "kube-scheduler")),
        *_secure_serving(plan, "kube-scheduler"),
        "--profiling=false",
    ]
    name = f"{plan.name}/kube-scheduler"
    return ProcessSpec(name, argv, layout.log_file(name))


def kwok_config(layout: Layout, plan: ClusterPlan) -> Path:
    """kwok's configuration: every simulated container logs the same few CRI-format lines, so that
    ``kubectl logs`` (and ``-f``) and ``attach`` have something to show, and ``exec`` runs."""
    directory = layout.root / "kwok"
    directory.mkdir(parents=True, exist_ok=True)
    log_file = directory / "container.log"
    if not log_file.exists():
        log_file.write_text(
            "".join(f"2026-01-01T00:00:0{i}.000000000Z stdout F {line}\n" for i, line in enumerate(
                ["simulated container started by kwok", "listening on :80", "ready to serve requests"]
            ))
        )
    config = directory / f"{plan.name}-kwok.yaml"
    workdir = directory / "exec"
    workdir.mkdir(exist_ok=True)
    stages = [
        {"kind": "ClusterLogs", "metadata": {"name": "all-containers"},
         "spec": {"selector": {}, "logs": [{"containers": [], "logsFile": str(log_file), "follow": True}]}},
        # exec and attach: kwok runs the command here, in a scratch directory (a development
        # environment: whoever may exec into a member pod may run commands as this user).
        {"kind": "ClusterExec", "metadata": {"name": "all-containers"},
         "spec": {"selector": {}, "execs": [{"containers": [], "local": {"workDir": str(workdir)}}]}},
        {"kind": "ClusterAttach", "metadata": {"name": "all-containers"},
         "spec": {"selector": {}, "attaches": [{"containers": [], "logsFile": str(log_file)}]}},
    ]
    config.write_text(yaml.safe_dump_all([{"apiVersion": "kwok.x-k8s.io/v1alpha1", **stage} for stage in stages], sort_keys=False))
    return config


def kwok_spec(bins: Binaries, layout: Layout, plan: ClusterPlan) -> ProcessSpec:
    serving = plan.pki.serving["kwok"]
    port = plan.ports["kwok"]
    argv = [
        str(bins.kwok),
        f"--config={kwok_config(layout, plan)}",
        f"--kubeconfig={plan.kubeconfig(layout, 'kwok')}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        # Pod IPs of each member come from a range of its own.
        f"--cidr=10.{100 + plan.index}.0.0/16",
        "--node-ip=127.0.0.1",
        f"--node-port={port}",
        f"--server-address=127.0.0.1:{port}",
        f"--tls-cert-file={serving.cert}",
        f"--tls-private-key-file={serving.key}",
        "--node-lease-duration-seconds=40",
    ]
    name = f"{plan.name}/kwok"
    return ProcessSpec(name, argv, layout.log_file(name))
