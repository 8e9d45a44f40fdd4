from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.kube.client import resource_path
from pykarmada.kube.config import Connection, build_kubeconfig, connection_from_kubeconfig, load_kubeconfig
from pykarmada.kube.errors import ApiError, ConfigError


def write(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def kubeconfig(context: str, *, server: str = "https://h:1", user: dict[str, Any] | None = None, cluster: dict[str, Any] | None = None, current: str | None = None, namespace: str | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"cluster": f"{context}-cluster", "user": f"{context}-user"}
    if namespace:
        ctx["namespace"] = namespace
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"{context}-cluster", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": f"{context}-user", "user": user or {}}],
        "contexts": [{"name": context, "context": ctx}],
    }
    if current is not None:
        config["current-context"] = current
    return config


def test_kubeconfig_round_trip(tmp_path: Path) -> None:
    a = Connection(server="https://127.0.0.1:6443", ca_pem=b"CA", client_cert_pem=b"CERT", client_key_pem=b"KEY")
    b = Connection(server="https://127.0.0.1:7443", token="t0k3n", insecure_skip_verify=True, proxy_url="http://proxy:3128")
    path = write(tmp_path / "config", build_kubeconfig([("one", a), ("two", b)]))
    assert connection_from_kubeconfig(path) == a  # current-context is the first entry
    assert connection_from_kubeconfig(path, "two") == b
    assert b.auth_headers() == {"Authorization": "Bearer t0k3n"}
    assert "t0k3n" not in repr(b) and "KEY" not in repr(a)


def test_file_references_are_relative_to_the_file_that_defines_them(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ca.crt").write_bytes(b"CA")
    path = write(tmp_path / "sub" / "config", kubeconfig("ctx", server="https://h:1/", cluster={"certificate-authority": "ca.crt"}, user={"token": "x"}, current="ctx"))
    conn = connection_from_kubeconfig(path)
    assert conn.server == "https://h:1" and conn.ca_pem == b"CA" and conn.token == "x"


def test_kubeconfig_list_merges_with_kubectl_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "first", kubeconfig("a", server="https://first:1", current="a"))
    # "a" again (loses: the first file to define a name wins), and a current-context that loses too.
    second = kubeconfig("b", server="https://second:1", current="b")
    second["contexts"] += [{"name": "a", "context": {"cluster": "b-cluster", "user": "b-user"}}]
    second_path = write(tmp_path / "second", second)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(tmp_path / "missing"), str(first), str(empty), str(second_path)]))
    merged = load_kubeconfig()
    assert merged.current_context == "a"
    assert connection_from_kubeconfig().server == "https://first:1"
    assert connection_from_kubeconfig(None, "b").server == "https://second:1"
    # An explicit file is read alone.
    assert load_kubeconfig(second_path).current_context == "b"


def test_current_context_from_a_later_file_when_the_first_sets_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "first", kubeconfig("a"))
    second = write(tmp_path / "second", kubeconfig("b", current="b", namespace="team"))
    monkeypatch.setenv("KUBECONFIG", f"{first}{os.pathsep}{second}")
    merged = load_kubeconfig()
    assert merged.current_context == "b"
    assert merged.namespace() == "team" and merged.namespace("a") == "default"


def test_insecure_skip_tls_verify_tls_server_name_and_proxy(tmp_path: Path) -> None:
    path = write(tmp_path / "c", kubeconfig("x", current="x", cluster={"insecure-skip-tls-verify": True, "tls-server-name": "api.internal", "proxy-url": "http://user:pw@proxy:3128"}))
    conn = connection_from_kubeconfig(path)
    assert conn.insecure_skip_verify and conn.tls_server_name == "api.internal"
    assert conn.proxy_url == "http://user:pw@proxy:3128"
    ctx = conn.ssl_context()
    assert not ctx.check_hostname


@pytest.mark.parametrize(
    "proxy,message",
    [("socks5://proxy:1080", "socks5 is not supported"), ("ftp://proxy", "unsupported scheme 'ftp'"), ("http://", "names no host")],
    ids=["socks5", "ftp", "no-host"],
)
def test_unusable_proxy_urls(tmp_path: Path, proxy: str, message: str) -> None:
    path = write(tmp_path / "c", kubeconfig("x", current="x", cluster={"proxy-url": proxy}))
    with pytest.raises(ConfigError, match=message):
        connection_from_kubeconfig(path)


def test_token_file_is_read_again_as_client_go_does(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    path = write(tmp_path / "c", kubeconfig("x", current="x", user={"tokenFile": "token"}))
    conn = connection_from_kubeconfig(path)
    assert conn.token is None and conn.credentials is not None
    get = conn.credentials.get
    assert asyncio.run(get()).token == "first"
    token.write_text("second")
    cred = asyncio.run(get())
    assert cred.token == "first"  # cached for a minute
    conn.credentials.invalidate(cred)  # a 401: read the file again
    assert asyncio.run(get()).token == "second"


def test_token_file_wins_over_the_inline_token_while_it_can_be_read(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file")
    path = write(tmp_path / "c", kubeconfig("x", current="x", user={"token": "inline", "tokenFile": "token"}))
    assert asyncio.run(connection_from_kubeconfig(path).credentials.get()).token == "from-file"
    (tmp_path / "token").unlink()
    conn = connection_from_kubeconfig(path)  # no error at load: the inline token serves
    assert asyncio.run(conn.credentials.get()).token == "inline"


def test_missing_token_file_fails_at_load(tmp_path: Path) -> None:
    path = write(tmp_path / "c", kubeconfig("x", current="x", user={"tokenFile": "missing"}))
    with pytest.raises(ConfigError, match="cannot read tokenFile .*missing"):
        connection_from_kubeconfig(path)


@pytest.mark.parametrize(
    "config,message",
    [
        ({"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}, "no current-context"),
        ({"current-context": "x", "contexts": []}, "no context named 'x'"),
        (kubeconfig("x", current="x", user={"auth-provider": {"name": "gcp"}}), "auth-provider 'gcp' is not supported"),
        (kubeconfig("x", current="x", user={"token": "t", "username": "u", "password": "p"}), "more than one authentication method"),
        (kubeconfig("x", current="x", user={"exec": {"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "p"}}), "v1alpha1' is not supported"),
        (kubeconfig("x", current="x", user={"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "p"}}), "interactiveMode must be set"),
        (kubeconfig("x", current="x", user={"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1"}}), "missing key 'command'"),
        (kubeconfig("x", server="", current="x"), "has no server"),
    ],
    ids=["no-current-context", "unknown-context", "auth-provider", "token-and-basic", "exec-v1alpha1", "exec-v1-no-interactive-mode", "exec-no-command", "no-server"],
)
def test_unusable_kubeconfigs_are_explained(tmp_path: Path, config: dict, message: str) -> None:
    path = write(tmp_path / "c", config)
    with pytest.raises(ConfigError, match=message):
        connection_from_kubeconfig(path)


def test_invalid_yaml_is_reported_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "c"
    path.write_text("users:\n- name: u\n  user: {token: s3cr3t\n")
    with pytest.raises(ConfigError, match=r"c, line \d+ is not valid YAML") as e:
        connection_from_kubeconfig(path)
    assert "s3cr3t" not in str(e.value)


def test_missing_explicit_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read kubeconfig .*nope"):
        connection_from_kubeconfig(tmp_path / "nope")


def test_no_kubeconfig_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="no kubeconfig found"):
        load_kubeconfig()


def test_basic_auth_header(tmp_path: Path) -> None:
    path = write(tmp_path / "c", kubeconfig("x", current="x", user={"username": "admin", "password": "secret"}))
    assert connection_from_kubeconfig(path).auth_headers() == {"Authorization": "Basic YWRtaW46c2VjcmV0"}


@pytest.mark.parametrize(
    "args,kwargs,path",
    [
        (("v1", "pods"), {"namespace": "default"}, "/api/v1/namespaces/default/pods"),
        (("apps/v1", "deployments"), {"namespace": "ns", "name": "web", "subresource": "status"}, "/apis/apps/v1/namespaces/ns/deployments/web/status"),
        (("v1", "nodes"), {"name": "n1"}, "/api/v1/nodes/n1"),
    ],
    ids=["core-collection", "group-subresource", "cluster-scoped"],
)
def test_resource_path(args: tuple, kwargs: dict, path: str) -> None:
    assert resource_path(*args, **kwargs) == path


def test_api_error_reads_status_objects() -> None:
    e = ApiError.from_response(409, {"kind": "Status", "reason": "AlreadyExists", "message": "exists"}, method="POST", path="/x")
    assert e.already_exists and e.conflict and not e.not_found
    assert str(e) == "POST /x: 409 AlreadyExists: exists"
