"""``karmadactl promote`` (issue 13): a Deployment that exists only in member1 is adopted into the
control plane with its ConfigMap, propagated back to member1 only, and taken over there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import yaml

from tests.e2e.framework.env import LocalEnv, karmadactl
from tests.e2e.framework.wait import wait_for


@pytest.fixture()
def member_only(local_env: LocalEnv) -> Iterator[str]:
    ns = f"promo-{uuid.uuid4().hex[:6]}"
    local_env.kubectl("create", "namespace", ns)  # namespace sync creates it in the members too
    wait_for(lambda: local_env.kubectl("get", "namespace", ns, context="member1", check=False).returncode == 0, timeout=60, what="the namespace in member1")
    local_env.kubectl("create", "configmap", "cfg", "-n", ns, "--from-literal=a=1", context="member1")
    local_env.kubectl("create", "deployment", "web", "-n", ns, "--image=nginx", context="member1")
    local_env.kubectl("set", "env", "deployment/web", "-n", ns, "--from=configmap/cfg", context="member1")
    yield ns
    local_env.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def _fully_applied(env: LocalEnv, ns: str, name: str) -> bool:
    rb = env.kubectl_json("get", "resourcebinding", name, "-n", ns)
    return any(c["type"] == "FullyApplied" and c["status"] == "True" for c in rb.get("status", {}).get("conditions", []))


def test_promote_adopts_a_member_deployment_with_its_dependencies(local_env: LocalEnv, member_only: str) -> None:
    ns, kc = member_only, f"--kubeconfig={local_env.karmada_kubeconfig}"
    printed = karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", "-o", "yaml", kc).stdout
    template, policy = list(yaml.safe_load_all(printed))
    assert template["metadata"]["annotations"]["work.karmada.io/conflict-resolution"] == "overwrite"
    assert "status" not in template and "uid" not in template["metadata"]
    assert policy["spec"]["placement"] == {"clusterAffinity": {"clusterNames": ["member1"]}}
    assert policy["spec"]["conflictResolution"] == "Overwrite" and policy["spec"]["preserveResourcesOnDeletion"] is True
    karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", "--dry-run", kc)
    assert local_env.kubectl("get", "deployment", "web", "-n", ns, check=False).returncode != 0  # nothing written

    out = karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", "-d", kc).stdout
    assert f'Dependency resource "/v1, Resource=configmaps"({ns}/cfg) is promoted successfully' in out
    assert f'Resource "apps/v1, Resource=deployments"({ns}/web) is promoted successfully' in out
    wait_for(lambda: _fully_applied(local_env, ns, "web-deployment") and _fully_applied(local_env, ns, "cfg-configmap"), timeout=60, what="both bindings FullyApplied")
    member = local_env.kubectl_json("get", "deployment", "web", "-n", ns, context="member1")
    assert member["metadata"]["labels"]["karmada.io/managed"] == "true"
    assert local_env.kubectl("get", "deployment", "web", "-n", ns, context="member2", check=False).returncode != 0
    again = karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", kc)
    assert "already exist in karmada control plane" in again.stderr


def test_promote_refusals_write_nothing(local_env: LocalEnv, member_only: str) -> None:
    ns, kc = member_only, f"--kubeconfig={local_env.karmada_kubeconfig}"
    missing = karmadactl("promote", "deployment", "nosuch", "-n", ns, "-C", "member1", kc, check=False)
    assert missing.returncode == 1 and "doesn't exist in cluster(member1)" in missing.stderr
    no_cluster = karmadactl("promote", "deployment", "web", "-n", ns, kc, check=False)
    assert no_cluster.returncode == 2 and "the cluster cannot be empty" in no_cluster.stderr
    # A policy of the generated name exists: refused before the template is written.
    taken = yaml.safe_load(karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", "-o", "yaml", kc).stdout.split("\n---\n")[1])
    taken["spec"]["placement"] = {"clusterAffinity": {"clusterNames": ["member2"]}}
    taken["spec"]["resourceSelectors"][0]["name"] = "something-else"
    local_env.kubectl("apply", "-f", "-", input=yaml.safe_dump(taken))
    refused = karmadactl("promote", "deployment", "web", "-n", ns, "-C", "member1", kc, check=False)
    assert refused.returncode == 1 and "already exist, please edit it to propagate resource" in refused.stderr
    assert local_env.kubectl("get", "deployment", "web", "-n", ns, check=False).returncode != 0
