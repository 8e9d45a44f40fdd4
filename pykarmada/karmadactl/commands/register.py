"""``register``: join a member cluster in Pull mode (surfaces.md 4.6). Discover and trust the
control plane with a bootstrap token, get a certificate for the RBAC generator and create the
agent's narrow RBAC with it, get the agent's own certificate, then install karmada-agent in the
member. The agent creates the Cluster when it starts. The protocol lives in
:mod:`pykarmada.karmada.bootstrap`; this command orders the steps and reports them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import click
import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmada.bootstrap import clusterinfo as ci
from pykarmada.karmada.bootstrap import csr as agent_csr
from pykarmada.karmada.bootstrap import rbac, steps
from pykarmada.karmada.bootstrap.discovery import DiscoveryError, discover
from pykarmada.karmada.bootstrap.pins import PinError, parse_pins
from pykarmada.karmada.bootstrap.token import Token, TokenError, parse_token
from pykarmada.karmada.cluster import validate_name
from pykarmada.karmada.names import execution_namespace
from pykarmada.karmadactl.commands.duration import GoDuration
from pykarmada.karmadactl.commands.kubeconfig import load
from pykarmada.karmadactl.commands.token import parent_command
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import ConfigError, Connection, load_kubeconfig
from pykarmada.kube.errors import ApiError

# Member objects register overwrites when they exist (upstream's CreateOrUpdate).
MEMBER_REPLACED = frozenset({"Secret", "ClusterRole", "ClusterRoleBinding"})


@dataclass
class Plan:
    """Everything register was asked to do, checked."""

    endpoint: str
    token: Token
    pins: set[str]
    settings: rbac.AgentSettings
    timeout: float
    cert_expiration_seconds: int

    @property
    def server(self) -> str:
        return f"https://{self.endpoint}"

    @property
    def cluster(self) -> str:
        return self.settings.cluster


def _default_cluster_name(kubeconfig: str, context: str) -> str:
    try:
        return str(load_kubeconfig(kubeconfig or None).context(context or None)[1].get("cluster") or "")
    except ConfigError as e:
        raise click.ClickException(f"member cluster: {e}") from None


def _check(endpoint: str, token: str, hashes: tuple[str, ...], unsafe_skip: bool, cluster_name: str) -> tuple[Token, set[str]]:
    if "://" in endpoint or "/" in endpoint or not endpoint:
        raise click.BadParameter("the control plane is given as host:port, without a scheme (https:// is added)", param_hint="KARMADA_APISERVER_ENDPOINT")
    errors = validate_name(cluster_name)
    if errors:
        raise click.ClickException(f"invalid cluster name({cluster_name}): {str(errors[0]).replace('metadata.name: ', '')}")
    if not token:
        raise click.UsageError("token is required (--token)")
    try:
        parsed = parse_token(token)
    except TokenError as e:
        raise click.BadParameter(str(e), param_hint="--token") from None
    values = [h.strip() for value in hashes for h in value.split(",") if h.strip()]
    if not values and not unsafe_skip:
        raise click.UsageError("need to verify the CA with --discovery-token-ca-cert-hash, or set --discovery-token-unsafe-skip-ca-verification=true")
    try:
        return parsed, parse_pins(values)
    except PinError as e:
        raise click.BadParameter(str(e), param_hint="--discovery-token-ca-cert-hash") from None


def _yaml(objects: list[dict[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects)


def control_plane_objects(settings: rbac.AgentSettings) -> list[dict[str, Any]]:
    """The agent RBAC with the namespaces its Roles live in, in creation order."""
    p = settings
    return [rbac.namespace(p.cluster_namespace), rbac.namespace(execution_namespace(p.cluster)), *rbac.agent_rbac(p.cluster, p.cluster_namespace)]


class Registration:
    """One run of register: the identities it holds and what it created, to undo on failure."""

    def __init__(self, plan: Plan, member: KubeClient, say: Callable[[str], None]) -> None:
        self.plan, self.member, self.say = plan, member, say
        self.generator: KubeClient | None = None
        self.agent_csr_name = ""
        self.control_plane_created: list[rbac.ObjectRef] = []
        self.member_created: list[rbac.ObjectRef] = []

    def _client(self, ca_pem: bytes, **credentials: Any) -> KubeClient:
        return KubeClient(Connection(server=self.plan.server, ca_pem=ca_pem, **credentials), timeout=10.0)

    async def run(self, info: ci.ClusterInfo) -> None:
        plan = self.plan
        async with self._client(info.ca_pem, token=str(plan.token)) as bootstrap:
            generator_csr = f"agent-rbac-generator-{plan.cluster}{agent_csr.random_suffix()}"
            self.say(f"[karmada-agent-start] Requesting a certificate for {agent_csr.RBAC_GENERATOR_USER} (CSR {generator_csr})")
            cert, key = await steps.request_certificate(bootstrap, generator_csr, agent_csr.RBAC_GENERATOR_USER, expiration_seconds=plan.cert_expiration_seconds, timeout=plan.timeout)
            self.generator = self._client(info.ca_pem, client_cert_pem=cert, client_key_pem=key)
            try:
                self.say("[karmada-agent-start] Waiting to check cluster exists")
                if await self.generator.exists(f"{c.CLUSTERS_PATH}/{plan.cluster}"):
                    raise steps.StepError(f"failed to register as cluster with name {plan.cluster} already exists")
                self.say("[karmada-agent-start] Assign the necessary RBAC permissions to the agent")
                self.control_plane_created = await steps.create_objects(self.generator, control_plane_objects(plan.settings))
            finally:
                await steps.delete_quietly(self.generator, f"{agent_csr.CSR_PATH}/{generator_csr}")
            self.agent_csr_name = f"{plan.cluster}-{agent_csr.random_suffix()}"
            self.say(f"[karmada-agent-start] Requesting the agent's certificate for {agent_csr.agent_user(plan.cluster)} (CSR {self.agent_csr_name})")
            cert, key = await steps.request_certificate(bootstrap, self.agent_csr_name, agent_csr.agent_user(plan.cluster), expiration_seconds=plan.cert_expiration_seconds, timeout=plan.timeout)
        agent_kubeconfig = ci.kubeconfig(plan.server, info.ca_pem, plan.cluster, ci.cert_credentials(cert, key))
        self.say("[karmada-agent-start] Creating the agent's namespace, kubeconfig Secret, RBAC and Deployment in the member")
        objects = rbac.member_objects(plan.settings, yaml.safe_dump(agent_kubeconfig, sort_keys=False))
        self.member_created = await steps.create_objects(self.member, objects, replace=MEMBER_REPLACED)
        self.say(f"[karmada-agent-start] Waiting for Deployment {plan.settings.namespace}/{rbac.AGENT_NAME} to roll out")
        await steps.wait_rollout(self.member, plan.settings.namespace, rbac.AGENT_NAME, plan.timeout)

    async def undo(self) -> None:
        """Remove what this run created, control plane and member, and say what could not be."""
        if not (self.control_plane_created or self.member_created or self.agent_csr_name):
            return
        self.say("karmadactl register failed and started deleting the created resources")
        failures = await steps.delete_objects(self.member, self.member_created)
        if self.generator is not None:
            csr = [rbac.ObjectRef("certificates.k8s.io/v1", "CertificateSigningRequest", self.agent_csr_name)] if self.agent_csr_name else []
            failures += await steps.delete_objects(self.generator, [*csr, *self.control_plane_created])
        for line in failures:
            click.echo(f"warning: could not delete {line}", err=True)

    async def close(self) -> None:
        if self.generator is not None:
            await self.generator.close()


def dry_run_objects(plan: Plan, info: ci.ClusterInfo) -> list[dict[str, Any]]:
    """What register would create, in order; keys, requests and certificates are described."""
    p = plan.settings

    def csr(name: str, common_name: str) -> dict[str, Any]:
        obj = agent_csr.csr_object(name, b"", expiration_seconds=plan.cert_expiration_seconds)
        obj["spec"]["request"] = f"(PKCS#10 request: RSA {agent_csr.RSA_BITS}, CN={common_name}, O={agent_csr.AGENT_GROUP})"
        return obj

    issued = "(issued through the CSR at registration)"
    kubeconfig = ci.kubeconfig(plan.server, info.ca_pem, p.cluster, {"client-certificate-data": issued, "client-key-data": issued})
    return [
        csr(f"agent-rbac-generator-{p.cluster}<random>", agent_csr.RBAC_GENERATOR_USER),
        *control_plane_objects(p),
        csr(f"{p.cluster}-<random>", agent_csr.agent_user(p.cluster)),
        *rbac.member_objects(p, yaml.safe_dump(kubeconfig, sort_keys=False)),
    ]


@click.command("register")
@click.argument("karmada_apiserver_endpoint", metavar="KARMADA_APISERVER_ENDPOINT")
@click.option("--kubeconfig", default="", help="Path to the kubeconfig file of the member cluster.")
@click.option("--context", default="", help="Name of the member's context in --kubeconfig.")
@click.option("-n", "--namespace", default=c.KARMADA_SYSTEM_NAMESPACE, show_default=True, help="Namespace of karmada-agent in the member.")
@click.option("--cluster-name", default="", help="Name of the cluster in the control plane (default: the cluster of the member kubeconfig's context).")
@click.option("--cluster-namespace", default=c.KARMADA_CLUSTER_NAMESPACE, show_default=True, help="Namespace in the control plane where the member's secrets are stored.")
@click.option("--cluster-provider", default="", help="Provider of the cluster.")
@click.option("--cluster-region", default="", help="Region of the cluster.")
@click.option("--cluster-zones", multiple=True, help="Zones of the cluster (comma list or repeated).")
@click.option("--enable-cert-rotation", is_flag=True, help="Let karmada-agent rotate its certificate before it expires.")
@click.option("--token", default="", help="Bootstrap token that signs the control plane's cluster-info and authenticates the registration.")
@click.option("--discovery-token-ca-cert-hash", "ca_cert_hashes", multiple=True, help="Pin of the control plane's CA public key, sha256:<hex> (comma list or repeated).")
@click.option("--discovery-token-unsafe-skip-ca-verification", is_flag=True, help="Trust the control plane on the token's signature alone, without CA pinning.")
@click.option("--discovery-timeout", type=GoDuration(positive=True), default="5m", show_default=True, help="How long to try to discover the control plane (also each CSR and the rollout).")
@click.option("--karmada-agent-image", default=rbac.DEFAULT_AGENT_IMAGE, show_default=True)
@click.option("--karmada-agent-replicas", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--cert-expiration-seconds", type=click.IntRange(min=600), default=agent_csr.DEFAULT_EXPIRATION_SECONDS, show_default=True, help="Lifetime of the agent's certificate.")
@click.option("--dry-run", is_flag=True, help="Check, and print every object register would create; write nothing.")
@click.option("--proxy-server-address", default="", help="Address of the proxy server the control plane reaches the cluster through.")
def register(karmada_apiserver_endpoint: str, kubeconfig: str, context: str, namespace: str, cluster_name: str, cluster_namespace: str, cluster_provider: str, cluster_region: str, cluster_zones: tuple[str, ...], enable_cert_rotation: bool, token: str, ca_cert_hashes: tuple[str, ...], discovery_token_unsafe_skip_ca_verification: bool, discovery_timeout: Any, karmada_agent_image: str, karmada_agent_replicas: int, cert_expiration_seconds: int, dry_run: bool, proxy_server_address: str) -> None:
    """Register a member cluster with the control plane in Pull mode."""
    member_conn = load(kubeconfig, context, "member cluster")
    cluster_name = cluster_name or _default_cluster_name(kubeconfig, context)
    parsed, pins = _check(karmada_apiserver_endpoint, token, ca_cert_hashes, discovery_token_unsafe_skip_ca_verification, cluster_name)
    zones = tuple(z.strip() for value in cluster_zones for z in value.split(",") if z.strip())
    settings = rbac.AgentSettings(cluster_name, namespace, cluster_namespace, member_conn.server, cluster_provider, cluster_region, zones, enable_cert_rotation, proxy_server_address, karmada_agent_image, karmada_agent_replicas)
    plan = Plan(karmada_apiserver_endpoint, parsed, pins, settings, discovery_timeout.total_seconds(), cert_expiration_seconds)
    # With --dry-run the YAML is the output; progress goes to stderr.
    say: Callable[[str], None] = (lambda m: click.echo(m, err=True)) if dry_run else click.echo
    parent = parent_command()

    async def run() -> None:
        async with KubeClient(member_conn) as member:
            say("[preflight] Running pre-flight checks")
            errors = await steps.preflight(member, namespace)
            if errors:
                say("error execution phase preflight: [preflight] Some fatal errors occurred:")
                for error in errors:
                    say(f"\t[ERROR]: {error}")
                say("\n[preflight] Please check the above errors")
                sys.exit(1)  # upstream exits 0 here; a failed preflight is a failure
            say("[preflight] All pre-flight checks were passed")
            say("[karmada-agent-start] Waiting to perform the TLS Bootstrap")
            info = await discover(plan.endpoint, plan.token, plan.pins, timeout=plan.timeout, parent_command=parent, log=say)
            if dry_run:
                click.echo(_yaml(dry_run_objects(plan, info)), nl=False)
                return
            registration = Registration(plan, member, say)
            try:
                await registration.run(info)
            except BaseException:
                await registration.undo()
                raise
            finally:
                await registration.close()

    try:
        asyncio.run(run())
    except (DiscoveryError, steps.StepError, ci.ClusterInfoError, ApiError) as e:
        raise click.ClickException(str(e)) from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
        raise click.ClickException(f"cannot reach the API server: {e or type(e).__name__}") from None
    if not dry_run:
        click.echo(f"\ncluster({cluster_name}) is joined successfully")
