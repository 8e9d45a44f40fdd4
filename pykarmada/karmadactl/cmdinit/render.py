"""What ``karmadactl init`` installs, as objects: a pure function of the options, the
certificates and the files under ``manifests/``.

Every ``*.yaml`` under ``manifests/`` (and ``manifests/crds``) is installed, except the files of an
addon (``addons.py`` names them) and of the member-side agent (``karmada-agent*``), which
``register`` installs into members. An object goes into the host cluster when it runs or feeds
something running there (workloads, Secrets, ConfigMaps, ServiceAccounts, Services other than
ExternalName); everything else (CRDs, APIServices, webhook configurations, RBAC, ExternalName
Services) goes into karmada-apiserver. The files are written for namespace ``karmada-system``;
rendering moves them to ``-n``, sets the images, the caBundles, and the
``karmada.io/bootstrapping`` label that ``deinit`` removes by.

The container commands in the files are the ones :func:`in_cluster_commands` builds from
``pykarmada.karmada.commandlines`` (a unit test keeps them equal), so what runs in a host cluster
is what local-up runs.
"""

from __future__ import annotations

import base64
import copy
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pykarmada.karmada import commandlines as cl
from pykarmada.karmada.constants import KARMADA_SYSTEM_NAMESPACE
from pykarmada.karmadactl.cmdinit.pki import APISERVER_SERVICE, ETCD_SERVICE, WEBHOOK_SERVICE
from pykarmada.kube.config import Connection, build_kubeconfig
from pykarmada.localup.versions import ETCD, KUBERNETES

# The checkout's manifests/, or where an installed copy keeps them (the image sets this).
# libyaml when present: the CRDs are large.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
MANIFESTS = Path(os.environ.get("PYKARMADA_MANIFESTS") or Path(__file__).resolve().parents[3] / "manifests")
BOOTSTRAP_LABEL = "karmada.io/bootstrapping"
ETCD_NODE_LABEL = "karmada.io/etcd"
HOST, KARMADA = "host", "karmada-apiserver"
HOST_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Secret", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim", "PodDisruptionBudget"}
# Files installed by others than init: the agent (into members by register) and the addons.
SKIPPED_PREFIXES = ("karmada-agent", "karmada-descheduler", "karmada-scheduler-estimator", "karmada-search", "karmada-metrics-adapter")
PYKARMADA_IMAGE = "pykarmada:latest"
KUBE_REGISTRY = "registry.k8s.io"

PKI_DIR = "/etc/karmada/pki"
CONFIG_DIR = "/etc/karmada/config"
ADMISSION_DIR = "/etc/karmada/admission"
WEBHOOK_CERT_DIR = "/var/serving-cert"
KUBECONFIG_KEY = "karmada.config"  # the key of every <component>-config Secret, as upstream
APISERVER_PORT = 5443
WEBHOOK_PORT = 8443
SERVICE_CIDR = "10.96.0.0/12"
# Secrets with the kubeconfig each component uses, and the client certificate in it.
CONFIG_SECRETS = {
    "karmada-aggregated-apiserver-config": "karmada-aggregated-apiserver-client",
    "karmada-controller-manager-config": "karmada-controller-manager",
    "kube-controller-manager-config": "kube-controller-manager",
}


def _pki(name: str) -> str:
    return f"{PKI_DIR}/{name}"


def apiserver_url(namespace: str, domain: str) -> str:
    return f"https://{APISERVER_SERVICE}.{namespace}.svc.{domain}:{APISERVER_PORT}"


def etcd_servers(namespace: str, domain: str) -> str:
    return f"https://{ETCD_SERVICE}-0.{ETCD_SERVICE}.{namespace}.svc.{domain}:2379"


def in_cluster_commands(namespace: str = KARMADA_SYSTEM_NAMESPACE, domain: str = "cluster.local") -> dict[str, list[str]]:
    """Container name -> command of every component init runs in the host cluster."""
    kubeconfig = f"{CONFIG_DIR}/{KUBECONFIG_KEY}"
    python = ["python", "-m"]
    return {
        ETCD_SERVICE: [
            "/usr/local/bin/etcd",
            "--name=$(POD_NAME)",
            "--data-dir=/var/lib/karmada-etcd",
            "--listen-client-urls=https://$(POD_IP):2379,https://127.0.0.1:2379",
            f"--advertise-client-urls=https://$(POD_NAME).{ETCD_SERVICE}.{namespace}.svc.{domain}:2379",
            "--listen-peer-urls=http://$(POD_IP):2380",
            "--initial-advertise-peer-urls=http://$(POD_IP):2380",
            f"--initial-cluster={ETCD_SERVICE}-0=http://{ETCD_SERVICE}-0.{ETCD_SERVICE}.{namespace}.svc.{domain}:2380",
            "--initial-cluster-state=new",
            "--initial-cluster-token=etcd-cluster",
            "--listen-metrics-urls=http://$(POD_IP):2381,http://127.0.0.1:2381",
            f"--cert-file={_pki('etcd-server.crt')}",
            f"--key-file={_pki('etcd-server.key')}",
            f"--trusted-ca-file={_pki('etcd-ca.crt')}",
            "--client-cert-auth=true",
            "--snapshot-count=10000",
            "--quota-backend-bytes=8589934592",
        ],
        APISERVER_SERVICE: [
            "kube-apiserver",
            f"--etcd-servers={etcd_servers(namespace, domain)}",
            f"--etcd-cafile={_pki('etcd-ca.crt')}",
            f"--etcd-certfile={_pki('etcd-client.crt')}",
            f"--etcd-keyfile={_pki('etcd-client.key')}",
            "--bind-address=0.0.0.0",
            f"--secure-port={APISERVER_PORT}",
            f"--tls-cert-file={_pki('apiserver.crt')}",
            f"--tls-private-key-file={_pki('apiserver.key')}",
            "--tls-min-version=VersionTLS13",
            f"--client-ca-file={_pki('ca.crt')}",
            f"--service-account-issuer=https://kubernetes.default.svc.{domain}",
            f"--service-account-key-file={_pki('sa.pub')}",
            f"--service-account-signing-key-file={_pki('sa.key')}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            "--runtime-config=",
            "--profiling=false",
            *cl.karmada_apiserver_args(
                front_proxy_ca=_pki("front-proxy-ca.crt"),
                front_proxy_client_cert=_pki("front-proxy-client.crt"),
                front_proxy_client_key=_pki("front-proxy-client.key"),
                admission_config=f"{ADMISSION_DIR}/admission.yaml",
            ),
        ],
        "kube-controller-manager": [
            "kube-controller-manager",
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=0.0.0.0",
            "--cluster-name=karmada-apiserver",
            f"--controllers={','.join(cl.CONTROL_PLANE_CONTROLLERS)}",
            "--leader-elect=true",
            f"--leader-elect-resource-namespace={namespace}",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={_pki('sa.key')}",
            f"--root-ca-file={_pki('ca.crt')}",
            f"--cluster-signing-cert-file={_pki('ca.crt')}",
            f"--cluster-signing-key-file={_pki('ca.key')}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false",
        ],
        "karmada-aggregated-apiserver": [
            *python,
            cl.MODULES["karmada-aggregated-apiserver"],
            *cl.aggregator_args(
                kubeconfig=kubeconfig,
                etcd_servers=etcd_servers(namespace, domain),
                etcd_ca=_pki("etcd-ca.crt"),
                etcd_cert=_pki("etcd-client.crt"),
                etcd_key=_pki("etcd-client.key"),
                cert=_pki("karmada-aggregated-apiserver.crt"),
                key=_pki("karmada-aggregated-apiserver.key"),
                bind_address="$(POD_IP)",
                secure_port=443,
            ),
        ],
        "karmada-controller-manager": [
            *python,
            cl.MODULES["karmada-controller-manager"],
            *cl.controller_manager_args(
                kubeconfig=kubeconfig,
                metrics_bind_address="$(POD_IP):8080",
                health_probe_bind_address="$(POD_IP):10357",
                leader_namespace=namespace,
            ),
        ],
        "karmada-webhook": [
            *python,
            cl.MODULES["karmada-webhook"],
            *cl.webhook_args(
                bind_address="$(POD_IP)",
                secure_port=WEBHOOK_PORT,
                cert=f"{WEBHOOK_CERT_DIR}/tls.crt",
                key=f"{WEBHOOK_CERT_DIR}/tls.key",
                client_ca=_pki("ca.crt"),
                metrics_bind_address="$(POD_IP):8080",
                health_probe_bind_address="$(POD_IP):8000",
            ),
        ],
    }


@dataclass(frozen=True)
class InitOptions:
    namespace: str = KARMADA_SYSTEM_NAMESPACE
    image: str = PYKARMADA_IMAGE
    kube_image_registry: str = KUBE_REGISTRY
    kube_image_tag: str = KUBERNETES
    etcd_image: str = ""
    port: int = 32443
    domain: str = "cluster.local"
    etcd_storage_mode: str = "hostPath"
    etcd_data: str = "/var/lib/karmada-etcd"
    manifests: Path = MANIFESTS

    @property
    def etcd_image_ref(self) -> str:
        return self.etcd_image or f"{self.kube_image_registry}/etcd:{ETCD.lstrip('v')}-0"


@dataclass(frozen=True)
class Rendered:
    target: str  # HOST or KARMADA
    obj: dict[str, Any]

    @property
    def ref(self) -> str:
        meta = self.obj["metadata"]
        where = f"{meta['namespace']}/" if meta.get("namespace") else ""
        return f"{self.obj['kind']} {where}{meta['name']}"


def target_of(obj: dict[str, Any]) -> str:
    """Which cluster an object belongs in (see the module docstring)."""
    kind = obj.get("kind")
    if kind in HOST_KINDS:
        return HOST
    if kind == "Service":
        return KARMADA if (obj.get("spec") or {}).get("type") == "ExternalName" else HOST
    return KARMADA


def manifest_files(directory: Path) -> list[Path]:
    """The files init installs: every YAML under ``directory`` but the addons' and the agent's."""
    files = sorted(p for p in directory.rglob("*.yaml") if p.is_file())
    return [p for p in files if not p.name.startswith(SKIPPED_PREFIXES)]


def load_objects(files: Iterable[Path], values: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The objects of ``files``; ``values`` fills the addons' ``{{name}}`` placeholders first."""
    out = []
    for path in files:
        text = path.read_text()
        for name, value in (values or {}).items():
            text = text.replace("{{" + name + "}}", value)
        out += [d for d in yaml.load_all(text, Loader=_Loader) if d]
    return out


def _move_namespace(value: Any, namespace: str) -> Any:
    """Every ``karmada-system`` in names, namespaces and service DNS names becomes ``namespace``."""
    if namespace == KARMADA_SYSTEM_NAMESPACE:
        return value
    if isinstance(value, dict):
        return {k: _move_namespace(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [_move_namespace(v, namespace) for v in value]
    if isinstance(value, str):
        if value == KARMADA_SYSTEM_NAMESPACE:
            return namespace
        if value.endswith(f"={KARMADA_SYSTEM_NAMESPACE}"):  # a flag such as --leader-elect-resource-namespace
            return value.removesuffix(KARMADA_SYSTEM_NAMESPACE) + namespace
        return value.replace(f".{KARMADA_SYSTEM_NAMESPACE}.svc", f".{namespace}.svc")
    return value


def _set_images(obj: dict[str, Any], opts: InitOptions) -> None:
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        image = container.get("image", "")
        if image == PYKARMADA_IMAGE:
            container["image"] = opts.image
        elif image.startswith(f"{KUBE_REGISTRY}/etcd:"):
            container["image"] = opts.etcd_image_ref
        elif image.startswith(f"{KUBE_REGISTRY}/kube-"):
            name = image.split("/", 1)[1].split(":", 1)[0]
            container["image"] = f"{opts.kube_image_registry}/{name}:{opts.kube_image_tag}"


def _set_etcd_storage(obj: dict[str, Any], opts: InitOptions) -> None:
    if obj.get("kind") != "StatefulSet" or obj["metadata"]["name"] != ETCD_SERVICE:
        return
    pod = obj["spec"]["template"]["spec"]
    for volume in pod.get("volumes") or []:
        if volume["name"] == "etcd-data":
            volume.clear()
            volume["name"] = "etcd-data"
            if opts.etcd_storage_mode == "hostPath":
                volume["hostPath"] = {"path": opts.etcd_data, "type": "DirectoryOrCreate"}
                pod["nodeSelector"] = {ETCD_NODE_LABEL: ""}
            else:
                volume["emptyDir"] = {}
                pod.pop("nodeSelector", None)


def _set_ca_bundle(obj: dict[str, Any], ca_b64: str) -> None:
    if obj.get("kind") == "APIService":
        obj["spec"]["caBundle"] = ca_b64
        obj["spec"].pop("insecureSkipTLSVerify", None)
    for webhook in obj.get("webhooks") or []:
        webhook.setdefault("clientConfig", {})["caBundle"] = ca_b64
    conversion = ((obj.get("spec") or {}).get("conversion") or {}).get("webhook")
    if obj.get("kind") == "CustomResourceDefinition" and conversion:
        conversion.setdefault("clientConfig", {})["caBundle"] = ca_b64


def _label(obj: dict[str, Any], value: str) -> None:
    labels = obj.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault(BOOTSTRAP_LABEL, value)


def secret_object(name: str, namespace: str, data: dict[str, bytes]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": {BOOTSTRAP_LABEL: "secret-defaults"}},
        "data": {k: base64.b64encode(v).decode() for k, v in sorted(data.items())},
    }


def kubeconfig_yaml(server: str, files: dict[str, bytes], client: str, *, name: str = "karmada-apiserver") -> bytes:
    conn = Connection(server=server, ca_pem=files["ca.crt"], client_cert_pem=files[f"{client}.crt"], client_key_pem=files[f"{client}.key"])
    return yaml.safe_dump(build_kubeconfig([(name, conn)]), sort_keys=False).encode()


def _admission_files(namespace: str) -> dict[str, bytes]:
    """kube-apiserver's AdmissionConfiguration: present the webhook client certificate to every
    admission webhook (karmada-webhook requires it), as local-up configures its control plane."""
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [{"name": "*", "user": {"client-certificate": _pki("apiserver-webhook-client.crt"), "client-key": _pki("apiserver-webhook-client.key")}}],
    }
    webhook = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "WebhookAdmissionConfiguration", "kubeConfigFile": f"{ADMISSION_DIR}/webhook-client.kubeconfig"}
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": "ValidatingAdmissionWebhook", "configuration": webhook}, {"name": "MutatingAdmissionWebhook", "configuration": webhook}],
    }
    return {"admission.yaml": yaml.safe_dump(config).encode(), "webhook-client.kubeconfig": yaml.safe_dump(kubeconfig).encode()}


def secrets(namespace: str, domain: str, files: dict[str, bytes]) -> list[dict[str, Any]]:
    """The host's Secrets: certificates (upstream's names karmada-cert, etcd-cert,
    karmada-webhook-cert), one kubeconfig per component, and the admission configuration."""
    etcd = {k: v for k, v in files.items() if k.startswith(("etcd-ca.", "etcd-server."))}
    out = [
        secret_object("karmada-cert", namespace, {k: v for k, v in files.items() if not k.startswith("etcd-server.")}),
        secret_object("etcd-cert", namespace, etcd),
        secret_object("karmada-webhook-cert", namespace, {"tls.crt": files[f"{WEBHOOK_SERVICE}.crt"], "tls.key": files[f"{WEBHOOK_SERVICE}.key"]}),
        secret_object("karmada-apiserver-admission", namespace, _admission_files(namespace)),
    ]
    server = apiserver_url(namespace, domain)
    for name, client in CONFIG_SECRETS.items():
        out.append(secret_object(name, namespace, {KUBECONFIG_KEY: kubeconfig_yaml(server, files, client)}))
    return out


def namespace_object(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {BOOTSTRAP_LABEL: "namespace-defaults"}}}


def render_files(opts: InitOptions, paths: list[Path], ca_pem: bytes, values: Mapping[str, str] | None = None) -> list[Rendered]:
    """The objects of ``paths`` (placeholders filled from ``values``) moved to the namespace,
    with images, caBundles and labels set."""
    ca_b64 = base64.b64encode(ca_pem).decode()
    out = []
    for shipped in load_objects(paths, values):
        obj = _move_namespace(copy.deepcopy(shipped), opts.namespace)
        if obj.get("kind") == "Service" and obj["metadata"].get("name") == APISERVER_SERVICE:
            for port in obj["spec"].get("ports") or []:
                port["nodePort"] = opts.port
        _set_images(obj, opts)
        _set_etcd_storage(obj, opts)
        _set_ca_bundle(obj, ca_b64)
        _label(obj, f"{obj['kind'].lower()}-defaults")
        out.append(Rendered(target_of(obj), obj))
    return out


def render(opts: InitOptions, files: dict[str, bytes]) -> list[Rendered]:
    """Every object of one installation, host objects first, each group in file order."""
    shipped = render_files(opts, manifest_files(opts.manifests), files["ca.crt"])
    host = [namespace_object(opts.namespace), *secrets(opts.namespace, opts.domain, files)]
    return (
        [Rendered(HOST, o) for o in host]
        + [r for r in shipped if r.target == HOST]
        + [Rendered(KARMADA, namespace_object(opts.namespace))]
        + [r for r in shipped if r.target == KARMADA]
    )


def to_yaml_stream(rendered: list[Rendered]) -> str:
    """One YAML stream; a comment before each object says which cluster it goes to."""
    docs = [f"# into: {r.target}\n" + yaml.dump(r.obj, Dumper=_Dumper, sort_keys=False) for r in rendered]
    return "---\n".join(docs)


def parse_stream(text: str) -> list[Rendered]:
    """The objects of a :func:`to_yaml_stream` with their targets (from the comments)."""
    out = []
    for doc in ("\n" + text).split("\n---\n"):
        first, _, body = doc.lstrip("\n").partition("\n")
        if first.startswith("# into: ") and body.strip():
            out.append(Rendered(first.removeprefix("# into: ").strip(), yaml.load(body, Loader=_Loader)))
    return out


def karmada_apiserver_config(server: str, files: dict[str, bytes]) -> bytes:
    """``<karmada-data>/karmada-apiserver.config``: the admin's kubeconfig, context karmada-apiserver."""
    return kubeconfig_yaml(server, files, "karmada")

