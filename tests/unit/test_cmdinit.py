"""karmadactl init's rendering of manifests/: pure functions of the options and certificates."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import pytest
import yaml

from pykarmada.karmada.commandlines import flag_names
from pykarmada.karmadactl.cmdinit import pki, render
from pykarmada.karmadactl.commands.addons import ADDONS

NS = "karmada-system-unit"


@functools.lru_cache(maxsize=None)
def _files(namespace: str) -> dict[str, bytes]:
    return pki.generate(namespace, domain="cluster.local", ips=["192.0.2.10"], dns_names=["karmada.example"])


def _rendered(namespace: str = NS, **kw: object) -> list[render.Rendered]:
    return render.render(render.InitOptions(namespace=namespace, **kw), _files(namespace))  # type: ignore[arg-type]


_default = functools.lru_cache(maxsize=None)(lambda: _rendered())


def test_rendering_is_deterministic() -> None:
    assert render.to_yaml_stream(_rendered()) == render.to_yaml_stream(_rendered())


def test_every_object_has_its_namespace_and_init_label() -> None:
    for item in _default():
        meta = item.obj["metadata"]
        assert render.BOOTSTRAP_LABEL in meta.get("labels", {}), item.ref
        if item.obj["kind"] in ("Namespace", "CustomResourceDefinition", "APIService") or item.obj["kind"].startswith(("Cluster", "Mutating", "Validating")):
            assert "namespace" not in meta, item.ref
        elif item.obj["kind"] in ("Role", "RoleBinding") and meta["namespace"] in ("kube-system", "kube-public"):
            pass  # the authentication reader's binding, the bootstrap signer's cluster-info access
        else:
            assert meta["namespace"] == NS, item.ref


def test_no_placeholder_or_default_namespace_left() -> None:
    stream = render.to_yaml_stream(_default())
    assert "{{" not in stream
    assert "namespace: karmada-system\n" not in stream
    assert ".karmada-system.svc" not in stream and "karmada-system:" not in stream
    # Addon files are templates that `addons enable` fills per member (the estimator's member name).
    installed = [p for p in render.MANIFESTS.rglob("*.yaml") if not p.name.startswith(render.SKIPPED_PREFIXES)]
    assert not [p for p in installed if "{{" in p.read_text()]


def test_the_stream_parses_back_to_the_same_objects_with_their_targets() -> None:
    rendered = _default()
    docs = [d for d in yaml.safe_load_all(render.to_yaml_stream(rendered)) if d]
    assert docs == [r.obj for r in rendered]
    assert render.parse_stream(render.to_yaml_stream(rendered)) == rendered
    assert {r.target for r in rendered if r.obj["kind"] == "Namespace"} == {render.HOST, render.KARMADA}


def test_targets_host_runs_workloads_and_karmada_apiserver_holds_apis() -> None:
    targets = {(r.obj["kind"], r.obj["metadata"]["name"]): r.target for r in _default() if r.obj["kind"] != "Namespace"}
    assert targets[("StatefulSet", "etcd")] == render.HOST
    for name in ("karmada-apiserver", "kube-controller-manager", "karmada-controller-manager", "karmada-webhook", "karmada-aggregated-apiserver"):
        assert targets[("Deployment", name)] == render.HOST
    assert targets[("Secret", "karmada-cert")] == render.HOST
    assert targets[("APIService", "v1alpha1.cluster.karmada.io")] == render.KARMADA
    assert targets[("MutatingWebhookConfiguration", "mutating-config")] == render.KARMADA
    assert targets[("CustomResourceDefinition", "propagationpolicies.policy.karmada.io")] == render.KARMADA
    external = [r for r in _default() if r.obj["kind"] == "Service" and r.target == render.KARMADA]
    assert [s.obj["spec"]["externalName"] for s in external] == [f"karmada-aggregated-apiserver.{NS}.svc.cluster.local", f"karmada-search.{NS}.svc.cluster.local"]


def test_ca_bundles_node_port_images_and_storage_are_set() -> None:
    rendered = _rendered(port=31443, image="registry.example/pykarmada:1", kube_image_tag="v1.34.9", etcd_storage_mode="emptyDir")
    by_ref = {r.ref: r.obj for r in rendered}
    apiservice = by_ref["APIService v1alpha1.cluster.karmada.io"]
    assert apiservice["spec"]["caBundle"]
    for kind in ("MutatingWebhookConfiguration mutating-config", "ValidatingWebhookConfiguration validating-config"):
        assert all(w["clientConfig"]["caBundle"] == apiservice["spec"]["caBundle"] for w in by_ref[kind]["webhooks"])
        assert all(f".{NS}.svc:443/" in w["clientConfig"]["url"] for w in by_ref[kind]["webhooks"])
    assert by_ref[f"Service {NS}/karmada-apiserver"]["spec"]["ports"][0]["nodePort"] == 31443
    images = {r.obj["metadata"]["name"]: r.obj["spec"]["template"]["spec"]["containers"][0]["image"] for r in rendered if r.obj["kind"] in ("Deployment", "StatefulSet")}
    assert images["karmada-controller-manager"] == "registry.example/pykarmada:1"
    assert images["karmada-apiserver"] == "registry.k8s.io/kube-apiserver:v1.34.9"
    assert images["etcd"].startswith("registry.k8s.io/etcd:")
    etcd = by_ref[f"StatefulSet {NS}/etcd"]["spec"]["template"]["spec"]
    assert {"name": "etcd-data", "emptyDir": {}} in etcd["volumes"] and "nodeSelector" not in etcd
    host_path = _default()
    etcd = next(r.obj for r in host_path if r.obj["kind"] == "StatefulSet")["spec"]["template"]["spec"]
    assert etcd["nodeSelector"] == {render.ETCD_NODE_LABEL: ""}


def test_manifest_commands_are_the_shared_command_lines() -> None:
    """manifests/ is written for karmada-system; each container runs what in_cluster_commands builds
    from pykarmada.karmada.commandlines, the builders local-up uses too."""
    expected = render.in_cluster_commands()
    found = {}
    for obj in render.load_objects(render.manifest_files(render.MANIFESTS)):
        if obj["kind"] in ("Deployment", "StatefulSet"):
            for container in obj["spec"]["template"]["spec"]["containers"]:
                found[container["name"]] = container["command"]
    assert found == expected


def test_moved_commands_follow_the_namespace() -> None:
    commands = render.in_cluster_commands(NS)
    rendered = {r.obj["metadata"]["name"]: r.obj for r in _default() if r.obj["kind"] in ("Deployment", "StatefulSet")}
    assert {name: obj["spec"]["template"]["spec"]["containers"][0]["command"] for name, obj in rendered.items()} == commands
    assert f"--leader-elect-resource-namespace={NS}" in commands["karmada-controller-manager"]
    assert flag_names(commands["karmada-controller-manager"]) == flag_names(render.in_cluster_commands()["karmada-controller-manager"])


def test_addon_and_agent_files_are_left_out_of_init(tmp_path: Path) -> None:
    for name in (*ADDONS, "karmada-agent", "extra-component"):
        (tmp_path / f"{name}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: karmada-system}}\n")
    assert [p.name for p in render.manifest_files(tmp_path)] == ["extra-component.yaml"]
    rendered = render.render(render.InitOptions(namespace=NS, manifests=tmp_path), _files(NS))
    cm = [r for r in rendered if r.obj["kind"] == "ConfigMap"]
    assert [(r.target, r.obj["metadata"]["namespace"], r.obj["metadata"]["labels"][render.BOOTSTRAP_LABEL]) for r in cm] == [(render.HOST, NS, "configmap-defaults")]


def test_config_secrets_hold_kubeconfigs_of_the_in_cluster_apiserver() -> None:
    secrets = {r.obj["metadata"]["name"]: r.obj for r in _default() if r.obj["kind"] == "Secret"}
    config = yaml.safe_load(base64.b64decode(secrets["karmada-controller-manager-config"]["data"][render.KUBECONFIG_KEY]))
    assert config["clusters"][0]["cluster"]["server"] == f"https://karmada-apiserver.{NS}.svc.cluster.local:5443"
    assert {"ca.crt", "karmada.crt", "karmada.key", "front-proxy-ca.crt", "etcd-client.key", "sa.key"} <= set(secrets["karmada-cert"]["data"])
    assert set(secrets["etcd-cert"]["data"]) == {"etcd-ca.crt", "etcd-ca.key", "etcd-server.crt", "etcd-server.key"}


@pytest.mark.parametrize("name", ["karmada-apiserver", "kube-controller-manager"])
def test_kube_components_carry_karmadas_settings(name: str) -> None:
    command = render.in_cluster_commands()[name]
    if name == "karmada-apiserver":
        assert "--enable-bootstrap-token-auth=true" in command and "--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount" in command
    else:
        assert "--controllers=namespace,garbagecollector,serviceaccount-token,ttl-after-finished,bootstrapsigner,tokencleaner,csrcleaner,csrsigning,clusterrole-aggregation" in command
