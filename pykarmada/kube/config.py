"""Kubeconfig loading with kubectl's rules, through the ``kubernetes`` package's machinery.

``KUBECONFIG`` lists of several files are merged as kubectl merges them, a context resolves into a
:class:`Connection`: server, CA, client certificate and key, bearer token (inline, or a
``tokenFile`` read again as client-go reads it), basic auth, an exec credential plugin
(:mod:`pykarmada.kube.exec_plugin`), ``insecure-skip-tls-verify``, ``tls-server-name`` and
``proxy-url`` (http and https proxies). Writing kubeconfigs (:func:`build_kubeconfig`) is ours.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes.config import incluster_config as incluster
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import ConfigNode, FileOrData, KubeConfigMerger

from pykarmada.kube.credentials import CredentialCache, TokenFile
from pykarmada.kube.errors import ConfigError
from pykarmada.kube.exec_plugin import ExecPlugin, cluster_info

DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one API server."""

    server: str
    ca_pem: bytes | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    insecure_skip_verify: bool = False
    tls_server_name: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    proxy_url: str | None = field(default=None, repr=False)
    # A token or client certificate that changes while we run (exec plugin, tokenFile).
    credentials: CredentialCache | None = field(default=None, compare=False, repr=False)

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


def kubeconfig_paths(explicit: str | os.PathLike[str] | None = None) -> list[str]:
    """The files to read, by kubectl's precedence: an explicit file, which must exist; else every
    file of ``$KUBECONFIG`` that exists (missing ones are skipped); else ``~/.kube/config``."""
    if explicit:
        path = os.path.expanduser(str(explicit))
        if not os.path.isfile(path):
            raise ConfigError(f"cannot read kubeconfig {path}: no such file")
        return [path]
    env = os.environ.get("KUBECONFIG", "")
    candidates = [p for p in env.split(os.pathsep) if p] if env else [DEFAULT_KUBECONFIG]
    paths: list[str] = []
    for candidate in candidates:
        path = os.path.expanduser(candidate)
        if path not in paths and os.path.isfile(path):
            paths.append(path)
    if not paths:
        where = f"$KUBECONFIG ({env})" if env else DEFAULT_KUBECONFIG
        raise ConfigError(f"no kubeconfig found in {where}; pass --kubeconfig")
    return paths


class KubeConfig:
    """One or more kubeconfig files merged by the ``kubernetes`` package's ``KubeConfigMerger``:
    the first file to define a cluster, user or context name wins, and every entry remembers the
    file it came from, against whose folder its relative paths resolve. The one rule the merger
    gets wrong, which ``current-context`` wins, we apply as kubectl does: the first file's that
    sets one."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = [p for p in paths if _has_content(p)]
        if not self.paths:
            raise ConfigError(f"kubeconfig {', '.join(paths)} is empty")
        try:
            merger = KubeConfigMerger(os.pathsep.join(self.paths))
        except yaml.MarkedYAMLError as e:
            # Not str(e): it quotes the offending line, which may hold a token.
            mark = e.problem_mark
            where = f"{mark.name}, line {mark.line + 1}" if mark else ", ".join(self.paths)
            raise ConfigError(f"kubeconfig {where} is not valid YAML: {e.problem}") from None
        except (ConfigException, yaml.YAMLError, AttributeError, TypeError) as e:
            raise ConfigError(f"cannot load kubeconfig {', '.join(self.paths)}: {e}") from None
        self._merged: ConfigNode = merger.config
        self.current_context: str = next(
            (cfg["current-context"] for cfg in merger.config_files.values() if cfg.get("current-context")), ""
        )

    def _entry(self, kind: str, name: str) -> tuple[dict[str, Any], str]:
        """The ``kind`` (cluster, user, context) called ``name``, and the folder of its file."""
        try:
            node = self._merged[kind + "s"].get_with_name(name, safe=True)
        except ConfigException as e:
            raise ConfigError(f"kubeconfig: {e}") from None
        if node is None:
            raise ConfigError(f"kubeconfig has no {kind} named {name!r}")
        value = node.value.get(kind) or {}
        if not isinstance(value, dict):
            raise ConfigError(f"kubeconfig: {kind} {name!r} is not a mapping")
        return value, os.path.dirname(os.path.abspath(node.path or self.paths[0]))

    def context(self, name: str | None = None) -> tuple[str, dict[str, Any]]:
        name = name or self.current_context
        if not name:
            raise ConfigError("kubeconfig has no current-context and no context was given")
        return name, self._entry("context", name)[0]

    def namespace(self, context: str | None = None) -> str:
        """The namespace of the context, ``default`` when it names none."""
        return self.context(context)[1].get("namespace") or "default"

    def connection(self, context: str | None = None) -> Connection:
        name, ctx = self.context(context)
        if not ctx.get("cluster"):
            raise ConfigError(f"context {name!r} names no cluster")
        cluster, cluster_base = self._entry("cluster", ctx["cluster"])
        server = cluster.get("server")
        if not server:
            raise ConfigError(f"context {name!r}: cluster {ctx['cluster']!r} has no server")
        ca_pem = _file_or_data(cluster, "certificate-authority", cluster_base)
        user_name = ctx.get("user") or ""
        user, user_base = self._entry("user", user_name) if user_name else ({}, cluster_base)
        token, credentials, headers = _authentication(user_name, user, user_base, cluster_info(cluster, ca_pem))
        return Connection(
            server=server.rstrip("/"),
            ca_pem=ca_pem,
            client_cert_pem=_file_or_data(user, "client-certificate", user_base),
            client_key_pem=_file_or_data(user, "client-key", user_base),
            token=token,
            insecure_skip_verify=bool(cluster.get("insecure-skip-tls-verify")),
            tls_server_name=cluster.get("tls-server-name") or None,
            proxy_url=_proxy_url(cluster.get("proxy-url"), name),
            headers=headers,
            credentials=credentials,
        )


def _has_content(path: str) -> bool:
    """kubectl reads an empty file (``/dev/null`` in a KUBECONFIG list) as an empty config."""
    try:
        return bool(Path(path).read_text().strip())
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {path}: {e.strerror}") from None


def _file_or_data(entry: dict[str, Any], key: str, base: str) -> bytes | None:
    """``key-data`` (base64) wins over the file ``key``, which is relative to the entry's file."""
    try:
        data = FileOrData(entry, key, file_base_path=base).as_data()
    except OSError as e:
        raise ConfigError(f"cannot read {key} {e.filename}: {e.strerror}") from None
    return base64.b64decode(data) if data else None


def _authentication(
    user_name: str, user: dict[str, Any], base: str, cluster: dict[str, Any]
) -> tuple[str | None, CredentialCache | None, dict[str, str]]:
    """The user's static token, refreshable credential and extra headers, by kubectl's rules: a
    token or tokenFile wins over an exec plugin; basic auth does not mix with a token."""
    if user.get("auth-provider"):
        name = (user["auth-provider"] or {}).get("name", "")
        raise ConfigError(f"user {user_name!r}: auth-provider {name!r} is not supported; use an exec credential plugin")
    token = user.get("token") or None
    basic = user.get("username") or user.get("password")
    if basic and (token or user.get("tokenFile")):
        raise ConfigError(f"user {user_name!r}: more than one authentication method (token and basic auth)")
    if user.get("tokenFile"):
        path = os.path.normpath(os.path.join(base, user["tokenFile"]))
        return None, TokenFile(path).cache(fallback=token), {}
    if token:
        return token, None, {}
    if user.get("exec"):
        stanza = ConfigNode(f"users[{user_name}].exec", user["exec"])
        return None, ExecPlugin(stanza, user=user_name, base=base, cluster=cluster).cache(), {}
    if basic:
        pair = f"{user.get('username', '')}:{user.get('password', '')}".encode()
        return None, None, {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    return None, None, {}


def _proxy_url(value: Any, context: str) -> str | None:
    """kubectl takes http, https and socks5 proxies; aiohttp speaks only the first two."""
    if not value:
        return None
    url = urlsplit(str(value))
    if url.scheme == "socks5":
        raise ConfigError(f"context {context!r}: proxy-url with scheme socks5 is not supported (use an http or https proxy)")
    if url.scheme not in ("http", "https"):
        raise ConfigError(f"context {context!r}: proxy-url has unsupported scheme {url.scheme!r}, must be http or https")
    if not url.hostname:
        raise ConfigError(f"context {context!r}: proxy-url names no host")
    return str(value)


def load_kubeconfig(path: str | os.PathLike[str] | None = None) -> KubeConfig:
    """``path``, or kubectl's default files (see :func:`kubeconfig_paths`), merged."""
    return KubeConfig(kubeconfig_paths(path))


def connection_from_kubeconfig(path: str | os.PathLike[str] | None = None, context: str | None = None) -> Connection:
    """The :class:`Connection` for ``context`` (default: current-context) of ``path``."""
    return load_kubeconfig(path).connection(context)


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
        if conn.proxy_url:
            cluster["proxy-url"] = conn.proxy_url
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


def in_cluster_connection() -> Connection | None:
    """The Pod's own API server, as client-go's in-cluster config: ``KUBERNETES_SERVICE_HOST``
    and ``_PORT``, the ServiceAccount token (read again as it rotates) and CA; None outside a Pod."""
    host, port = os.environ.get(incluster.SERVICE_HOST_ENV_NAME), os.environ.get(incluster.SERVICE_PORT_ENV_NAME)
    if not host or not port or not os.path.isfile(incluster.SERVICE_TOKEN_FILENAME):
        return None
    try:
        ca_pem = Path(incluster.SERVICE_CERT_FILENAME).read_bytes()
    except OSError as e:
        raise ConfigError(f"in-cluster config: cannot read {incluster.SERVICE_CERT_FILENAME}: {e.strerror}") from None
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    return Connection(server=server, ca_pem=ca_pem, credentials=TokenFile(incluster.SERVICE_TOKEN_FILENAME).cache())


def default_connection(path: str | None = None, context: str | None = None) -> Connection:
    """controller-runtime's ``GetConfig`` order: ``path``, else ``$KUBECONFIG``, else the in-cluster
    config, else ``~/.kube/config``."""
    if not path and not os.environ.get("KUBECONFIG") and (conn := in_cluster_connection()) is not None:
        return conn
    return connection_from_kubeconfig(path, context)
