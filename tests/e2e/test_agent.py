"""karmada-agent (issue 9, Pull mode) as a real process of the test against the shared
environment: member2 (a Push member; local-up runs member3's agent itself) is unjoined, the agent
registers it in Pull mode, reports its status and heartbeat, applies its Works; the controller
process never reaches member2 (the Cluster's apiEndpoint is one nobody listens on). At the end
member2 is joined in Push mode again, as the other tests expect it."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pykarmada.certs import CertificateAuthority, issue_client_cert
from pykarmada.certs.ca import key_to_pem
from pykarmada.localup.state import Layout

from tests.e2e.framework import metrics
from tests.e2e.framework import propagation as fw
from tests.e2e.framework.agent import UNREACHABLE_ENDPOINT, Agent, back_to_push, cluster_ready, member_kubeconfig, unjoin
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.wait import wait_for

MEMBER = "member2"
TIMEOUT = 90
LEASE_SECONDS = 8  # renewed every 2 s (fraction 0.25), so the test sees renewals soon


@pytest.fixture(scope="module")
def agent(local_env: LocalEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    assert MEMBER not in local_env.state.pull_members, f"{MEMBER} must be a Push member of the environment"
    spec = local_env.kubectl_json("get", "cluster", MEMBER)["spec"]
    placement = [f"--cluster-provider={spec['provider']}", f"--cluster-region={spec['region']}", f"--cluster-zones={','.join(spec['zones'])}"]
    workdir = tmp_path_factory.mktemp("agent")
    member_kubeconfig(local_env, MEMBER, workdir / "member.config")
    unjoin(local_env, MEMBER)
    agent = Agent(local_env, MEMBER, workdir, [
        *placement, f"--cluster-api-endpoint={UNREACHABLE_ENDPOINT}", f"--cluster-lease-duration={LEASE_SECONDS}s", "--cluster-status-update-frequency=2s",
    ])
    agent.start()
    try:
        wait_for(lambda: cluster_ready(local_env, MEMBER), timeout=TIMEOUT, what=f"{MEMBER} Ready in Pull mode")
        yield agent
    finally:
        back_to_push(local_env, agent, placement)


def _cluster(env: LocalEnv) -> dict:
    return env.kubectl_json("get", "cluster", MEMBER)


def test_the_agent_registers_its_member_as_a_ready_pull_cluster(local_env: LocalEnv, agent: Agent) -> None:
    cluster = _cluster(local_env)
    spec = cluster["spec"]
    assert spec["syncMode"] == "Pull" and spec["apiEndpoint"] == UNREACHABLE_ENDPOINT
    assert spec["id"] == local_env.kubectl_json("get", "namespace", "kube-system", context=MEMBER)["metadata"]["uid"]
    assert spec["secretRef"] == {"namespace": "karmada-cluster", "name": MEMBER}
    assert spec["impersonatorSecretRef"] == {"namespace": "karmada-cluster", "name": f"{MEMBER}-impersonator"}
    assert spec["region"] and spec["zones"] and spec["provider"] == "kwok"
    # Status collected by the agent: the controller process cannot reach the member at that endpoint.
    status = wait_for(lambda: (s := _cluster(local_env).get("status") or {}).get("nodeSummary") and s, timeout=TIMEOUT, what="node summary")
    assert status["kubernetesVersion"].startswith("v1.")
    assert status["nodeSummary"]["totalNum"] == local_env.state.nodes_per_member
    assert any(e["groupVersion"] == "apps/v1" for e in status["apiEnablements"])
    # The reported Secrets are owned by the Cluster, so they go with it.
    for name in (MEMBER, f"{MEMBER}-impersonator"):
        owners = local_env.kubectl_json("get", "secret", name, "-n", "karmada-cluster")["metadata"]["ownerReferences"]
        assert owners == [{"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": MEMBER, "uid": cluster["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    # The agent's leader Lease lives in the control plane.
    assert local_env.kubectl_json("get", "lease", f"karmada-agent-{MEMBER}", "-n", "karmada-system")["spec"]["holderIdentity"]
    assert metrics.get(f"http://127.0.0.1:{agent.health_port}/readyz") == (200, "ok")
    assert metrics.scrape(f"http://127.0.0.1:{agent.metrics_port}/metrics").has("controller_runtime_reconcile_total")


def test_the_cluster_lease_is_renewed(local_env: LocalEnv, agent: Agent) -> None:
    def lease() -> dict:
        return local_env.kubectl_json("get", "lease", MEMBER, "-n", "karmada-cluster")

    first = wait_for(lease, timeout=TIMEOUT, what="the cluster lease")
    assert first["spec"]["holderIdentity"] == MEMBER and first["spec"]["leaseDurationSeconds"] == LEASE_SECONDS
    uid = _cluster(local_env)["metadata"]["uid"]
    assert [o["uid"] for o in first["metadata"]["ownerReferences"]] == [uid]
    wait_for(lambda: lease()["spec"]["renewTime"] > first["spec"]["renewTime"], timeout=LEASE_SECONDS * 2, what="a renewal")


def _member_replicas(env: LocalEnv, ns: str) -> int | None:
    proc = env.kubectl("get", "deployment", "nginx", "-n", ns, "-o", "json", "--ignore-not-found", context=MEMBER)
    return json.loads(proc.stdout)["spec"]["replicas"] if proc.stdout.strip() else None


def _nginx_to_member1_and_member3() -> list[dict]:
    policy = fw.sample("nginx-propagationpolicy.yaml")
    placement = policy["spec"]["placement"]
    placement["clusterAffinity"]["clusterNames"] = ["member1", MEMBER]
    placement["replicaScheduling"]["weightPreference"]["staticWeightList"][1]["targetCluster"]["clusterNames"] = [MEMBER]
    return [fw.sample("nginx-deployment.yaml"), policy]


@pytest.fixture
def ns(local_env: LocalEnv, agent: Agent) -> Iterator[str]:
    """A namespace of its own, deleted while the agent runs, so it cleans member3 up."""
    with fw.namespace(local_env, "agent") as name:
        yield name


def test_the_agent_applies_the_nginx_sample_and_its_status_comes_back(local_env: LocalEnv, agent: Agent, ns: str) -> None:
    fw.apply(local_env, ns, *_nginx_to_member1_and_member3())
    wait_for(lambda: _member_replicas(local_env, ns) == 1, timeout=TIMEOUT, what="nginx applied to member3 by the agent")
    wait_for(lambda: local_env.kubectl_json("get", "deployment", "nginx", "-n", ns).get("status", {}).get("readyReplicas") == 2, timeout=TIMEOUT, what="READY 2/2 on the control plane")
    work = fw.works(local_env, "Deployment", "nginx", ns)[MEMBER]
    conditions = {c["type"]: c for c in work["status"]["conditions"]}
    assert conditions["Applied"]["status"] == "True" and conditions["Dispatching"]["status"] == "True"
    assert "karmada.io/execution-controller" in work["metadata"]["finalizers"]
    assert work["status"]["manifestStatuses"][0]["health"] == "Healthy"
    binding = local_env.kubectl_json("get", "resourcebinding", "nginx-deployment", "-n", ns)
    assert {i["clusterName"] for i in binding["status"]["aggregatedStatus"] if i.get("applied")} == {"member1", MEMBER}
    # The controller process opened no connection to member3's registered endpoint.
    scrape = metrics.scrape(metrics.endpoint(local_env, "karmada-controller-manager/metrics"))
    assert scrape.total("rest_client_requests_total", host=UNREACHABLE_ENDPOINT.removeprefix("https://")) == 0
    # Nothing secret in the agent's log.
    log = agent.logs()
    for name in (MEMBER, f"{MEMBER}-impersonator"):
        token = base64.b64decode(local_env.kubectl_json("get", "secret", name, "-n", "karmada-cluster")["data"]["token"]).decode()
        assert token not in log
    assert "PRIVATE KEY" not in log and "Bearer" not in log


def test_killing_and_restarting_the_agent_loses_nothing(local_env: LocalEnv, agent: Agent, ns: str) -> None:
    fw.apply(local_env, ns, *_nginx_to_member1_and_member3())
    wait_for(lambda: _member_replicas(local_env, ns) == 1, timeout=TIMEOUT, what="nginx in member3")
    agent.stop(kill=True)
    # While the agent is away the template changes: the Work changes, the member does not yet.
    local_env.kubectl("scale", "deployment", "nginx", "-n", ns, "--replicas=4")
    wait_for(lambda: fw.work_replicas(local_env, "Deployment", "nginx", ns).get(MEMBER) == 2, timeout=TIMEOUT, what="member3's Work at 2 replicas")
    assert _member_replicas(local_env, ns) == 1
    agent.start()
    wait_for(lambda: _member_replicas(local_env, ns) == 2, timeout=TIMEOUT, what="the restarted agent applying the new Work")
    wait_for(lambda: local_env.kubectl_json("get", "deployment", "nginx", "-n", ns).get("status", {}).get("readyReplicas") == 4, timeout=TIMEOUT, what="READY 4/4")
    assert "already exists and is up to date" in agent.log.read_text()
    assert cluster_ready(local_env, MEMBER) and _cluster(local_env)["spec"]["syncMode"] == "Pull"


def test_the_same_member_cannot_register_under_another_name(local_env: LocalEnv, agent: Agent) -> None:
    other = f"copy-{uuid.uuid4().hex[:4]}"
    proc = agent.run_once(other)
    assert proc.returncode == 1, proc.stderr
    assert "has been registered" in proc.stderr and "Traceback" not in proc.stderr
    assert local_env.kubectl("get", "cluster", other, "--ignore-not-found", "-o", "name").stdout.strip() == ""


def test_sigterm_gives_the_leader_lease_back(local_env: LocalEnv, agent: Agent) -> None:
    assert agent.stop() == 0
    lease = local_env.kubectl_json("get", "lease", f"karmada-agent-{MEMBER}", "-n", "karmada-system")
    assert not lease["spec"].get("holderIdentity")
    assert "released" in agent.log.read_text()
    agent.start()
    wait_for(lambda: local_env.kubectl_json("get", "lease", f"karmada-agent-{MEMBER}", "-n", "karmada-system")["spec"].get("holderIdentity"), timeout=30, what="leader again")


def _rotation_kubeconfig(env: LocalEnv, cert: bytes, key: bytes) -> dict:
    """The agent's karmada kubeconfig as ``register`` writes it, with the given client credentials."""
    server = env.kubectl_json("config", "view", "--minify", "--flatten")["clusters"][0]["cluster"]
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": f"{MEMBER}@karmada-apiserver",
        "clusters": [{"name": "karmada-apiserver", "cluster": {"server": server["server"], "certificate-authority-data": server["certificate-authority-data"]}}],
        "contexts": [{"name": f"{MEMBER}@karmada-apiserver", "context": {"cluster": "karmada-apiserver", "user": MEMBER}}],
        "users": [{"name": MEMBER, "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)}}],
    }


def test_cert_rotation_renews_a_certificate_near_its_end(local_env: LocalEnv, agent: Agent, tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(Layout(local_env.state_dir).pki / "karmada", "ca", "karmada-ca")
    lifetime = datetime.timedelta(hours=1)
    old = issue_client_cert(ca, f"system:karmada:agent:{MEMBER}", ["system:karmada:agents"], validity=lifetime, not_before=datetime.datetime.now(datetime.timezone.utc) - lifetime * 0.9)
    config = _rotation_kubeconfig(local_env, old.cert_pem, key_to_pem(old.key))
    local_env.kubectl("create", "namespace", "karmada-system", context=MEMBER, check=False)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "karmada-kubeconfig", "namespace": "karmada-system"}, "data": {"karmada-kubeconfig": base64.b64encode(yaml.safe_dump(config).encode()).decode()}}
    local_env.kubectl("apply", "-f", "-", context=MEMBER, input=json.dumps(secret))
    before = {csr["metadata"]["name"] for csr in local_env.kubectl_json("get", "csr")["items"]}
    rotating = subprocess.Popen(agent.command("--controllers=certRotation", "--leader-elect=false", "--cert-rotation-checking-interval=2s", "--metrics-bind-address=0", "--health-probe-bind-address=0"),
                                stdout=(tmp_path / "rotation.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        def requested() -> str | None:
            return next((csr["metadata"]["name"] for csr in local_env.kubectl_json("get", "csr")["items"]
                         if csr["metadata"]["name"].startswith(f"{MEMBER}-") and csr["metadata"]["name"] not in before), None)

        name = wait_for(requested, timeout=TIMEOUT, what="the rotation CSR")
        csr = local_env.kubectl_json("get", "csr", name)
        assert csr["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client" and csr["spec"]["expirationSeconds"] == 3600
        assert csr["spec"]["usages"] == ["digital signature", "key encipherment", "client auth"]
        # The controller process's agentcsrapproving approves it (this agent asks as the admin,
        # whom RBAC allows certificatesigningrequests/clusteragent).
        wait_for(lambda: any(c["type"] == "Approved" for c in local_env.kubectl_json("get", "csr", name).get("status", {}).get("conditions", [])),
                 timeout=TIMEOUT, what="the rotation CSR approved")

        def rotated() -> dict | None:
            data = local_env.kubectl_json("get", "secret", "karmada-kubeconfig", "-n", "karmada-system", context=MEMBER)["data"]["karmada-kubeconfig"]
            current = yaml.safe_load(base64.b64decode(data))
            return current if current["users"][0]["user"]["client-certificate-data"] != config["users"][0]["user"]["client-certificate-data"] else None

        new = wait_for(rotated, timeout=TIMEOUT, what="the Secret with the new certificate")
    finally:
        rotating.terminate()
        rotating.wait(timeout=10)
        local_env.kubectl("delete", "secret", "karmada-kubeconfig", "-n", "karmada-system", "--ignore-not-found", context=MEMBER)
    cert = x509.load_pem_x509_certificate(base64.b64decode(new["users"][0]["user"]["client-certificate-data"]))
    assert cert.subject == old.cert.subject and cert.not_valid_after_utc > old.cert.not_valid_after_utc
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    # The new credentials work: the control plane knows the agent by them.
    (tmp_path / "rotated.config").write_text(yaml.safe_dump(new))
    whoami = subprocess.run([str(local_env.kubectl_path), "--kubeconfig", str(tmp_path / "rotated.config"), "auth", "whoami", "-o", "json"], capture_output=True, text=True, timeout=30)
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == f"system:karmada:agent:{MEMBER}", whoami.stderr
    log = (tmp_path / "rotation.log").read_text()
    assert "PRIVATE KEY" not in log and new["users"][0]["user"]["client-key-data"] not in log
