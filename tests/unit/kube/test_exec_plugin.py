"""Exec credential plugins: real plugin scripts written into tmp_path, run as kubectl runs them
(no network), and the credential cache's expiry and 401 rules with a clock of our own."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.certs.ca import CertificateAuthority
from pykarmada.certs.issue import issue_client_cert
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.kube.credentials import Credential, CredentialCache
from pykarmada.kube.errors import ConfigError
from pykarmada.kube.exec_plugin import parse_exec_credential

V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"
SECRET = "s3cr3t-token"

# A plugin that answers with the apiVersion it was asked for, echoes what it was handed, counts
# its runs, and misbehaves as told by its arguments.
PLUGIN = """#!{python}
import json, os, sys
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
count = os.path.join(os.path.dirname(os.path.abspath(__file__)), "count")
runs = int(open(count).read()) + 1 if os.path.exists(count) else 1
open(count, "w").write(str(runs))
seen = {{"spec": info["spec"], "env": os.environ.get("FROM_KUBECONFIG", "")}}
open(os.path.join(os.path.dirname(count), "seen.json"), "w").write(json.dumps(seen))
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
if mode == "fail":
    print("cannot reach the identity provider", file=sys.stderr)
    sys.exit(3)
if mode == "garbage":
    print("warning: half-written output", file=sys.stderr)
    print("not json")
    sys.exit(0)
version = "client.authentication.k8s.io/v1alpha1" if mode == "wrong-version" else info["apiVersion"]
status = {{"token": "{secret}", "expirationTimestamp": os.environ.get("EXPIRES", "2999-01-01T00:00:00Z")}}
print(json.dumps({{"apiVersion": version, "kind": "ExecCredential", "status": status}}))
"""


def plugin_kubeconfig(tmp_path: Path, *, api_version: str = V1, args: list[str] | None = None, command: str = "./bin/plugin", extra: dict[str, Any] | None = None) -> Path:
    (tmp_path / "bin").mkdir(exist_ok=True)
    plugin = tmp_path / "bin" / "plugin"
    plugin.write_text(PLUGIN.format(python=sys.executable, secret=SECRET))
    plugin.chmod(0o755)
    stanza: dict[str, Any] = {"apiVersion": api_version, "command": command, "args": args or [], "interactiveMode": "Never", "env": [{"name": "FROM_KUBECONFIG", "value": "yes"}]}
    stanza.update(extra or {})
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://member:6443", "certificate-authority-data": "Q0E=", "extensions": [{"name": "client.authentication.k8s.io/exec", "extension": {"audience": "karmada"}}]}}],
        "users": [{"name": "u", "user": {"exec": stanza}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    return path


def runs(tmp_path: Path) -> int:
    return int((tmp_path / "bin" / "count").read_text())


@pytest.mark.parametrize("api_version", [V1, V1BETA1])
def test_plugin_token_is_used_and_cached(tmp_path: Path, api_version: str) -> None:
    conn = connection_from_kubeconfig(plugin_kubeconfig(tmp_path, api_version=api_version))
    assert conn.credentials is not None and conn.token is None

    async def twice() -> tuple[Credential, Credential]:
        return await conn.credentials.get(), await conn.credentials.get()

    first, second = asyncio.run(twice())
    assert first.token == SECRET and first is second
    assert first.expires_at == datetime(2999, 1, 1, tzinfo=timezone.utc)
    assert runs(tmp_path) == 1  # the relative command was found next to the kubeconfig, and ran once


def test_plugin_gets_exec_info_env_and_cluster_info(tmp_path: Path) -> None:
    conn = connection_from_kubeconfig(plugin_kubeconfig(tmp_path, extra={"provideClusterInfo": True}))
    asyncio.run(conn.credentials.get())
    seen = json.loads((tmp_path / "bin" / "seen.json").read_text())
    assert seen["env"] == "yes"
    assert seen["spec"] == {
        "interactive": False,
        "cluster": {"server": "https://member:6443", "certificate-authority-data": "Q0E=", "config": {"audience": "karmada"}},
    }


def test_expired_credential_is_fetched_again_shortly_before_expiry() -> None:
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    fetched: list[Credential] = []

    async def fetch() -> Credential:
        fetched.append(Credential(token=f"t{len(fetched)}", expires_at=now + timedelta(minutes=5)))
        return fetched[-1]

    cache = CredentialCache(fetch, leeway=timedelta(seconds=10), clock=lambda: now)

    async def scenario() -> list[str]:
        nonlocal now
        seen = [(await cache.get()).token]
        now += timedelta(minutes=4, seconds=49)  # 11 s left: still good
        seen.append((await cache.get()).token)
        now += timedelta(seconds=2)  # 9 s left: within the leeway
        seen.append((await cache.get()).token)
        # Concurrent callers of an expired credential share one fetch.
        now += timedelta(minutes=10)
        seen += [c.token for c in await asyncio.gather(*(cache.get() for _ in range(5)))]
        return seen

    assert asyncio.run(scenario()) == ["t0", "t0", "t1", "t2", "t2", "t2", "t2", "t2"]
    assert len(fetched) == 3


def test_a_401_drops_only_the_credential_that_got_it() -> None:
    count = 0

    async def fetch() -> Credential:
        nonlocal count
        count += 1
        return Credential(token=f"t{count}")  # no expiry: kept until refused

    cache = CredentialCache(fetch, leeway=timedelta(seconds=10))

    async def scenario() -> list[str]:
        old = await cache.get()
        cache.invalidate(old)
        new = await cache.get()
        cache.invalidate(old)  # a late 401 for the old credential: the new one stays
        return [old.token, new.token, (await cache.get()).token]

    assert asyncio.run(scenario()) == ["t1", "t2", "t2"]


def test_client_certificate_credential() -> None:
    leaf = issue_client_cert(CertificateAuthority.create("ca"), "alice")
    out = json.dumps({"apiVersion": V1, "kind": "ExecCredential", "status": {"clientCertificateData": leaf.cert_pem.decode(), "clientKeyData": leaf.key_pem.decode()}})
    cred = parse_exec_credential(out.encode(), V1)
    assert cred.client_cert_pem == leaf.cert_pem and cred.token is None and cred.expires_at is None


@pytest.mark.parametrize(
    "status,message",
    [
        ({}, "neither a token nor a client certificate"),
        ({"clientCertificateData": "x"}, "only one of clientCertificateData and clientKeyData"),
        ({"clientCertificateData": "x", "clientKeyData": "y"}, "cannot be read"),
        ({"token": SECRET, "expirationTimestamp": "tomorrow"}, "not an RFC 3339 time"),
    ],
    ids=["empty", "cert-without-key", "bad-cert", "bad-expiry"],
)
def test_bad_exec_credentials(status: dict, message: str) -> None:
    out = json.dumps({"apiVersion": V1, "kind": "ExecCredential", "status": status}).encode()
    with pytest.raises(ConfigError, match=message) as e:
        parse_exec_credential(out, V1)
    assert SECRET not in str(e.value)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"command": "no-such-plugin-xyz", "extra": {"installHint": "install it with: pip install xyz"}}, r"exec plugin 'no-such-plugin-xyz': executable not found; install it with: pip install xyz"),
        ({"args": ["fail"]}, r"exec plugin '.*/bin/plugin': failed with exit code 3; its stderr: cannot reach the identity provider"),
        ({"args": ["garbage"]}, r"exec plugin '.*/bin/plugin': its output is not JSON .*; its stderr: warning: half-written output"),
        ({"args": ["wrong-version"]}, r"exec plugin '.*/bin/plugin': it is configured to use API version client.authentication.k8s.io/v1, but returned version 'client.authentication.k8s.io/v1alpha1'"),
    ],
    ids=["missing-binary", "non-zero-exit", "bad-json", "wrong-api-version"],
)
def test_broken_plugins_are_explained(tmp_path: Path, kwargs: dict, message: str) -> None:
    conn = connection_from_kubeconfig(plugin_kubeconfig(tmp_path, **kwargs))
    with pytest.raises(ConfigError, match=message) as e:
        asyncio.run(conn.credentials.get())
    assert SECRET not in str(e.value)
