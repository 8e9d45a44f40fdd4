from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykarmada.kube.client import resource_path
from pykarmada.kube.config import Connection, build_kubeconfig, connection_from_dict, connection_from_kubeconfig
from pykarmada.kube.errors import ApiError, ConfigError


def test_kubeconfig_round_trip(tmp_path: Path) -> None:
    a = Connection(server="https://127.0.0.1:6443", ca_pem=b"CA", client_cert_pem=b"CERT", client_key_pem=b"KEY")
    b = Connection(server="https://127.0.0.1:7443", token="t0k3n", insecure_skip_verify=True)
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(build_kubeconfig([("one", a), ("two", b)])))
    assert connection_from_kubeconfig(path) == a  # current-context is the first entry
    assert connection_from_kubeconfig(path, "two") == b
    assert b.auth_headers() == {"Authorization": "Bearer t0k3n"}


def test_kubeconfig_file_references_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"CA")
    config = {
        "clusters": [{"name": "c", "cluster": {"server": "https://h:1/", "certificate-authority": "ca.crt"}}],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    conn = connection_from_dict(config, base=tmp_path)
    assert conn.server == "https://h:1" and conn.ca_pem == b"CA" and conn.token == "x"


@pytest.mark.parametrize(
    "config,message",
    [
        ({}, "no current-context"),
        ({"current-context": "x", "contexts": []}, "no context named 'x'"),
        (
            {
                "current-context": "x",
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "clusters": [{"name": "c", "cluster": {"server": "https://h"}}],
                "users": [{"name": "u", "user": {"exec": {"command": "aws"}}}],
            },
            "exec and auth-provider",
        ),
        (
            {"current-context": "x", "contexts": [{"name": "x", "context": {"cluster": "c"}}], "clusters": [{"name": "c", "cluster": {}}]},
            "has no server",
        ),
    ],
    ids=["no-current-context", "unknown-context", "exec-plugin", "no-server"],
)
def test_unusable_kubeconfigs_are_explained(config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        connection_from_dict(config)


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
