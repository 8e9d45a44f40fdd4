"""karmadactl addons against a real host cluster: member1 of the local environment (a real
kube-apiserver with kwok nodes, whose pods kwok reports ready), in a namespace of its own that
holds a karmada-cert Secret as init leaves it. The estimator is enabled for member2, whose
kubeconfig the command checks and stores."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest
import yaml

from pykarmada.certs import CertificateAuthority
from pykarmada.kube.config import load_kubeconfig
from tests.e2e.framework.env import LocalEnv, karmadactl

ESTIMATOR = "karmada-scheduler-estimator"


@pytest.fixture
def host_ns(local_env: LocalEnv) -> Iterator[str]:
    ns = f"karmada-addons-{uuid.uuid4().hex[:6]}"
    ca = CertificateAuthority.create("karmada")
    local_env.kubectl("create", "namespace", ns, context="member1")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "karmada-cert", "namespace": ns},
              "data": {"ca.crt": base64.b64encode(ca.cert_pem).decode(), "ca.key": base64.b64encode(ca.key_pem).decode()}}  # fmt: skip
    local_env.kubectl("apply", "-f", "-", input=yaml.safe_dump(secret), context="member1")
    try:
        yield ns
    finally:
        local_env.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", context="member1", check=False)


def _addons(env: LocalEnv, ns: str, *args: str, check: bool = True) -> str:
    host = ["--kubeconfig", env.members_kubeconfig, "--context", "member1", "-n", ns, "--karmada-kubeconfig", env.karmada_kubeconfig]
    proc = karmadactl("addons", *args, *host, check=check)
    return proc.stdout if check else proc.stderr


def test_estimator_per_member_and_descheduler_with_the_secrets_they_mount(local_env: LocalEnv, host_ns: str) -> None:
    ns = host_ns
    refused = _addons(local_env, ns, "enable", ESTIMATOR, check=False)
    assert "-C/--cluster" in refused, refused
    member = ["-C", "member2", "--member-kubeconfig", local_env.members_kubeconfig, "--member-context", "member2"]
    out = _addons(local_env, ns, "enable", ESTIMATOR, "karmada-descheduler", *member, "--pod-timeout", "90")
    assert f"enabled {ESTIMATOR} for member cluster member2" in out and "enabled karmada-descheduler" in out, out

    deployment = local_env.kubectl_json("get", "deployment", f"{ESTIMATOR}-member2", "-n", ns, context="member1")
    assert "--cluster-name=member2" in deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    stored = local_env.kubectl_json("get", "secret", "member2-kubeconfig", "-n", ns, context="member1")["data"]["member2-kubeconfig"]
    server = yaml.safe_load(base64.b64decode(stored))["clusters"][0]["cluster"]["server"]
    assert server == load_kubeconfig(local_env.members_kubeconfig).connection("member2").server
    for name in ("karmada-scheduler-estimator-cert", "karmada-descheduler-kubeconfig", "karmada-descheduler-estimator-client"):
        assert local_env.kubectl("get", "secret", name, "-n", ns, context="member1", check=False).returncode == 0, name
    listed = _addons(local_env, ns, "list", "-C", "member2")
    assert any(line.split() == [ESTIMATOR, "|", "enabled"] for line in listed.splitlines()), listed

    _addons(local_env, ns, "disable", ESTIMATOR, "-C", "member2", "--force")
    for kind, name in (("deployment", f"{ESTIMATOR}-member2"), ("service", f"{ESTIMATOR}-member2"), ("secret", "member2-kubeconfig")):
        assert local_env.kubectl("get", kind, name, "-n", ns, context="member1", check=False).returncode != 0, name
    assert local_env.kubectl("get", "secret", "karmada-scheduler-estimator-cert", "-n", ns, context="member1", check=False).returncode == 0
    assert any(line.split() == [ESTIMATOR, "|", "disabled"] for line in _addons(local_env, ns, "list").splitlines())
