"""Exec credential plugins (``client.authentication.k8s.io/v1`` and ``v1beta1``), run as kubectl runs them.

The ``kubernetes`` package's ``ExecProvider`` reads the plugin's stanza (command, args, env on top
of ours); :class:`ExecPlugin` keeps that and adds what kubectl also checks (apiVersion,
interactiveMode, a command path relative to the kubeconfig, installHint). It does not use the
package's ``run()``: that blocks its caller, raises a bare ``FileNotFoundError`` for a missing
binary and drops the plugin's stderr when the output is bad. Instead :meth:`ExecPlugin.fetch`
starts the plugin as an asyncio subprocess: the event loop goes on serving watches and other
requests while a slow plugin (one that asks a cloud for a token) works, no thread is held per
refresh, and a cancelled request kills the plugin instead of leaving it behind.

Every failure is a :class:`ConfigError` naming the plugin's command (never its arguments, which
may hold secrets) with its stderr; the plugin's stdout (the credential) never appears in one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.exec_provider import ExecProvider
from kubernetes.config.kube_config import ConfigNode

from pykarmada.kube.credentials import Credential, CredentialCache
from pykarmada.kube.errors import ConfigError

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
# Fetch a new credential this long before the plugin's expirationTimestamp, so that a request
# does not reach the server with a token that expires on the way.
LEEWAY = timedelta(seconds=10)
STDERR_LIMIT = 2000


def parse_exec_credential(stdout: bytes, api_version: str) -> Credential:
    """The credential in a plugin's output; ConfigError (without the output) when it is not one."""
    try:
        doc = json.loads(stdout)
    except ValueError as e:
        raise ConfigError(f"its output is not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("kind") != "ExecCredential":
        raise ConfigError("its output is not an ExecCredential")
    if doc.get("apiVersion") != api_version:
        raise ConfigError(f"it is configured to use API version {api_version}, but returned version {doc.get('apiVersion')!r}")
    status = doc.get("status")
    if not isinstance(status, dict):
        raise ConfigError("it returned no status")
    token = status.get("token") or None
    cert, key = status.get("clientCertificateData") or None, status.get("clientKeyData") or None
    if not token and not cert and not key:
        raise ConfigError("it returned neither a token nor a client certificate and key")
    if bool(cert) != bool(key):
        raise ConfigError("it returned only one of clientCertificateData and clientKeyData")
    if cert and key:
        try:
            x509.load_pem_x509_certificate(cert.encode())
            serialization.load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError) as e:
            raise ConfigError(f"its client certificate or key cannot be read ({e})") from None
    return Credential(
        token=token,
        client_cert_pem=cert.encode() if cert else None,
        client_key_pem=key.encode() if key else None,
        expires_at=_timestamp(status.get("expirationTimestamp")),
    )


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"its expirationTimestamp {value!r} is not an RFC 3339 time") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class ExecPlugin(ExecProvider):
    """One user's ``exec`` stanza; :meth:`cache` gives the credential cache a Connection carries."""

    def __init__(self, stanza: ConfigNode, *, user: str, base: str, cluster: dict[str, Any]) -> None:
        try:
            super().__init__(stanza, cwd=None)
        except (ConfigException, KeyError, TypeError) as e:
            raise ConfigError(f"user {user!r}: exec: {e}") from None
        if self.api_version not in API_VERSIONS:
            raise ConfigError(f"user {user!r}: exec apiVersion {self.api_version!r} is not supported (use one of {', '.join(API_VERSIONS)})")
        mode = stanza.safe_get("interactiveMode") or ("IfAvailable" if self.api_version.endswith("v1beta1") else "")
        if not mode:
            raise ConfigError(f"user {user!r}: exec interactiveMode must be set for {self.api_version}")
        if mode not in INTERACTIVE_MODES:
            raise ConfigError(f"user {user!r}: exec interactiveMode {mode!r} is not one of {', '.join(INTERACTIVE_MODES)}")
        self.interactive_mode = mode
        # kubectl resolves a command with a path separator against the kubeconfig's folder, and
        # looks a bare name up on PATH.
        if os.sep in self.args[0] and not os.path.isabs(self.args[0]):
            self.args[0] = os.path.normpath(os.path.join(base, self.args[0]))
        self.command = self.args[0]
        self.install_hint = stanza.safe_get("installHint") or ""
        self.cluster_info = cluster if stanza.safe_get("provideClusterInfo") else None

    def cache(self) -> CredentialCache:
        return CredentialCache(self.fetch, leeway=LEEWAY)

    def _interactive(self) -> bool:
        tty = sys.stdin is not None and sys.stdin.isatty()
        if self.interactive_mode == "Always" and not tty:
            raise self._error("its interactiveMode is Always, but standard input is not a terminal")
        return self.interactive_mode != "Never" and tty

    def _error(self, reason: str, stderr: bytes = b"") -> ConfigError:
        text = stderr.decode(errors="replace").strip()[-STDERR_LIMIT:]
        return ConfigError(f"exec plugin {self.command!r}: {reason}" + (f"; its stderr: {text}" if text else ""))

    def request(self, interactive: bool) -> dict[str, Any]:
        """The ExecCredential handed to the plugin in ``KUBERNETES_EXEC_INFO``."""
        spec: dict[str, Any] = {"interactive": interactive}
        if self.cluster_info is not None:
            spec["cluster"] = self.cluster_info
        return {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}

    async def fetch(self) -> Credential:
        """Run the plugin once and read its credential. An interactive plugin (a terminal on
        stdin, interactiveMode not Never) gets our stdin and stderr, as kubectl gives it them;
        otherwise its stderr is kept for the error message."""
        interactive = self._interactive()
        env = dict(self.env, KUBERNETES_EXEC_INFO=json.dumps(self.request(interactive)))
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.args,
                env=env,
                stdin=None if interactive else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=None if interactive else asyncio.subprocess.PIPE,
            )
        except OSError as e:
            hint = f"; {self.install_hint.strip()}" if self.install_hint else ""
            reason = "executable not found" if isinstance(e, FileNotFoundError) else f"cannot be started ({e.strerror})"
            raise self._error(reason + hint) from None
        try:
            stdout, stderr = await proc.communicate()
        except BaseException:
            if proc.returncode is None:
                proc.kill()
                await asyncio.shield(proc.wait())
            raise
        stderr = stderr or b""
        if proc.returncode != 0:
            raise self._error(f"failed with exit code {proc.returncode}", stderr)
        try:
            return parse_exec_credential(stdout, self.api_version)
        except ConfigError as e:
            raise self._error(str(e), stderr) from None


def cluster_info(cluster: dict[str, Any], ca_pem: bytes | None) -> dict[str, Any]:
    """What ``provideClusterInfo`` gives the plugin: the cluster stanza with its CA as data and
    the ``client.authentication.k8s.io/exec`` extension as ``config``."""
    info: dict[str, Any] = {"server": cluster.get("server", "")}
    for key in ("tls-server-name", "insecure-skip-tls-verify", "proxy-url", "disable-compression"):
        if cluster.get(key):
            info[key] = cluster[key]
    if ca_pem:
        info["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    for ext in cluster.get("extensions") or []:
        if ext.get("name") == "client.authentication.k8s.io/exec":
            info["config"] = ext.get("extension")
    return info
