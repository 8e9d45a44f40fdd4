"""Pull mode (issue 9), control-plane and CLI half: bootstrap tokens, cluster-info signing,
``register`` with CA pinning and the agentcsrapproving controller, the agent's narrow RBAC,
bad input, and ``unregister``. Run against the real environment; the last member is unjoined
for the module (Push) and joined back at the end, so other tests keep every member. No
karmada-agent process runs here: under kwok its Deployment's pod becomes Running without one,
so the Cluster the agent would create is created with the agent's own credentials."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pykarmada.karmada.bootstrap.pins import ca_pins
from pykarmada.kube.config import load_kubeconfig
from pykarmada.localup.nodes import member_region_zone
from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for

AGENT_RBAC = [
    ("clusterrole", "", "system:karmada:{c}:agent"),
    ("clusterrolebinding", "", "system:karmada:{c}:agent"),
    ("role", "karmada-cluster", "system:karmada:{c}:agent-secret"),
    ("rolebinding", "karmada-cluster", "system:karmada:{c}:agent-secret"),
    ("role", "karmada-es-{c}", "system:karmada:{c}:agent-work"),
    ("rolebinding", "karmada-es-{c}", "system:karmada:{c}:agent-work"),
]
MEMBER_OBJECTS = [
    ("deployment", "karmada-system", "karmada-agent"),
    ("serviceaccount", "karmada-system", "karmada-agent-sa"),
    ("secret", "karmada-system", "karmada-kubeconfig"),
    ("clusterrole", "", "karmada-agent"),
    ("clusterrolebinding", "", "karmada-agent"),
]


def _ready(cluster: dict[str, Any]) -> str:
    return next((x["status"] for x in cluster.get("status", {}).get("conditions", []) if x["type"] == "Ready"), "Unknown")


def _exists(env: LocalEnv, kind: str, namespace: str, name: str, context: str = "karmada-apiserver") -> bool:
    ns = ["-n", namespace] if namespace else []
    return bool(env.kubectl("get", kind, name, *ns, "--ignore-not-found", "-o", "name", context=context).stdout.strip())


def _leftovers(env: LocalEnv, cluster: str, *, member: bool = True) -> list[str]:
    """Control-plane RBAC (and, for the registering member, the execution namespace) of register,
    its CSRs, and the member's agent objects."""
    found = [f"{k}/{n.format(c=cluster)}" for k, ns, n in AGENT_RBAC if _exists(env, k, ns.format(c=cluster), n.format(c=cluster))]
    if member and _exists(env, "namespace", "", f"karmada-es-{cluster}"):
        found.append(f"namespace/karmada-es-{cluster}")
    csrs = env.kubectl_json("get", "csr", "-l", "karmada.io/system=true")["items"]
    found += [f"csr/{x['metadata']['name']}" for x in csrs if x["metadata"]["name"].startswith(f"agent-rbac-generator-{cluster}")]
    if member:
        found += [f"member {k}/{n}" for k, ns, n in MEMBER_OBJECTS if _exists(env, k, ns, n, context=cluster)]
    return found


@pytest.fixture(scope="module")
def control_plane(local_env: LocalEnv) -> tuple[str, bytes]:
    """(host:port, CA PEM) of the control plane, as a member would be told them."""
    conn = load_kubeconfig(local_env.karmada_kubeconfig).connection("karmada-apiserver")
    assert conn.ca_pem
    return conn.server.removeprefix("https://"), conn.ca_pem


@pytest.fixture(scope="module")
def pin(control_plane: tuple[str, bytes]) -> str:
    return ca_pins(control_plane[1])[0]


def _token(env: LocalEnv, *args: str) -> str:
    return karmadactl("token", "create", "--kubeconfig", env.karmada_kubeconfig, *args).stdout.strip()


def _token_cmd(env: LocalEnv, verb: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return karmadactl("token", verb, "--kubeconfig", env.karmada_kubeconfig, *args, check=check)


def _token_kubeconfig(path: Path, control_plane: tuple[str, bytes], token: str) -> str:
    server, ca = control_plane
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "bootstrap",
        "clusters": [{"name": "cp", "cluster": {"server": f"https://{server}", "certificate-authority-data": base64.b64encode(ca).decode()}}],
        "users": [{"name": "bootstrap", "user": {"token": token}}],
        "contexts": [{"name": "bootstrap", "context": {"cluster": "cp", "user": "bootstrap"}}],
    }))
    return str(path)


def _kubectl_as(env: LocalEnv, kubeconfig: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env.kubectl_path), "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, input=input, timeout=60)


def _whoami(env: LocalEnv, kubeconfig: str) -> dict[str, Any]:
    proc = _kubectl_as(env, kubeconfig, "auth", "whoami", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["status"]["userInfo"]  # type: ignore[no-any-return]


def _jws_keys(env: LocalEnv) -> set[str]:
    data = env.kubectl_json("get", "configmap", "cluster-info", "-n", "kube-public").get("data") or {}
    return {k for k in data if k.startswith("jws-kubeconfig-")}


@pytest.fixture(scope="module")
def pull_member(local_env: LocalEnv) -> Iterator[str]:
    """The last Push member (local-up registers the last one in Pull mode), unjoined from Push
    mode for this module; joined back (and Ready) after."""
    member = local_env.push_members[-1]
    flags = ["--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", member, "--kubeconfig", local_env.karmada_kubeconfig]
    karmadactl("unjoin", member, *flags)
    wait_for(lambda: not _exists(local_env, "namespace", "", f"karmada-es-{member}"), timeout=60, what=f"karmada-es-{member} to go")
    try:
        yield member
    finally:
        cluster = local_env.kubectl("get", "cluster", member, "--ignore-not-found", "-o", "json").stdout.strip()
        if cluster and json.loads(cluster)["spec"].get("syncMode") == "Pull":
            karmadactl("unregister", member, "--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", member,
                       "--karmada-config", local_env.karmada_kubeconfig, check=False)
        for kind, ns, name in MEMBER_OBJECTS:
            local_env.kubectl("delete", kind, name, *(["-n", ns] if ns else []), "--ignore-not-found", "--wait=false", context=member)
        for kind, ns, name in AGENT_RBAC:
            local_env.kubectl("delete", kind, name.format(c=member), *(["-n", ns.format(c=member)] if ns else []), "--ignore-not-found")
        wait_for(lambda: not _exists(local_env, "namespace", "", "karmada-cluster", context=member), timeout=60, what="the member's karmada-cluster namespace to go")
        wait_for(lambda: not _exists(local_env, "namespace", "", f"karmada-es-{member}"), timeout=60, what=f"karmada-es-{member} to go")
        region, zone = member_region_zone(int(member.removeprefix("member")))
        karmadactl("join", member, *flags, "--cluster-provider=kwok", f"--cluster-region={region}", f"--cluster-zones={zone}")
        wait_for(lambda: _ready(local_env.kubectl_json("get", "cluster", member)) == "True", timeout=90, what=f"{member} Ready after re-joining")


# ---- token ----


def test_token_create_list_delete(local_env: LocalEnv, control_plane: tuple[str, bytes], tmp_path: Path) -> None:
    token = _token(local_env, "--ttl", "1h", "--description", "e2e token")
    token_id = token.split(".")[0]
    secret = local_env.kubectl_json("get", "secret", f"bootstrap-token-{token_id}", "-n", "kube-system")
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["token-id"] == token_id and data["usage-bootstrap-signing"] == data["usage-bootstrap-authentication"] == "true"
    assert data["auth-extra-groups"] == "system:bootstrappers:karmada:default-cluster-token" and data["description"] == "e2e token"

    listing = _token_cmd(local_env, "list").stdout.splitlines()
    assert listing[0].split() == ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA", "GROUPS"]
    row = next(line for line in listing if line.startswith(token))
    cells = row.split()
    assert cells[1] in ("59m", "1h") and cells[2] == data["expiration"] and cells[3] == "authentication,signing"
    assert "e2e token" in row and row.endswith("system:bootstrappers:karmada:default-cluster-token")

    # The token authenticates as the bootstrap user, with the token's extra group.
    user = _whoami(local_env, _token_kubeconfig(tmp_path / "token.kubeconfig", control_plane, token))
    assert user["username"] == f"system:bootstrap:{token_id}"
    assert {"system:bootstrappers", "system:bootstrappers:karmada:default-cluster-token"} <= set(user["groups"])

    # The bootstrapsigner signs cluster-info for it, and drops the signature with the token.
    wait_for(lambda: f"jws-kubeconfig-{token_id}" in _jws_keys(local_env), timeout=30, what="cluster-info signed for the new token")
    deleted = _token_cmd(local_env, "delete", token)
    assert deleted.stdout.strip() == f'bootstrap token "{token_id}" deleted'
    assert not _exists(local_env, "secret", "kube-system", f"bootstrap-token-{token_id}")
    wait_for(lambda: f"jws-kubeconfig-{token_id}" not in _jws_keys(local_env), timeout=30, what="the signature to go with the token")

    other = _token(local_env, "--ttl", "0").split(".")[0]
    assert _token_cmd(local_env, "delete", other).stdout.strip() == f'bootstrap token "{other}" deleted'
    bad = _token_cmd(local_env, "delete", "not-a-token", check=False)
    assert bad.returncode != 0 and "[a-z0-9]{6}" in bad.stderr


def test_token_print_register_command(local_env: LocalEnv, control_plane: tuple[str, bytes], pin: str) -> None:
    line = _token(local_env, "--print-register-command")
    words = line.split()
    assert words[:3] == ["karmadactl", "register", control_plane[0]] and words[3] == "--token" and words[5:] == ["--discovery-token-ca-cert-hash", pin]
    _token_cmd(local_env, "delete", words[4])


# ---- register: bad input leaves nothing ----


def _register(env: LocalEnv, member: str, endpoint: str, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return karmadactl("register", endpoint, "--kubeconfig", env.members_kubeconfig, "--context", member, *args, check=check, timeout=300)


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0, proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return errors[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_register_refuses_bad_input_and_leaves_nothing(local_env: LocalEnv, pull_member: str, control_plane: tuple[str, bytes], pin: str) -> None:
    endpoint = control_plane[0]
    token = _token(local_env)
    token_id = token.split(".")[0]
    wait_for(lambda: f"jws-kubeconfig-{token_id}" in _jws_keys(local_env), timeout=30, what="cluster-info signed")
    wrong_secret = f"{token_id}.{('1' if token[7] == '0' else '0')}{token[8:]}"
    other_pin = "sha256:" + "ab" * 32

    expired = _token(local_env, "--ttl", "1s")
    expired_id = expired.split(".")[0]
    wait_for(lambda: not _exists(local_env, "secret", "kube-system", f"bootstrap-token-{expired_id}") and f"jws-kubeconfig-{expired_id}" not in _jws_keys(local_env),
             timeout=60, what="the expired token to be cleaned up")

    cases = {
        "wrong token": (["--token", wrong_secret, "--discovery-token-ca-cert-hash", pin], "can't trust this API server"),
        "expired token": (["--token", expired, "--discovery-token-ca-cert-hash", pin, "--discovery-timeout", "2s"], f'token id "{expired_id}" is invalid for this cluster or it has expired'),
        "wrong CA hash": (["--token", token, "--discovery-token-ca-cert-hash", other_pin], "is not pinned"),
        "malformed CA hash": (["--token", token, "--discovery-token-ca-cert-hash", "md5:abc"], "invalid discovery token CA certificate hash"),
        "no CA hash": (["--token", token], "--discovery-token-unsafe-skip-ca-verification"),
        "malformed token": (["--token", "abc", "--discovery-token-ca-cert-hash", pin], "not of the form"),
        "name taken": (["--token", token, "--discovery-token-ca-cert-hash", pin, "--cluster-name", "member1"], "cluster with name member1 already exists"),
    }
    for what, (args, message) in cases.items():
        line = _error_line(_register(local_env, pull_member, endpoint, *args))
        assert message in line, f"{what}: {line}"
        assert token[7:] not in line and expired[7:] not in line, f"{what}: the error shows a token secret"
    unreachable = _error_line(_register(local_env, pull_member, f"127.0.0.1:{_free_port()}", "--token", token, "--discovery-token-ca-cert-hash", pin, "--discovery-timeout", "2s"))
    assert "cannot reach the control plane at https://127.0.0.1:" in unreachable
    scheme = _error_line(_register(local_env, pull_member, f"https://{endpoint}", "--token", token, "--discovery-token-ca-cert-hash", pin))
    assert "without a scheme" in scheme

    assert _leftovers(local_env, pull_member) == []
    assert _leftovers(local_env, "member1", member=False) == []
    _token_cmd(local_env, "delete", token_id)


def _csr_request(cn: str, orgs: list[str]) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn), *(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs)]
    pem = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


def test_only_agent_csrs_are_approved(local_env: LocalEnv, control_plane: tuple[str, bytes], tmp_path: Path) -> None:
    token = _token(local_env)
    as_bootstrap = _token_kubeconfig(tmp_path / "bootstrap.kubeconfig", control_plane, token)
    usages = ["digital signature", "key encipherment", "client auth"]
    suffix = token[:6]
    rogue = {
        f"rogue-signer-{suffix}": ("system:karmada:agent:rogue", ["system:karmada:agents"], "example.com/signer"),
        f"rogue-group-{suffix}": ("system:karmada:agent:rogue", ["system:karmada:admins"], "kubernetes.io/kube-apiserver-client"),
        f"rogue-extra-group-{suffix}": ("system:karmada:agent:rogue", ["system:karmada:agents", "system:karmada:admins"], "kubernetes.io/kube-apiserver-client"),
        f"rogue-cn-{suffix}": ("system:admin", ["system:karmada:agents"], "kubernetes.io/kube-apiserver-client"),
    }
    good = f"agent-{suffix}"
    names = [*rogue, good]
    try:
        for name, (cn, orgs, signer) in [*rogue.items(), (good, ("system:karmada:agent:e2e", ["system:karmada:agents"], "kubernetes.io/kube-apiserver-client"))]:
            csr = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": name},
                   "spec": {"request": _csr_request(cn, orgs), "signerName": signer, "usages": usages}}
            created = _kubectl_as(local_env, as_bootstrap, "create", "-f", "-", input=json.dumps(csr))
            assert created.returncode == 0, created.stderr

        def approved(name: str) -> bool:
            conditions = local_env.kubectl_json("get", "csr", name).get("status", {}).get("conditions") or []
            return any(x["type"] == "Approved" and x["reason"] == "AutoApproved" for x in conditions)

        wait_for(lambda: approved(good), timeout=30, what="the agent CSR to be approved")
        wait_for(lambda: local_env.kubectl_json("get", "csr", good).get("status", {}).get("certificate"), timeout=30, what="csrsigning to issue it")
        for name in rogue:
            assert not local_env.kubectl_json("get", "csr", name).get("status", {}).get("conditions"), f"{name} was decided"
    finally:
        local_env.kubectl("delete", "csr", *names, "--ignore-not-found")
        _token_cmd(local_env, "delete", token)


# ---- register, end to end ----


def test_register_dry_run_writes_nothing(local_env: LocalEnv, pull_member: str, control_plane: tuple[str, bytes], pin: str) -> None:
    token = _token(local_env)
    csrs_before = {x["metadata"]["name"] for x in local_env.kubectl_json("get", "csr")["items"]}
    try:
        proc = _register(local_env, pull_member, control_plane[0], "--token", token, "--discovery-token-ca-cert-hash", pin, "--dry-run", check=True)
        objects = [d for d in yaml.safe_load_all(proc.stdout) if d]
        kinds = sorted({o["kind"] for o in objects})
        assert kinds == ["CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "Deployment", "Namespace", "Role", "RoleBinding", "Secret", "ServiceAccount"]
        assert {o["metadata"]["name"] for o in objects if o["kind"] == "ClusterRole"} == {f"system:karmada:{pull_member}:agent", "karmada-agent"}
        assert "[preflight] All pre-flight checks were passed" in proc.stderr
        assert _leftovers(local_env, pull_member) == []
        assert {x["metadata"]["name"] for x in local_env.kubectl_json("get", "csr")["items"]} <= csrs_before
    finally:
        _token_cmd(local_env, "delete", token)


@pytest.fixture(scope="module")
def registered(local_env: LocalEnv, pull_member: str, control_plane: tuple[str, bytes], pin: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``register`` the member with CA pinning; return the agent kubeconfig it wrote."""
    token = _token(local_env)
    proc = _register(local_env, pull_member, control_plane[0], "--token", token, "--discovery-token-ca-cert-hash", pin,
                     "--cluster-provider", "kwok", "--cluster-region", "us-east-1", "--cluster-zones", "z1,z2", check=True)
    _token_cmd(local_env, "delete", token)
    assert proc.stdout.rstrip().endswith(f"cluster({pull_member}) is joined successfully")
    for step in ("[preflight] All pre-flight checks were passed", "[karmada-agent-start] Waiting to check cluster exists",
                 "[karmada-agent-start] Assign the necessary RBAC permissions to the agent"):
        assert step in proc.stdout
    secret = local_env.kubectl_json("get", "secret", "karmada-kubeconfig", "-n", "karmada-system", context=pull_member)
    path = tmp_path_factory.mktemp("agent") / "karmada-kubeconfig"
    path.write_bytes(base64.b64decode(secret["data"]["karmada-kubeconfig"]))
    return str(path)


def test_register_installs_the_agent(local_env: LocalEnv, pull_member: str, registered: str, control_plane: tuple[str, bytes]) -> None:
    deployment = local_env.kubectl_json("get", "deployment", "karmada-agent", "-n", "karmada-system", context=pull_member)
    assert deployment["status"]["availableReplicas"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    member_server = load_kubeconfig(local_env.members_kubeconfig).connection(pull_member).server
    assert f"--cluster-name={pull_member}" in container["command"] and f"--cluster-api-endpoint={member_server}" in container["command"]
    assert "--cluster-zones=z1,z2" in container["command"]
    config = yaml.safe_load(Path(registered).read_text())
    assert config["current-context"] == f"{pull_member}@karmada-apiserver"
    assert config["clusters"][0]["cluster"]["server"] == f"https://{control_plane[0]}"
    for kind, ns, name in AGENT_RBAC:
        assert _exists(local_env, kind, ns.format(c=pull_member), name.format(c=pull_member)), (kind, name)
    # The RBAC generator's CSR is gone; its certificate did its job.
    assert not [x for x in local_env.kubectl_json("get", "csr")["items"] if x["metadata"]["name"].startswith("agent-rbac-generator-")]
    # A second register finds the agent installed and stops, failing.
    again = _register(local_env, pull_member, control_plane[0], "--token", "abcdef.0123456789abcdef", "--discovery-token-unsafe-skip-ca-verification")
    assert again.returncode != 0
    assert "[ERROR]: karmada-system/karmada-kubeconfig Secret already exists" in again.stdout
    assert "[ERROR]: karmada-system/karmada-agent Deployment already exists" in again.stdout


def test_agent_identity_is_limited_to_its_own_cluster(local_env: LocalEnv, pull_member: str, registered: str) -> None:
    user = _whoami(local_env, registered)
    assert user["username"] == f"system:karmada:agent:{pull_member}" and "system:karmada:agents" in user["groups"]

    def as_agent(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return _kubectl_as(local_env, registered, *args, input=input)

    def forbidden(proc: subprocess.CompletedProcess[str]) -> bool:
        return proc.returncode != 0 and "Forbidden" in proc.stderr

    es = f"karmada-es-{pull_member}"
    work = {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": {"name": "agent-rbac-check", "namespace": es},
            "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}}]}}}
    assert as_agent("create", "-f", "-", input=json.dumps(work)).returncode == 0
    assert as_agent("get", "works", "-n", es).returncode == 0
    assert as_agent("delete", "work", "agent-rbac-check", "-n", es).returncode == 0
    assert forbidden(as_agent("get", "works", "-n", "karmada-es-member1"))
    assert forbidden(as_agent("create", "-f", "-", input=json.dumps({**work, "metadata": {"name": "x", "namespace": "karmada-es-member1"}})))

    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": pull_member, "namespace": "karmada-cluster"}, "stringData": {"token": "t"}}
    assert as_agent("create", "-f", "-", input=json.dumps(secret)).returncode == 0
    assert as_agent("get", "secret", pull_member, "-n", "karmada-cluster").returncode == 0
    assert forbidden(as_agent("get", "secret", "member1", "-n", "karmada-cluster"))
    assert forbidden(as_agent("get", "secrets", "-n", "karmada-cluster"))

    assert forbidden(as_agent("get", "cluster", "member1"))
    assert forbidden(as_agent("delete", "cluster", "member1"))
    # The Cluster the agent creates when it starts (5.2), with the agent's own identity.
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": pull_member},
               "spec": {"syncMode": "Pull", "apiEndpoint": load_kubeconfig(local_env.members_kubeconfig).connection(pull_member).server,
                        "id": local_env.kubectl_json("get", "namespace", "kube-system", context=pull_member)["metadata"]["uid"]}}
    created = as_agent("create", "-f", "-", "-o", "json", input=json.dumps(cluster))
    assert created.returncode == 0, created.stderr
    uid = json.loads(created.stdout)["metadata"]["uid"]
    assert as_agent("get", "cluster", pull_member).returncode == 0

    # Its Lease, owned by the Cluster as the agent makes it (5.5).
    owner = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": pull_member, "uid": uid}
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": pull_member, "namespace": "karmada-cluster", "ownerReferences": [owner]},
             "spec": {"holderIdentity": pull_member, "leaseDurationSeconds": 40}}
    assert as_agent("create", "-f", "-", input=json.dumps(lease)).returncode == 0
    assert as_agent("get", "lease", pull_member, "-n", "karmada-cluster").returncode == 0
    # Another cluster's lease can be neither read, renewed, listed nor deleted (upstream's
    # ClusterRole would let it read and renew every Lease).
    other = next((m for m in local_env.state.pull_members if m != pull_member), None)
    if other is not None:
        assert forbidden(as_agent("get", "lease", other, "-n", "karmada-cluster"))
        renew = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": other, "namespace": "karmada-cluster"}, "spec": {"holderIdentity": pull_member}}
        assert forbidden(as_agent("replace", "-f", "-", input=json.dumps(renew)))
    assert forbidden(as_agent("delete", "lease", "member1", "-n", "karmada-cluster"))
    assert forbidden(as_agent("get", "leases", "-n", "karmada-cluster"))


# ---- unregister ----


def test_unregister_refuses_push_clusters(local_env: LocalEnv) -> None:
    proc = karmadactl("unregister", "member1", "--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", "member1",
                      "--karmada-config", local_env.karmada_kubeconfig, check=False)
    assert "Push mode member cluster" in _error_line(proc) and "unjoin" in proc.stderr


def test_unregister_leaves_nothing(local_env: LocalEnv, pull_member: str, registered: str) -> None:
    member_flags = ["--cluster-kubeconfig", local_env.members_kubeconfig, "--cluster-context", pull_member]
    # Without --karmada-config the control plane is reached as the agent, from its mounted Secret.
    dry = karmadactl("unregister", pull_member, *member_flags, "--dry-run")
    assert f"cluster({pull_member}) would be unregistered (dry run)" in dry.stdout
    assert _exists(local_env, "cluster", "", pull_member) and _exists(local_env, "deployment", "karmada-system", "karmada-agent", context=pull_member)

    proc = karmadactl("unregister", pull_member, *member_flags, "--karmada-config", local_env.karmada_kubeconfig, "--wait", "90s")
    assert proc.stdout.rstrip().endswith(f"cluster({pull_member}) is unregistered successfully")
    assert not _exists(local_env, "cluster", "", pull_member)
    wait_for(lambda: not _exists(local_env, "namespace", "", f"karmada-es-{pull_member}"), timeout=60, what="the execution namespace to go")
    assert _leftovers(local_env, pull_member) == []
    for secret in (pull_member, f"{pull_member}-impersonator"):
        assert not _exists(local_env, "secret", "karmada-cluster", secret)
    wait_for(lambda: not _exists(local_env, "lease", "karmada-cluster", pull_member), timeout=60, what="the agent's Lease to go with its Cluster")
    wait_for(lambda: not _exists(local_env, "namespace", "", "karmada-cluster", context=pull_member), timeout=60, what="the member's cluster namespace to go")
