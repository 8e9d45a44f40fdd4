"""Pull-mode registration's pure parts: tokens, detached JWS, CA pins, cluster-info, agent RBAC."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pykarmada.certs.ca import CertificateAuthority
from pykarmada.karmada.bootstrap import clusterinfo as ci
from pykarmada.karmada.bootstrap import rbac
from pykarmada.karmada.bootstrap import token as bt
from pykarmada.karmada.bootstrap.jws import sign_detached, verify_detached
from pykarmada.karmada.bootstrap.pins import PinError, ca_pins, check_any, parse_pins, spki_hash
from pykarmada.karmada.bootstrap.steps import rolled_out
from pykarmada.kube.flags import parse_go_duration

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
MANIFEST = Path(__file__).resolve().parents[3] / "manifests" / "bootstrap-token-rbac.yaml"


# ---- tokens ----

def test_generated_tokens_have_the_bootstrap_form_and_differ() -> None:
    tokens = {str(bt.generate_token()) for _ in range(50)}
    assert len(tokens) == 50
    for value in tokens:
        assert bt.parse_token(value).id == value[:6]


@pytest.mark.parametrize("value", ["abcdef.0123456789abcdef0", "ABCDEF.0123456789abcdef", "abcde.0123456789abcdef", "abcdef0123456789abcdef", "abcdef:0123456789abcdef", ""])
def test_malformed_tokens_are_refused_without_quoting_them(value: str) -> None:
    with pytest.raises(bt.TokenError) as e:
        bt.parse_token(value)
    assert value[7:] not in str(e.value) or not value[7:]


def test_token_secret_layout() -> None:
    token = bt.Token("abcdef", "0123456789abcdef")
    secret = bt.token_secret(token, ttl=timedelta(hours=24), usages=["signing", "authentication"], groups=[bt.DEFAULT_GROUP], description="for member4", now=NOW)
    assert secret["metadata"] == {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    assert secret["stringData"] == {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "description": "for member4",
        "expiration": "2026-01-03T03:04:05Z",
        "usage-bootstrap-signing": "true",
        "usage-bootstrap-authentication": "true",
        "auth-extra-groups": "system:bootstrappers:karmada:default-cluster-token",
    }


def test_a_ttl_of_zero_never_expires() -> None:
    secret = bt.token_secret(bt.Token("abcdef", "0123456789abcdef"), ttl=timedelta(0), usages=[], groups=[], description="", now=NOW)
    assert set(secret["stringData"]) == {"token-id", "token-secret"}
    info = bt.token_info("bootstrap-token-abcdef", secret["stringData"])
    assert bt.list_row(info, NOW) == ["abcdef.0123456789abcdef", "<forever>", "<never>", "<none>", "<none>", "<none>"]


def test_list_row_of_a_token_secret() -> None:
    data = bt.token_secret(bt.Token("abcdef", "0123456789abcdef"), ttl=timedelta(hours=24), usages=["signing", "authentication"], groups=["system:bootstrappers:a", "system:bootstrappers:b"], description="d", now=NOW)["stringData"]
    row = bt.list_row(bt.token_info("bootstrap-token-abcdef", data), NOW + timedelta(hours=1))
    assert row == ["abcdef.0123456789abcdef", "23h", "2026-01-03T03:04:05Z", "authentication,signing", "d", "system:bootstrappers:a,system:bootstrappers:b"]


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("bootstrap-token-abcdef", {}, "no token-id"),
        ("bootstrap-token-xxxxxx", {"token-id": "abcdef", "token-secret": "0123456789abcdef"}, "is not named"),
        ("bootstrap-token-abcdef", {"token-id": "abcdef", "token-secret": "short"}, "no valid token"),
        ("bootstrap-token-abcdef", {"token-id": "abcdef", "token-secret": "0123456789abcdef", "expiration": "tomorrow"}, "RFC 3339"),
    ],
)
def test_broken_token_secrets_are_named(name: str, data: dict[str, str], why: str) -> None:
    with pytest.raises(bt.TokenError, match=why):
        bt.token_info(name, data)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "<invalid>"), (-0.5, "0s"), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"), (86400, "1d"), (86400 * 364, "364d"), (86400 * 365 * 3, "3y")],
)
def test_short_human_duration(seconds: float, text: str) -> None:
    assert bt.short_duration(timedelta(seconds=seconds)) == text


def test_usage_and_group_checks() -> None:
    assert bt.unknown_usages(["signing", "authentication", "sign"]) == ["sign"]
    assert bt.invalid_groups([bt.DEFAULT_GROUP, "system:bootstrappers:x", "system:masters", "system:bootstrappers:"]) == ["system:masters", "system:bootstrappers:"]


@pytest.mark.parametrize(("text", "seconds"), [("24h", 86400), ("0", 0), ("1h30m", 5400), ("1.5s", 1.5), ("300ms", 0.3), ("60", 60), ("2m0s", 120)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text, bare_seconds=True) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5 minutes", "1d", "h", "1h-5m"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


# ---- detached JWS ----

CONTENT = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: ''\n"


def test_detached_jws_round_trip_and_shape() -> None:
    signature = sign_detached(CONTENT, "abcdef", "0123456789abcdef")
    header, payload, _mac = signature.split(".")
    assert payload == ""
    assert base64.urlsafe_b64decode(header + "==") == b'{"alg":"HS256","kid":"abcdef"}'
    assert verify_detached(signature, CONTENT, "abcdef", "0123456789abcdef")


@pytest.mark.parametrize(
    ("content", "token_id", "secret"),
    [(CONTENT + " ", "abcdef", "0123456789abcdef"), (CONTENT, "abcdeg", "0123456789abcdef"), (CONTENT, "abcdef", "0123456789abcdeg")],
)
def test_detached_jws_refuses_other_content_kid_or_key(content: str, token_id: str, secret: str) -> None:
    assert not verify_detached(sign_detached(CONTENT, "abcdef", "0123456789abcdef"), content, token_id, secret)


def test_detached_jws_refuses_attached_payloads_other_algorithms_and_garbage() -> None:
    signature = sign_detached(CONTENT, "abcdef", "0123456789abcdef")
    header, _, mac = signature.split(".")
    attached = f"{header}.{base64.urlsafe_b64encode(CONTENT.encode()).rstrip(b'=').decode()}.{mac}"
    none_alg = base64.urlsafe_b64encode(b'{"alg":"none","kid":"abcdef"}').rstrip(b"=").decode()
    for bad in (attached, f"{none_alg}..{mac}", "not-a-jws", "..", f"{header}..@@@", ""):
        assert not verify_detached(bad, CONTENT, "abcdef", "0123456789abcdef")


# ---- CA pins ----

@pytest.fixture(scope="module")
def ca_pem() -> bytes:
    return CertificateAuthority.create("pin-test-ca").cert_pem


def test_pin_is_sha256_of_the_der_spki(ca_pem: bytes) -> None:
    cert = x509.load_pem_x509_certificate(ca_pem)
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert spki_hash(cert) == "sha256:" + hashlib.sha256(der).hexdigest()
    assert ca_pins(ca_pem) == [spki_hash(cert)]


def test_pins_parse_case_insensitively_and_refuse_other_forms() -> None:
    digest = "ab" * 32
    assert parse_pins([f"SHA256:{digest.upper()}", f"sha256:{digest}"]) == {f"sha256:{digest}"}
    for bad in (digest, f"md5:{digest}", "sha256:abc", f"sha256:{digest}00", "sha256:" + "zz" * 32):
        with pytest.raises(PinError):
            parse_pins([bad])


def test_any_pinned_ca_of_a_bundle_is_accepted(ca_pem: bytes) -> None:
    other = CertificateAuthority.create("other-ca").cert_pem
    bundle = other + ca_pem
    check_any(bundle, {ca_pins(ca_pem)[0]})
    with pytest.raises(PinError, match="pinned"):
        check_any(other, {ca_pins(ca_pem)[0]})


# ---- cluster-info and kubeconfigs ----

def test_cluster_info_round_trip(ca_pem: bytes) -> None:
    cm = ci.cluster_info_configmap("https://127.0.0.1:6443", ca_pem)
    assert (cm["metadata"]["namespace"], cm["metadata"]["name"]) == ("kube-public", "cluster-info")
    info = ci.parse_kubeconfig(cm["data"]["kubeconfig"])
    assert info == ci.ClusterInfo("https://127.0.0.1:6443", ca_pem)


def test_cluster_info_must_hold_exactly_one_cluster() -> None:
    two = yaml.safe_dump({"clusters": [{"name": "a", "cluster": {}}, {"name": "b", "cluster": {}}]})
    with pytest.raises(ci.ClusterInfoError, match="single cluster, but it had 2"):
        ci.parse_kubeconfig(two)
    with pytest.raises(ci.ClusterInfoError, match="had 0"):
        ci.parse_kubeconfig("kind: Config\n")


def test_agent_kubeconfig_names(ca_pem: bytes) -> None:
    config = ci.kubeconfig("https://10.0.0.1:5443", ca_pem, "member4", ci.cert_credentials(b"CERT", b"KEY"))
    assert config["current-context"] == "member4@karmada-apiserver"
    assert config["clusters"][0]["name"] == "karmada-apiserver"
    assert config["clusters"][0]["cluster"]["server"] == "https://10.0.0.1:5443"
    assert config["users"] == [{"name": "member4", "user": {"client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ"}}]


# ---- RBAC ----

def test_agent_rbac_is_limited_to_its_cluster() -> None:
    objects = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in rbac.agent_rbac("member4", "karmada-cluster")}
    assert list(objects) == [
        ("ClusterRole", "", "system:karmada:member4:agent"),
        ("ClusterRoleBinding", "", "system:karmada:member4:agent"),
        ("Role", "karmada-cluster", "system:karmada:member4:agent-secret"),
        ("Role", "karmada-es-member4", "system:karmada:member4:agent-work"),
        ("RoleBinding", "karmada-cluster", "system:karmada:member4:agent-secret"),
        ("RoleBinding", "karmada-es-member4", "system:karmada:member4:agent-work"),
    ]
    for key, obj in objects.items():
        if "Binding" in key[0]:
            assert obj["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:karmada:agent:member4"}]
            assert obj["roleRef"]["name"] == key[2]
    rules = objects[("ClusterRole", "", "system:karmada:member4:agent")]["rules"]
    cluster_rules = [r for r in rules if r["apiGroups"] == ["cluster.karmada.io"]]
    assert {tuple(r["verbs"]): r.get("resourceNames") for r in cluster_rules} == {("get", "update", "delete"): ["member4"], ("create", "list", "watch"): None, ("update",): ["member4"]}
    secret_rules = objects[("Role", "karmada-cluster", "system:karmada:member4:agent-secret")]["rules"]
    assert secret_rules[0]["resourceNames"] == ["member4", "member4-impersonator"]


def test_agent_deployment_command() -> None:
    settings = rbac.AgentSettings("member4", "karmada-system", "karmada-cluster", "https://127.0.0.1:7000", "kwok", "us-east-1", ("z1", "z2"), True, "http://proxy:8080")
    objects = rbac.member_objects(settings, "kubeconfig text")
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Namespace", "karmada-system"), ("Secret", "karmada-kubeconfig"), ("ClusterRole", "karmada-agent"),
        ("ServiceAccount", "karmada-agent-sa"), ("ClusterRoleBinding", "karmada-agent"), ("Deployment", "karmada-agent"),
    ]
    deployment = objects[-1]
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "karmada-agent"}}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "karmada-agent-sa"
    assert pod["tolerations"] == [{"key": "node-role.kubernetes.io/master", "operator": "Exists"}]
    command = pod["containers"][0]["command"]
    assert command[:4] == ["/bin/karmada-agent", "--karmada-kubeconfig=/etc/kubeconfig/karmada-kubeconfig", "--cluster-name=member4", "--cluster-api-endpoint=https://127.0.0.1:7000"]
    assert "--cluster-zones=z1,z2" in command and "--controllers=*,certRotation" in command
    assert "--leader-elect-resource-namespace=karmada-system" in command and "--proxy-server-address=http://proxy:8080" in command
    assert objects[1]["stringData"] == {"karmada-kubeconfig": "kubeconfig text"} and objects[1]["type"] == "Opaque"


def test_unregister_removes_what_register_and_the_agent_made() -> None:
    names = [str(r) for r in rbac.member_cleanup("member4", "karmada-system", "karmada-cluster")]
    assert names == [
        "ServiceAccount/karmada-cluster/karmada-member4",
        "ClusterRole/karmada-controller-manager:karmada-member4",
        "ClusterRoleBinding/karmada-controller-manager:karmada-member4",
        "Secret/karmada-cluster/karmada-member4",
        "ServiceAccount/karmada-cluster/karmada-impersonator",
        "Secret/karmada-cluster/karmada-impersonator",
        "Namespace/karmada-cluster",
        "Deployment/karmada-system/karmada-agent",
        "ServiceAccount/karmada-system/karmada-agent-sa",
        "ClusterRole/karmada-agent",
        "ClusterRoleBinding/karmada-agent",
        "Secret/karmada-system/karmada-kubeconfig",
    ]
    paths = {str(r): r.path() for r in rbac.member_cleanup("member4", "karmada-system", "karmada-cluster")}
    assert paths["Deployment/karmada-system/karmada-agent"] == "/apis/apps/v1/namespaces/karmada-system/deployments/karmada-agent"
    assert paths["ClusterRole/karmada-agent"] == "/apis/rbac.authorization.k8s.io/v1/clusterroles/karmada-agent"
    assert paths["Namespace/karmada-cluster"] == "/api/v1/namespaces/karmada-cluster"


def test_shipped_bootstrap_rbac() -> None:
    objects = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    assert all(o["metadata"]["labels"] == {"karmada.io/bootstrapping": "rbac-defaults"} for o in objects)
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    assert set(by_name) == {
        ("Role", "system:karmada:bootstrap-signer-clusterinfo"), ("RoleBinding", "system:karmada:bootstrap-signer-clusterinfo"),
        ("ClusterRoleBinding", "system:karmada:agent-bootstrap"),
        ("ClusterRole", "system:karmada:certificatesigningrequest:autoapprover"), ("ClusterRoleBinding", "system:karmada:agent-autoapprove-bootstrap"),
        ("ClusterRole", "system:karmada:certificatesigningrequest:selfautoapprover"), ("ClusterRoleBinding", "system:karmada:agent-autoapprove-certificate-rotation"),
        ("ClusterRole", "system:karmada:agent-rbac-generator"), ("ClusterRoleBinding", "system:karmada:agent-rbac-generator"),
    }
    assert by_name[("ClusterRoleBinding", "system:karmada:agent-bootstrap")]["roleRef"]["name"] == "system:node-bootstrapper"
    assert by_name[("ClusterRoleBinding", "system:karmada:agent-autoapprove-certificate-rotation")]["subjects"][0]["name"] == "system:karmada:agents"
    assert by_name[("RoleBinding", "system:karmada:bootstrap-signer-clusterinfo")]["subjects"][0]["name"] == "system:anonymous"
    assert by_name[("ClusterRole", "system:karmada:certificatesigningrequest:autoapprover")]["rules"][0]["resources"] == ["certificatesigningrequests/clusteragent"]


# ---- rollout ----

@pytest.mark.parametrize(
    ("status", "done"),
    [
        ({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}, True),
        ({"observedGeneration": 0, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}, False),
        ({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0}, False),
        ({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}, False),
        ({}, False),
    ],
)
def test_rolled_out(status: dict[str, int], done: bool) -> None:
    assert rolled_out({"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": status}) is done
