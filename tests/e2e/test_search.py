"""karmada-search (issue 10): ResourceRegistry, the proxy's merged view through plain kubectl, paging
and selectors against the union of direct member lists, watch, target changes, and RBAC."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.framework.env import LocalEnv
from tests.e2e.framework.users import user_kubeconfig
from tests.e2e.framework.wait import wait_for

PROXY = "/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy"
ANNOTATION = "resource.karmada.io/cached-from-cluster"
MEMBERS = ("member1", "member2", "member3")


def _registry(name: str, namespace: str, clusters: tuple[str, ...] = MEMBERS) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "search.karmada.io/v1alpha1",
            "kind": "ResourceRegistry",
            "metadata": {"name": name},
            "spec": {
                "targetCluster": {"clusterNames": list(clusters)},
                "resourceSelectors": [
                    {"apiVersion": "v1", "kind": "Pod", "namespace": namespace},
                    {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": namespace},
                ],
            },
        }
    )


def _pod(name: str, namespace: str, **labels: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})


@pytest.fixture(scope="module")
def search(local_env: LocalEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(namespace, registry name, proxy kubeconfig): 2 pods per member (one labelled tier=a), a registry over them."""
    suffix = uuid.uuid4().hex[:6]
    ns, registry = f"e2e-search-{suffix}", f"e2e-search-{suffix}"
    for member in MEMBERS:
        local_env.kubectl("create", "namespace", ns, context=member)
        for i, tier in enumerate(("a", "b")):
            local_env.kubectl("apply", "-f", "-", input=_pod(f"{member}-p{i}", ns, tier=tier), context=member)
    config = yaml.safe_load(Path(local_env.karmada_kubeconfig).read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = cluster["cluster"]["server"].rstrip("/") + PROXY
    proxy_config = tmp_path_factory.mktemp("search") / "proxy.config"
    proxy_config.write_text(yaml.safe_dump(config))
    local_env.kubectl("apply", "-f", "-", input=_registry(registry, ns))
    try:
        yield ns, registry, str(proxy_config)
    finally:
        local_env.kubectl("delete", "resourceregistry", registry, "--ignore-not-found", check=False)
        for member in MEMBERS:
            local_env.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", context=member, check=False)


def _proxy(env: LocalEnv, kubeconfig: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env.kubectl_path), "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60)


def _names_via_proxy(env: LocalEnv, kubeconfig: str, *args: str) -> list[str]:
    out = _proxy(env, kubeconfig, "get", "pods", *args, "-o", "json")
    assert out.returncode == 0, out.stderr
    return sorted(p["metadata"]["name"] for p in json.loads(out.stdout)["items"])


def _direct_names(env: LocalEnv, ns: str, *args: str) -> list[str]:
    return sorted(p["metadata"]["name"] for m in MEMBERS for p in env.kubectl_json("get", "pods", "-n", ns, *args, context=m)["items"])


def test_registry_crud_table_and_validation(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    _, registry, _ = search
    table = local_env.kubectl("get", "resourceregistries").stdout
    assert "CREATED AT" in table and registry in table
    bad = local_env.kubectl("create", "-f", "-", check=False, input=yaml.safe_dump(
        {"apiVersion": "search.karmada.io/v1alpha1", "kind": "ResourceRegistry", "metadata": {"name": "e2e-bad"}, "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "Pod", "namespace": "Bad_NS"}]}}
    ))  # fmt: skip
    assert bad.returncode != 0 and "spec.resourceSelectors[0].namespace" in bad.stderr and "is invalid" in bad.stderr


def test_get_pods_all_namespaces_through_the_proxy(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    ns, _, proxy = search
    expected = _direct_names(local_env, ns)
    assert len(expected) == 6
    wait_for(lambda: _names_via_proxy(local_env, proxy, "-A") and [n for n in _names_via_proxy(local_env, proxy, "-A") if n in expected] == expected, timeout=60, what="every member's pods through the proxy")
    items = json.loads(_proxy(local_env, proxy, "get", "pods", "-n", ns, "-o", "json").stdout)["items"]
    assert {p["metadata"]["name"]: p["metadata"]["annotations"][ANNOTATION] for p in items} == {n: n.split("-")[0] for n in expected}
    def table() -> list[list[str]]:
        plain = _proxy(local_env, proxy, "get", "pods", "-A")
        assert plain.returncode == 0, plain.stderr
        return [line.split() for line in plain.stdout.splitlines()]

    rows = wait_for(lambda: (t := table()) and any(r[:4] == [ns, "member2-p1", "1/1", "Running"] for r in t) and t, timeout=60, what="member2-p1 running in the table")
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert next(r for r in rows if r[1] == "member2-p1")[4] == "0"
    wide = _proxy(local_env, proxy, "get", "pods", "-n", ns, "-o", "wide")
    assert wide.stdout.splitlines()[0].split()[5:8] == ["IP", "NODE", "NOMINATED"]
    assert next(line.split() for line in wide.stdout.splitlines() if line.startswith("member3-p0 "))[6].startswith("member3-node-")
    one = json.loads(_proxy(local_env, proxy, "get", "pod", "member3-p0", "-n", ns, "-o", "json").stdout)
    assert one["metadata"]["annotations"][ANNOTATION] == "member3"
    missing = _proxy(local_env, proxy, "get", "pod", "nope", "-n", ns)
    assert missing.returncode != 0 and "NotFound" in missing.stderr or "not found" in missing.stderr
    # Not registered: the control plane answers, as the caller.
    assert _proxy(local_env, proxy, "get", "namespaces", "kube-system").returncode == 0


def test_selector_and_paging_match_the_union_of_member_lists(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    ns, _, proxy = search
    wait_for(lambda: _names_via_proxy(local_env, proxy, "-n", ns) == _direct_names(local_env, ns), timeout=60, what="the cache to hold every pod")
    assert _names_via_proxy(local_env, proxy, "-n", ns, "-l", "tier=a") == _direct_names(local_env, ns, "-l", "tier=a")
    assert _names_via_proxy(local_env, proxy, "-n", ns, "--chunk-size=1") == _direct_names(local_env, ns)
    assert _names_via_proxy(local_env, proxy, "-n", ns, "--chunk-size=4", "-l", "tier=b") == _direct_names(local_env, ns, "-l", "tier=b")
    bad = _proxy(local_env, proxy, "get", "--raw", f"/api/v1/namespaces/{ns}/pods?continue=garbage")
    assert bad.returncode != 0 and "continue" in bad.stderr
    bad = _proxy(local_env, proxy, "get", "--raw", f"/api/v1/namespaces/{ns}/pods?labelSelector=a%3D%3D%3Db")
    assert bad.returncode != 0 and "BadRequest" in bad.stderr or "400" in bad.stderr or "unable to parse" in bad.stderr


def test_watch_sees_a_pod_created_in_member2(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    """As objects (``-o name``: what informers read) and as kubectl's table rows."""
    ns, _, proxy = search
    wait_for(lambda: _names_via_proxy(local_env, proxy, "-n", ns) == _direct_names(local_env, ns), timeout=60, what="the cache to hold every pod")
    get = [str(local_env.kubectl_path), "--kubeconfig", proxy, "get", "pods", "-n", ns, "-w"]
    by_name = subprocess.Popen([*get, "-o", "name"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    as_table = subprocess.Popen(get, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert by_name.stdout is not None and as_table.stdout is not None
        names: list[str] = []
        rows: list[str] = []
        wait_for(lambda: names.append(by_name.stdout.readline()) or len(names) >= 6, timeout=60, what="the initial list of the watch")
        wait_for(lambda: rows.append(as_table.stdout.readline()) or len(rows) >= 7, timeout=60, what="the initial table of the watch")
        assert rows[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        local_env.kubectl("apply", "-f", "-", input=_pod("member2-watched", ns, tier="c"), context="member2")
        wait_for(lambda: "pod/member2-watched" in by_name.stdout.readline(), timeout=60, what="the new pod in the watch")
        wait_for(lambda: as_table.stdout.readline().startswith("member2-watched "), timeout=60, what="the new pod's row in the table watch")
    finally:
        for watch in (by_name, as_table):
            watch.kill()
            watch.wait()
        local_env.kubectl("delete", "pod", "member2-watched", "-n", ns, "--ignore-not-found", "--wait=false", context="member2", check=False)


def test_removing_a_target_removes_its_objects(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    ns, registry, proxy = search
    try:
        local_env.kubectl("apply", "-f", "-", input=_registry(registry, ns, ("member1", "member2")))
        wait_for(lambda: not [n for n in _names_via_proxy(local_env, proxy, "-n", ns) if n.startswith("member3")], timeout=60, what="member3's pods to leave the cache")
    finally:
        local_env.kubectl("apply", "-f", "-", input=_registry(registry, ns))
    wait_for(lambda: any(n.startswith("member3") for n in _names_via_proxy(local_env, proxy, "-n", ns)), timeout=60, what="member3's pods back")


def test_rbac_proxy_permission_and_member_visibility(local_env: LocalEnv, search: tuple[str, str, str], tmp_path: Path) -> None:
    ns, _, _ = search
    suffix = uuid.uuid4().hex[:6]
    outsider, reader = f"outsider-{suffix}", f"reader-{suffix}"
    rbac = f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: e2e-search-proxy-{suffix}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: search-proxy-admin}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: {reader}}}]
"""
    local_env.kubectl("apply", "-f", "-", input=rbac)
    try:
        denied = _proxy(local_env, user_kubeconfig(local_env, tmp_path, outsider, server_path=PROXY), "get", "pods", "-n", ns)
        assert denied.returncode != 0 and "Forbidden" in denied.stderr and "proxying/proxy" in denied.stderr
        local_env.kubectl("create", "rolebinding", f"e2e-view-{suffix}", "--clusterrole=view", f"--user={reader}", "-n", ns, context="member1")
        reader_config = user_kubeconfig(local_env, tmp_path, reader, server_path=PROXY)
        wait_for(lambda: _names_via_proxy(local_env, reader_config, "-n", ns) == ["member1-p0", "member1-p1"], timeout=60, what="only member1's pods for the reader")
    finally:
        local_env.kubectl("delete", "-f", "-", input=rbac, check=False)
        local_env.kubectl("delete", "rolebinding", f"e2e-view-{suffix}", "-n", ns, "--ignore-not-found", context="member1", check=False)


def test_search_cache_lists_annotated_items(local_env: LocalEnv, search: tuple[str, str, str]) -> None:
    ns, _, _ = search
    path = f"/apis/search.karmada.io/v1alpha1/search/cache/api/v1/namespaces/{ns}/pods?labelSelector=tier%3Da"
    body = wait_for(lambda: (d := json.loads(local_env.kubectl("get", "--raw", path).stdout)) and len(d["items"]) == 3 and d, timeout=60, what="search/cache")
    assert body["kind"] == "PodList" and all(ANNOTATION in i["metadata"]["annotations"] for i in body["items"])
    bad = local_env.kubectl("get", "--raw", f"/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy/api/v1/namespaces/{ns}/pods/..%2F..%2Fx", check=False)
    assert bad.returncode != 0 and "500" not in bad.stderr
