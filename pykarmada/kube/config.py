"""Kubeconfig loading: turns a kubeconfig context into what a client needs to dial a server.

Supports what our own and ordinary kubeconfigs contain: a server URL, certificate authority
(file or data), client certificate and key (file or data), bearer token (inline or file),
``insecure-skip-tls-verify`` and ``tls-server-name``. Exec and auth-provider plugins are not
supported and are reported as such.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pykarmada.kube.errors import ConfigError


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one API server."""

    server: str
    ca_pem: bytes | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    token: str | None = None
    insecure_skip_verify: bool = False
    tls_server_name: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context: our CA as the only trust root when given, else system roots."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if self.ca_pem:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cadata=self.ca_pem.decode())
        if self.insecure_skip_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.client_cert_pem and self.client_key_pem:
            load_client_cert(ctx, self.client_cert_pem, self.client_key_pem)
        return ctx

    def auth_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


def load_client_cert(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """``SSLContext.load_cert_chain`` only reads files; use a private temporary one."""
    fd, path = tempfile.mkstemp(prefix="pykarmada-client-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(cert_pem + b"\n" + key_pem)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def _data_or_file(entry: dict[str, Any], key: str, base: Path) -> bytes | None:
    if entry.get(f"{key}-data"):
        return base64.b64decode(entry[f"{key}-data"])
    if entry.get(key):
        path = Path(os.path.expanduser(entry[key]))
        return (path if path.is_absolute() else base / path).read_bytes()
    return None


def _named(items: list[dict[str, Any]] | None, name: str, what: str) -> dict[str, Any]:
    for item in items or []:
        if item.get("name") == name:
            return item.get(what) or {}
    raise ConfigError(f"kubeconfig has no {what} named {name!r}")


def connection_from_kubeconfig(path: str | Path, context: str | None = None) -> Connection:
    """Read ``path`` and build the :class:`Connection` for ``context`` (default: current-context)."""
    path = Path(os.path.expanduser(str(path)))
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    return connection_from_dict(config, context, base=path.parent)


def connection_from_dict(config: dict[str, Any], context: str | None = None, *, base: Path = Path(".")) -> Connection:
    context = context or config.get("current-context")
    if not context:
        raise ConfigError("kubeconfig has no current-context and no context was given")
    ctx = _named(config.get("contexts"), context, "context")
    cluster = _named(config.get("clusters"), ctx.get("cluster", ""), "cluster")
    user = _named(config.get("users"), ctx["user"], "user") if ctx.get("user") else {}
    if "exec" in user or "auth-provider" in user:
        raise ConfigError(f"context {context!r}: exec and auth-provider credentials are not supported")
    server = cluster.get("server")
    if not server:
        raise ConfigError(f"context {context!r}: cluster has no server")
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(user["tokenFile"]).read_text().strip()
    return Connection(
        server=server.rstrip("/"),
        ca_pem=_data_or_file(cluster, "certificate-authority", base),
        client_cert_pem=_data_or_file(user, "client-certificate", base),
        client_key_pem=_data_or_file(user, "client-key", base),
        token=token,
        insecure_skip_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
    )


def build_kubeconfig(
    entries: list[tuple[str, Connection]], *, current: str | None = None
) -> dict[str, Any]:
    """A kubeconfig with one context per ``(name, connection)``; cluster, user and context share the
    name. Credentials are embedded as data so the file stands alone."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    clusters, users, contexts = [], [], []
    for name, conn in entries:
        cluster: dict[str, Any] = {"server": conn.server}
        if conn.ca_pem:
            cluster["certificate-authority-data"] = b64(conn.ca_pem)
        if conn.insecure_skip_verify:
            cluster["insecure-skip-tls-verify"] = True
        if conn.tls_server_name:
            cluster["tls-server-name"] = conn.tls_server_name
        user: dict[str, Any] = {}
        if conn.client_cert_pem and conn.client_key_pem:
            user["client-certificate-data"] = b64(conn.client_cert_pem)
            user["client-key-data"] = b64(conn.client_key_pem)
        if conn.token:
            user["token"] = conn.token
        clusters.append({"name": name, "cluster": cluster})
        users.append({"name": name, "user": user})
        contexts.append({"name": name, "context": {"cluster": name, "user": name}})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current or (entries[0][0] if entries else ""),
    }
