"""The objects ``register`` creates: the agent's control-plane RBAC, limited to its own cluster
(surfaces.md 5.4), and the member side: namespace, kubeconfig Secret, RBAC and the karmada-agent
Deployment (4.6). ``unregister`` removes the same names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada.bootstrap.csr import agent_user
from pykarmada.karmada.names import execution_namespace
from pykarmada.kube.client import resource_path

RBAC_API = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
AGENT_NAME = "karmada-agent"
AGENT_SERVICE_ACCOUNT = "karmada-agent-sa"
AGENT_KUBECONFIG_SECRET = "karmada-kubeconfig"
AGENT_LABELS = {"app": AGENT_NAME}
SYSTEM_LABELS = {c.KARMADA_SYSTEM_LABEL: c.KARMADA_SYSTEM_LABEL_VALUE}
KUBECONFIG_MOUNT = "/etc/kubeconfig"
# upstream tags it with karmadactl's release; ours follows the Karmada release we match
KARMADA_RELEASE = "v1.18.0"
DEFAULT_AGENT_IMAGE = f"docker.io/karmada/karmada-agent:{KARMADA_RELEASE}"


def _rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        rule["resourceNames"] = names
    return rule


def agent_role_name(cluster: str, suffix: str = "") -> str:
    return f"system:karmada:{cluster}:agent{suffix}"


def _binding(kind: str, name: str, namespace: str | None, role_kind: str, user: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": RBAC_API,
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": name},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "User", "name": user}],
    }


def agent_rbac(cluster: str, cluster_namespace: str) -> list[dict[str, Any]]:
    """ClusterRole and ClusterRoleBinding ``system:karmada:<c>:agent``, then Role and RoleBinding
    ``...:agent-secret`` (cluster namespace) and ``...:agent-work`` (execution namespace), all
    for User ``system:karmada:agent:<c>``; creation order, reversed for deletion."""
    user, es = agent_user(cluster), execution_namespace(cluster)
    name, secret, work = agent_role_name(cluster), agent_role_name(cluster, "-secret"), agent_role_name(cluster, "-work")
    cluster_role = {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            # Upstream grants get/delete only, so an agent restarted with another endpoint cannot
            # bring its Cluster up to date (surfaces.md 5.4 quirk): update of its own is granted.
            _rule(["cluster.karmada.io"], ["clusters"], ["get", "update", "delete"], [cluster]),
            _rule(["cluster.karmada.io"], ["clusters"], ["create", "list", "watch"]),
            _rule(["cluster.karmada.io"], ["clusters/status"], ["update"], [cluster]),
            _rule(["config.karmada.io"], ["resourceinterpreterwebhookconfigurations", "resourceinterpretercustomizations"], ["get", "list", "watch"]),
            _rule([""], ["namespaces"], ["get"]),
            # Upstream grants get/update on every Lease, so one agent could renew another
            # cluster's heartbeat: ours may read and renew only its own two (its cluster lease and
            # its leader-election lease). create cannot be limited by name.
            _rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [cluster, f"karmada-agent-{cluster}"]),
            _rule(["coordination.k8s.io"], ["leases"], ["create"]),
            _rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["get", "create"]),
            _rule([""], ["services"], ["list", "watch"]),
            _rule([""], ["events"], ["patch", "create", "update"]),
        ],
    }
    secret_role = {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": {"name": secret, "namespace": cluster_namespace},
        "rules": [_rule([""], ["secrets"], ["get", "patch"], [cluster, f"{cluster}-impersonator"]), _rule([""], ["secrets"], ["create"])],
    }
    work_role = {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": {"name": work, "namespace": es},
        "rules": [
            _rule(["work.karmada.io"], ["works"], ["get", "create", "list", "watch", "update", "delete"]),
            _rule(["work.karmada.io"], ["works/status"], ["patch", "update"]),
        ],
    }
    return [
        cluster_role,
        _binding("ClusterRoleBinding", name, None, "ClusterRole", user),
        secret_role,
        work_role,
        _binding("RoleBinding", secret, cluster_namespace, "Role", user),
        _binding("RoleBinding", work, es, "Role", user),
    ]


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(SYSTEM_LABELS)}}


@dataclass(frozen=True)
class AgentSettings:
    """What the karmada-agent Deployment is told (register's flags)."""

    cluster: str
    namespace: str
    cluster_namespace: str
    member_server: str
    provider: str = ""
    region: str = ""
    zones: tuple[str, ...] = ()
    cert_rotation: bool = False
    proxy_server_address: str = ""
    image: str = DEFAULT_AGENT_IMAGE
    replicas: int = 1

    def command(self) -> list[str]:
        controllers = "*,certRotation" if self.cert_rotation else "*"
        return [
            "/bin/karmada-agent",
            f"--karmada-kubeconfig={KUBECONFIG_MOUNT}/{AGENT_KUBECONFIG_SECRET}",
            f"--cluster-name={self.cluster}",
            f"--cluster-api-endpoint={self.member_server}",
            f"--cluster-provider={self.provider}",
            f"--cluster-region={self.region}",
            f"--cluster-zones={','.join(self.zones)}",
            f"--controllers={controllers}",
            f"--proxy-server-address={self.proxy_server_address}",
            f"--leader-elect-resource-namespace={self.namespace}",
            f"--cluster-namespace={self.cluster_namespace}",
            "--cluster-status-update-frequency=10s",
            "--metrics-bind-address=:8080",
            "--health-probe-bind-address=0.0.0.0:10357",
            "--v=2",
        ]


def member_objects(settings: AgentSettings, agent_kubeconfig: str) -> list[dict[str, Any]]:
    """In creation order: namespace, kubeconfig Secret, ClusterRole, ServiceAccount,
    ClusterRoleBinding, Deployment."""
    ns = settings.namespace
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": AGENT_NAME, "namespace": ns, "labels": dict(AGENT_LABELS)},
        "spec": {
            "replicas": settings.replicas,
            "selector": {"matchLabels": dict(AGENT_LABELS)},
            "template": {
                "metadata": {"name": AGENT_NAME, "namespace": ns, "labels": dict(AGENT_LABELS)},
                "spec": {
                    "serviceAccountName": AGENT_SERVICE_ACCOUNT,
                    "containers": [
                        {
                            "name": AGENT_NAME,
                            "image": settings.image,
                            "command": settings.command(),
                            "ports": [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}],
                            "volumeMounts": [{"name": "kubeconfig", "mountPath": KUBECONFIG_MOUNT}],
                        }
                    ],
                    "volumes": [{"name": "kubeconfig", "secret": {"secretName": AGENT_KUBECONFIG_SECRET}}],
                    "tolerations": [{"key": "node-role.kubernetes.io/master", "operator": "Exists"}],
                },
            },
        },
    }
    return [
        namespace(ns),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": AGENT_KUBECONFIG_SECRET, "namespace": ns, "labels": dict(SYSTEM_LABELS)},
            "stringData": {AGENT_KUBECONFIG_SECRET: agent_kubeconfig},
        },
        {
            "apiVersion": RBAC_API,
            "kind": "ClusterRole",
            "metadata": {"name": AGENT_NAME, "labels": dict(SYSTEM_LABELS)},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["get"]}],
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": AGENT_SERVICE_ACCOUNT, "namespace": ns, "labels": dict(SYSTEM_LABELS)}},
        {
            "apiVersion": RBAC_API,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": AGENT_NAME, "labels": dict(SYSTEM_LABELS)},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": AGENT_NAME},
            "subjects": [{"kind": "ServiceAccount", "name": AGENT_SERVICE_ACCOUNT, "namespace": ns}],
        },
        deployment,
    ]


@dataclass(frozen=True)
class ObjectRef:
    """Where an object lives: ``kind``, ``name``, ``namespace`` ('' for cluster-scoped)."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def path(self) -> str:
        # Every kind here has the plain plural (kind lower-cased + "s").
        return resource_path(self.api_version, self.kind.lower() + "s", namespace=self.namespace or None, name=self.name)


def ref(obj: dict[str, Any]) -> ObjectRef:
    meta = obj["metadata"]
    return ObjectRef(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace", ""))


def collection_path(obj: dict[str, Any]) -> str:
    item = ref(obj)
    return resource_path(item.api_version, item.kind.lower() + "s", namespace=item.namespace or None)


def member_cleanup(cluster: str, agent_namespace: str, cluster_namespace: str, agent_name: str = AGENT_NAME) -> list[ObjectRef]:
    """What ``unregister`` deletes in the member, in order: the Push-style identity the agent
    reported (``karmada-<c>``, ``karmada-impersonator``, their namespace), then register's objects."""
    sa, role = f"karmada-{cluster}", f"karmada-controller-manager:karmada-{cluster}"
    return [
        ObjectRef("v1", "ServiceAccount", sa, cluster_namespace),
        ObjectRef(RBAC_API, "ClusterRole", role),
        ObjectRef(RBAC_API, "ClusterRoleBinding", role),
        ObjectRef("v1", "Secret", sa, cluster_namespace),
        ObjectRef("v1", "ServiceAccount", c.IMPERSONATOR_NAME, cluster_namespace),
        ObjectRef("v1", "Secret", c.IMPERSONATOR_NAME, cluster_namespace),
        ObjectRef("v1", "Namespace", cluster_namespace),
        ObjectRef("apps/v1", "Deployment", agent_name, agent_namespace),
        ObjectRef("v1", "ServiceAccount", AGENT_SERVICE_ACCOUNT, agent_namespace),
        ObjectRef(RBAC_API, "ClusterRole", AGENT_NAME),
        ObjectRef(RBAC_API, "ClusterRoleBinding", AGENT_NAME),
        ObjectRef("v1", "Secret", AGENT_KUBECONFIG_SECRET, agent_namespace),
    ]
