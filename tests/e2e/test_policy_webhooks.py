"""Issue 'Policy and work APIs with admission webhooks': Karmada's CRDs and karmada-webhook in the
local control plane, driven with the real kubectl. Karmada's own sample policies apply unchanged
and read back with their defaults; wrong policies are refused at `kubectl apply` naming the field;
with the webhook server down, policy writes fail closed."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pykarmada.karmada import constants as c
from pykarmada.localup.processes import is_running
from tests.e2e.framework import components
from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.policies import TESTDATA, delete_cluster_scoped, header, load, scratch_namespace
from tests.e2e.framework.wait import wait_for

SAMPLES = TESTDATA / "samples"
INVALID = sorted((TESTDATA / "invalid-policies").glob("*.yaml"))
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
WEBHOOK = "karmada/karmada-webhook"
CPP_RESOURCE, COP_RESOURCE = "clusterpropagationpolicies", "clusteroverridepolicies"


@pytest.fixture
def namespace(local_env: LocalEnv) -> Iterator[str]:
    with scratch_namespace(local_env) as ns:
        yield ns


def _apply(env: LocalEnv, path: Path, namespace: str, *, check: bool = True) -> Any:
    return env.kubectl("apply", "-n", namespace, "-f", str(path), check=check)


def _get(env: LocalEnv, resource: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    return env.kubectl_json("get", resource, name, *(["-n", namespace] if namespace else []))


# ---- the API is installed ----------------------------------------------------------------------
def test_crds_serve_short_names_and_category(local_env: LocalEnv) -> None:
    resources = local_env.kubectl("api-resources", "--categories=karmada-io", "-o", "wide").stdout
    for plural, short, version in [
        ("propagationpolicies", "pp", "policy.karmada.io/v1alpha1"),
        ("clusterpropagationpolicies", "cpp", "policy.karmada.io/v1alpha1"),
        ("overridepolicies", "op", "policy.karmada.io/v1alpha1"),
        ("clusteroverridepolicies", "cop", "policy.karmada.io/v1alpha1"),
        ("resourcebindings", "rb", "work.karmada.io/v1alpha2"),
        ("clusterresourcebindings", "crb", "work.karmada.io/v1alpha2"),
        ("works", "wk", "work.karmada.io/v1alpha1"),
    ]:
        assert re.search(rf"^{plural}\s+{short}\s+{re.escape(version)}\s", resources, re.M), f"{plural} missing:\n{resources}"
    configs = local_env.kubectl("get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name").stdout.split()
    assert {"mutatingwebhookconfiguration.admissionregistration.k8s.io/mutating-config",
            "validatingwebhookconfiguration.admissionregistration.k8s.io/validating-config"} <= set(configs)  # fmt: skip


# ---- Karmada's samples apply unchanged ---------------------------------------------------------
def test_nginx_sample_propagation_policy(local_env: LocalEnv, namespace: str) -> None:
    _apply(local_env, SAMPLES / "nginx-propagationpolicy.yaml", namespace)
    pp = _get(local_env, "pp", "nginx-propagation", namespace)
    policy_id = pp["metadata"]["labels"][c.PROPAGATION_POLICY_PERMANENT_ID_LABEL]
    assert UUID.match(policy_id)
    assert pp["metadata"]["finalizers"] == [c.PROPAGATION_POLICY_CONTROLLER_FINALIZER]
    spec = pp["spec"]
    assert spec["resourceSelectors"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "namespace": namespace}]
    assert (spec["priority"], spec["preemption"], spec["conflictResolution"], spec["schedulerName"]) == (0, "Never", "Abort", "default-scheduler")
    scheduling = spec["placement"]["replicaScheduling"]
    assert (scheduling["replicaSchedulingType"], scheduling["replicaDivisionPreference"]) == ("Divided", "Weighted")
    assert [w["weight"] for w in scheduling["weightPreference"]["staticWeightList"]] == [1, 1]
    assert spec["placement"]["clusterAffinity"] == {"clusterNames": ["member1", "member2"]}
    # Applying again is a no-op for the system fields: same permanent id, one finalizer.
    _apply(local_env, SAMPLES / "nginx-propagationpolicy.yaml", namespace)
    again = _get(local_env, "pp", "nginx-propagation", namespace)
    assert again["metadata"]["labels"][c.PROPAGATION_POLICY_PERMANENT_ID_LABEL] == policy_id
    assert again["metadata"]["finalizers"] == [c.PROPAGATION_POLICY_CONTROLLER_FINALIZER]
    table = local_env.kubectl("get", "pp", "-n", namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"]
    assert table[1].split()[:3] == ["nginx-propagation", "Abort", "0"]


def test_guestbook_samples(local_env: LocalEnv, namespace: str) -> None:
    _apply(local_env, SAMPLES / "guestbook-propagationpolicy.yaml", namespace)
    _apply(local_env, SAMPLES / "guestbook-overridepolicy.yaml", namespace)
    _apply(local_env, SAMPLES / "guestbook-clusterpropagationpolicy.yaml", namespace)
    try:
        pp = _get(local_env, "pp", "example-policy", namespace)
        assert pp["spec"]["resourceSelectors"] == [{"apiVersion": "webapp.my.domain/v1", "kind": "Guestbook", "namespace": namespace}]
        assert pp["spec"]["placement"]["clusterAffinity"] == {"clusterNames": ["member1"]}
        assert "replicaScheduling" not in pp["spec"]["placement"], "no replicaScheduling stays Duplicated"

        op = _get(local_env, "op", "guestbook-sample", namespace)
        assert op["spec"]["resourceSelectors"][0]["namespace"] == namespace
        plaintext = op["spec"]["overrideRules"][0]["overriders"]["plaintext"]
        assert plaintext == [
            {"path": "/spec/size", "operator": "replace", "value": 4},
            {"path": "/metadata/annotations", "operator": "add", "value": {"OverridePolicy": "test"}},
        ]

        cpp = _get(local_env, "cpp", "example-policy")
        assert UUID.match(cpp["metadata"]["labels"][c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL])
        assert cpp["metadata"]["finalizers"] == [c.CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER]
        assert cpp["spec"]["resourceSelectors"] == [
            {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "guestbooks.webapp.my.domain"}
        ], "a cluster-scoped policy's selectors get no namespace"
    finally:
        delete_cluster_scoped(local_env, CPP_RESOURCE, "example-policy")


@pytest.mark.parametrize("sample", ["overridepolicy-all-overriders.yaml", "nginx-overridepolicy.yaml"])
def test_override_policies_round_trip(local_env: LocalEnv, namespace: str, sample: str) -> None:
    source = load(SAMPLES / sample)
    _apply(local_env, SAMPLES / sample, namespace)
    stored = _get(local_env, "op", source["metadata"]["name"], namespace)
    expected = json.loads(json.dumps(source["spec"]))
    for selector in expected["resourceSelectors"]:
        selector["namespace"] = namespace
    assert stored["spec"]["overrideRules"] == expected["overrideRules"], "every overrider and value is kept as written"
    assert stored["spec"]["resourceSelectors"] == expected["resourceSelectors"]


def test_webhook_defaults(local_env: LocalEnv, namespace: str) -> None:
    policy = {
        "apiVersion": c.POLICY_V1ALPHA1,
        "kind": "PropagationPolicy",
        "metadata": {"name": "defaults", "labels": {c.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "chosen-by-user"}},
        "spec": {
            "resourceSelectors": [{"apiVersion": c.SERVICE_IMPORT_API_VERSION, "kind": c.SERVICE_IMPORT_KIND, "name": "svc"}],
            "placement": {"replicaScheduling": {}, "spreadConstraints": [{"maxGroups": 2}]},
            "failover": {"application": {"decisionConditions": {}}},
        },
    }
    local_env.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(policy))
    pp = _get(local_env, "pp", "defaults", namespace)
    assert pp["metadata"]["labels"][c.PROPAGATION_POLICY_PERMANENT_ID_LABEL] != "chosen-by-user"
    spec = pp["spec"]
    assert spec["propagateDeps"] is True
    assert spec["placement"]["replicaScheduling"] == {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
    assert spec["placement"]["spreadConstraints"] == [{"maxGroups": 2, "minGroups": 1, "spreadByField": "cluster"}]
    assert spec["failover"]["application"] == {
        "decisionConditions": {"tolerationSeconds": 300},
        "purgeMode": "Gracefully",
        "gracePeriodSeconds": 600,
    }
    assert "clusterTolerations" not in spec["placement"], "no default tolerations"


def test_updates_keep_system_fields(local_env: LocalEnv, namespace: str) -> None:
    _apply(local_env, SAMPLES / "nginx-propagationpolicy.yaml", namespace)
    pp = _get(local_env, "pp", "nginx-propagation", namespace)
    patch = json.dumps({"spec": {"schedulerName": "my-scheduler"}})
    refused = local_env.kubectl("patch", "pp", "nginx-propagation", "-n", namespace, "--type=merge", "-p", patch, check=False)
    assert refused.returncode != 0 and 'spec.schedulerName: Invalid value: "my-scheduler": field is immutable' in refused.stderr
    label = c.PROPAGATION_POLICY_PERMANENT_ID_LABEL
    relabel = local_env.kubectl("label", "pp", "nginx-propagation", "-n", namespace, f"{label}=mine", "--overwrite", check=False)
    assert relabel.returncode != 0 and f"metadata.labels[{label}]" in relabel.stderr and "immutable" in relabel.stderr
    del pp["metadata"]["labels"][label]
    replaced = local_env.kubectl("replace", "-f", "-", input=json.dumps(pp), check=False)
    assert replaced.returncode != 0 and f"metadata.labels[{label}]: Required value" in replaced.stderr
    ok = local_env.kubectl("patch", "pp", "nginx-propagation", "-n", namespace, "--type=merge", "-p", '{"spec":{"priority":7}}')
    assert ok.returncode == 0
    assert _get(local_env, "pp", "nginx-propagation", namespace)["spec"]["priority"] == 7


# ---- invalid policies are refused, naming the field ---------------------------------------------
def test_invalid_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_policy_is_refused(local_env: LocalEnv, namespace: str, path: Path) -> None:
    expect, policy = header(path), load(path)
    proc = _apply(local_env, path, namespace, check=False)
    assert proc.returncode != 0, f"{path.name} was accepted"
    assert expect["field"] in proc.stderr and expect["reason"] in proc.stderr, proc.stderr
    if expect["refused-by"] == "webhook":
        assert "denied the request" in proc.stderr, proc.stderr
    resource = {"PropagationPolicy": "pp", "ClusterPropagationPolicy": "cpp", "OverridePolicy": "op", "ClusterOverridePolicy": "cop"}[policy["kind"]]
    ns = [] if policy["kind"].startswith("Cluster") else ["-n", namespace]
    stored = local_env.kubectl("get", resource, policy["metadata"]["name"], *ns, check=False)
    assert stored.returncode != 0 and "NotFound" in stored.stderr, "nothing is stored"


# ---- bindings and Works ------------------------------------------------------------------------
def test_binding_and_work_mutations(local_env: LocalEnv, namespace: str) -> None:
    rb = {
        "apiVersion": c.WORK_V1ALPHA2, "kind": "ResourceBinding", "metadata": {"name": "nginx-deployment"},
        "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": namespace, "name": "nginx"}, "replicas": 2},
    }  # fmt: skip
    local_env.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(rb))
    stored = _get(local_env, "rb", "nginx-deployment", namespace)
    assert UUID.match(stored["metadata"]["labels"][c.RESOURCE_BINDING_PERMANENT_ID_LABEL])
    assert stored["spec"]["conflictResolution"] == "Abort"
    table = local_env.kubectl("get", "rb", "-n", namespace).stdout.splitlines()[0].split()
    assert table == ["NAME", "SCHEDULED", "FULLYAPPLIED", "AGE"]

    bad = dict(rb, metadata={"name": "bad", "annotations": {c.DEPENDENCIES_ANNOTATION: "not json"}})
    refused = local_env.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(bad), check=False)
    assert refused.returncode != 0 and f"metadata.annotations[{c.DEPENDENCIES_ANNOTATION}]" in refused.stderr

    crb_name = f"pw-{uuid.uuid4().hex[:8]}-namespace"
    crb = {"apiVersion": c.WORK_V1ALPHA2, "kind": "ClusterResourceBinding", "metadata": {"name": crb_name},
           "spec": {"resource": {"apiVersion": "v1", "kind": "Namespace", "name": namespace}}}  # fmt: skip
    local_env.kubectl("create", "-f", "-", input=json.dumps(crb))
    try:
        assert UUID.match(_get(local_env, "crb", crb_name)["metadata"]["labels"][c.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL])
    finally:
        delete_cluster_scoped(local_env, "clusterresourcebindings", crb_name)

    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": namespace, "uid": "0000", "resourceVersion": "12", "generation": 3,
                     "labels": {"app": "nginx"}, "annotations": {"deployment.kubernetes.io/revision": "1", "note": "x"}},
        "spec": {"replicas": 1}, "status": {"replicas": 1},
    }  # fmt: skip
    work = {"apiVersion": c.WORK_V1ALPHA1, "kind": "Work", "metadata": {"name": "nginx-687f7fb96f"},
            "spec": {"workload": {"manifests": [deployment]}}}  # fmt: skip
    local_env.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(work))
    stored_work = _get(local_env, "work", "nginx-687f7fb96f", namespace)
    work_id = stored_work["metadata"]["labels"][c.WORK_PERMANENT_ID_LABEL]
    manifest = stored_work["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"] == {
        "name": "nginx",
        "namespace": namespace,
        "labels": {"app": "nginx", c.WORK_PERMANENT_ID_LABEL: work_id},
        "annotations": {
            "note": "x",
            c.MANAGED_ANNOTATIONS_ANNOTATION: f"note,{c.MANAGED_ANNOTATIONS_ANNOTATION},{c.MANAGED_LABELS_ANNOTATION}",
            c.MANAGED_LABELS_ANNOTATION: f"app,{c.WORK_PERMANENT_ID_LABEL}",
        },
    }
    assert "status" not in manifest and manifest["spec"] == {"replicas": 1}
    columns = local_env.kubectl("get", "works", "-n", namespace).stdout.splitlines()
    assert columns[0].split() == ["NAME", "WORKLOAD-KIND", "APPLIED", "AGE"] and columns[1].split()[1] == "Deployment"


# ---- the server itself ---------------------------------------------------------------------------
def _webhook_url(env: LocalEnv, path: str) -> str:
    return f"https://127.0.0.1:{env.state.ports['karmada/karmada-webhook']}{path}"


def _tls(env: LocalEnv, *, client_cert: bool) -> ssl.SSLContext:
    pki = env.state_dir / "pki" / "karmada"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if client_cert:
        ctx.load_cert_chain(str(pki / "apiserver-webhook-client.crt"), str(pki / "apiserver-webhook-client.key"))
    return ctx


def test_webhook_server_requires_client_certificates_and_answers_bad_input_with_400(local_env: LocalEnv) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                await session.get(_webhook_url(local_env, "/readyz"), ssl=_tls(local_env, client_cert=False))
            ctx = _tls(local_env, client_cert=True)
            async with session.get(_webhook_url(local_env, "/readyz"), ssl=ctx) as resp:
                assert resp.status == 200
            for body in (b"{nope", b"{}", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).encode()):
                headers = {"Content-Type": "application/json"}
                async with session.post(_webhook_url(local_env, "/validate-propagationpolicy"), data=body, headers=headers, ssl=ctx) as resp:
                    assert resp.status == 400
            async with session.get(_webhook_url(local_env, "/readyz"), ssl=ctx) as resp:
                assert resp.status == 200, "still serving"

    asyncio.run(main())


def test_policy_writes_fail_closed_while_the_webhook_is_down(local_env: LocalEnv, namespace: str) -> None:
    sample = SAMPLES / "nginx-propagationpolicy.yaml"
    spec = components.stop_component(local_env, WEBHOOK)  # SIGTERM; the command line is read from /proc first
    try:
        proc = _apply(local_env, sample, namespace, check=False)
        assert proc.returncode != 0
        assert 'failed calling webhook "propagationpolicy.karmada.io"' in proc.stderr, proc.stderr
        assert local_env.kubectl("get", "pp", "-n", namespace, "-o", "name").stdout.strip() == "", "nothing stored"
    finally:
        components.start_component(local_env, spec)
    wait_for(lambda: _apply(local_env, sample, namespace, check=False).returncode == 0, timeout=30, what="apply to work again")
    assert UUID.match(_get(local_env, "pp", "nginx-propagation", namespace)["metadata"]["labels"][c.PROPAGATION_POLICY_PERMANENT_ID_LABEL])
    restarted = next(p for p in local_env.state.processes if p.name == WEBHOOK)
    assert is_running(restarted), "the new process is recorded, so local-down stops it"
