"""Pure parts of local-up: node shapes, topology, build module, component flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykarmada.localup import components, nodes
from pykarmada.localup.binaries import Binaries, render_wrapper_gomod, staging_modules_of
from pykarmada.localup.pki import ensure_cluster_pki, ensure_etcd_pki
from pykarmada.localup.state import Layout


@pytest.mark.parametrize(
    "index,region,zone",
    [(1, "us-east-1", "us-east-1a"), (2, "us-west-2", "us-west-2a"), (3, "us-east-1", "us-east-1b"), (4, "us-west-2", "us-west-2b")],
)
def test_member_topology(index: int, region: str, zone: str) -> None:
    assert nodes.member_region_zone(index) == (region, zone)


def test_node_shape() -> None:
    node = nodes.build_node("member2", 0, 2)
    assert node["metadata"]["name"] == "member2-node-0"
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == "us-west-2a"
    assert node["status"]["allocatable"] == {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    assert not nodes.is_node_ready(node)
    node["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert nodes.is_node_ready(node)


def test_staging_modules_and_wrapper_gomod() -> None:
    gomod = "replace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/client-go => ./staging/src/k8s.io/client-go\n\tfoo => bar v1\n)\n"
    mods = staging_modules_of(gomod)
    assert mods == ["k8s.io/api", "k8s.io/client-go"]
    text = render_wrapper_gomod(["k8s.io/kubernetes/cmd/kubectl"], {"k8s.io/kubernetes": "v1.34.4"}, {m: f"{m} v0.34.4" for m in mods})
    assert "tool k8s.io/kubernetes/cmd/kubectl\n" in text
    assert "require k8s.io/kubernetes v1.34.4\n" in text
    assert "\tk8s.io/api => k8s.io/api v0.34.4\n" in text


def _flags(argv: list[str]) -> dict[str, str]:
    return dict(a[2:].split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)


def test_control_plane_and_member_flags(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    bins = Binaries(*(tmp_path / n for n in ("a", "cm", "s", "k", "e", "w")))
    etcd = ensure_etcd_pki(layout.pki)
    ports = {"kube-apiserver": 1, "kube-controller-manager": 2, "kube-scheduler": 3, "kwok": 4}
    cp = components.ClusterPlan("karmada", 0, ensure_cluster_pki(layout.pki, "karmada", control_plane=True), ports)
    m1 = components.ClusterPlan("member1", 1, ensure_cluster_pki(layout.pki, "member1", control_plane=False), ports)

    cp_api = _flags(components.apiserver_spec(bins, layout, cp, etcd, 9).argv)
    assert cp_api["etcd-prefix"] == "/registry"
    assert cp_api["enable-bootstrap-token-auth"] == "true"
    assert cp_api["requestheader-allowed-names"] == "front-proxy-client"
    assert "ServiceAccount" in cp_api["disable-admission-plugins"]
    m_api = _flags(components.apiserver_spec(bins, layout, m1, etcd, 9).argv)
    assert m_api["etcd-prefix"] == "/member1/registry"
    assert "requestheader-client-ca-file" not in m_api
    assert m_api["etcd-servers"].startswith("https://")

    cp_cm = _flags(components.controller_manager_spec(bins, layout, cp).argv)
    assert cp_cm["controllers"].split(",") == list(components.CONTROL_PLANE_CONTROLLERS)
    # Pull mode: tokens signed into cluster-info and cleaned, agent CSRs issued by the control-plane CA.
    assert {"bootstrapsigner", "tokencleaner", "csrsigning", "csrcleaner"} <= set(components.CONTROL_PLANE_CONTROLLERS)
    assert cp_cm["cluster-signing-cert-file"] == str(cp.pki.ca.cert) and cp_cm["cluster-signing-key-file"] == str(cp.pki.ca.key)
    assert _flags(components.controller_manager_spec(bins, layout, m1).argv)["controllers"] == "*"
    etcd_flags = _flags(components.etcd_spec(bins, layout, etcd, 10, 11).argv)
    assert etcd_flags["listen-client-urls"] == "https://127.0.0.1:10"
    assert etcd_flags["client-cert-auth"] == "true"
