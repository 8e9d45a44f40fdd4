"""Delegated authentication and authorization, as a Kubernetes aggregated API server does them.

Authentication, in order: a client certificate from the front proxy (issued by the requestheader
CA, CN in the allowed names) carrying the caller's identity in headers; a client certificate from
the cluster's client CA (user = CN, groups = O); a bearer token checked by TokenReview. Anything
else is 401: unlike upstream, nobody is served as ``system:anonymous``. The CA settings come from
ConfigMap ``kube-system/extension-apiserver-authentication`` and are followed while we run.

Authorization is a SubjectAccessReview to the control plane per request (answers cached 10 s);
``system:masters`` and the health paths always pass.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from cryptography import x509

from pykarmada.aggregator.requestinfo import RequestInfo
from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError
from pykarmada.kube.watch import list_and_watch

log = logging.getLogger(__name__)

AUTH_CONFIGMAP = "/api/v1/namespaces/kube-system/configmaps"
AUTH_CONFIGMAP_NAME = "extension-apiserver-authentication"
CACHE_SECONDS = 10.0
HEALTH_PATHS = ("/healthz", "/readyz", "/livez")


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class AuthConfig:
    client_cas: list[x509.Certificate] = field(default_factory=list)
    requestheader_cas: list[x509.Certificate] = field(default_factory=list)
    allowed_names: list[str] = field(default_factory=list)
    username_headers: list[str] = field(default_factory=list)
    group_headers: list[str] = field(default_factory=list)
    extra_prefixes: list[str] = field(default_factory=list)
    uid_headers: list[str] = field(default_factory=list)

    @classmethod
    def from_configmap(cls, data: dict[str, str]) -> AuthConfig:
        def certs(key: str) -> list[x509.Certificate]:
            pem = data.get(key, "")
            return x509.load_pem_x509_certificates(pem.encode()) if pem.strip() else []

        def strings(key: str) -> list[str]:
            try:
                return [str(v) for v in json.loads(data.get(key) or "[]")]
            except ValueError:
                return []

        return cls(
            client_cas=certs("client-ca-file"),
            requestheader_cas=certs("requestheader-client-ca-file"),
            allowed_names=strings("requestheader-allowed-names"),
            username_headers=strings("requestheader-username-headers"),
            group_headers=strings("requestheader-group-headers"),
            extra_prefixes=strings("requestheader-extra-headers-prefix"),
            uid_headers=strings("requestheader-uid-headers"),
        )

    def ca_pem(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding

        return "".join(c.public_bytes(Encoding.PEM).decode() for c in self.client_cas + self.requestheader_cas)


def _issued_by(cert: x509.Certificate, cas: list[x509.Certificate]) -> bool:
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not this CA"
            continue
    return False


def _common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def peer_certificate_der(request: web.Request) -> bytes | None:
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    return ssl_object.getpeercert(binary_form=True) if ssl_object else None


@dataclass(frozen=True)
class _Peer:
    issuer: str  # "requestheader", "client" or "" (neither)
    name: str  # the subject's common name
    organizations: tuple[str, ...]


class Authenticator:
    def __init__(self, control_plane: KubeClient, server_ssl: ssl.SSLContext) -> None:
        self.client = control_plane
        self.server_ssl = server_ssl
        self.config = AuthConfig()
        self._tokens: dict[str, tuple[float, UserInfo | None]] = {}
        # Which CA issued a certificate, and its subject, by its DER bytes: parsing it and verifying
        # a signature per request would cost more than the rest of the authentication.
        self._peers: dict[bytes, _Peer] = {}

    async def load(self) -> None:
        """Read the ConfigMap once (before serving)."""
        cm = await self.client.get(f"{AUTH_CONFIGMAP}/{AUTH_CONFIGMAP_NAME}")
        self._set(cm.get("data") or {})

    def _set(self, data: dict[str, str]) -> None:
        self.config = AuthConfig.from_configmap(data)
        self._peers.clear()
        pem = self.config.ca_pem()
        if pem:
            # Trust for the TLS handshake; which CA issued a certificate is decided per request.
            self.server_ssl.load_verify_locations(cadata=pem)

    async def follow(self) -> None:
        """Keep the configuration current (runs for the server's lifetime)."""
        while True:
            try:
                async for event in list_and_watch(self.client, AUTH_CONFIGMAP, fieldSelector=f"metadata.name={AUTH_CONFIGMAP_NAME}"):
                    if event.type in ("ADDED", "MODIFIED"):
                        self._set(event.object.get("data") or {})
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - keep following; the last config stays in force
                log.warning("following %s failed: %s; retrying", AUTH_CONFIGMAP_NAME, e)
                await asyncio.sleep(5)

    async def authenticate(self, request: web.Request) -> UserInfo | None:
        """The caller, with ``system:authenticated`` added as Kubernetes adds it to every
        authenticated user; None when no method authenticates the request."""
        user = await self._authenticate(request)
        if user is not None and "system:authenticated" not in user.groups:
            user = UserInfo(user.name, user.uid, user.groups + ("system:authenticated",), user.extra)
        return user

    def _peer(self, der: bytes) -> _Peer:
        peer = self._peers.get(der)
        if peer is None:
            cert, cfg = x509.load_der_x509_certificate(der), self.config
            issuer = "requestheader" if _issued_by(cert, cfg.requestheader_cas) else "client" if _issued_by(cert, cfg.client_cas) else ""
            orgs = tuple(str(o.value) for o in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME))
            peer = _Peer(issuer, _common_name(cert), orgs)
            if len(self._peers) > 10000:
                self._peers.clear()
            self._peers[der] = peer
        return peer

    async def _authenticate(self, request: web.Request) -> UserInfo | None:
        der = peer_certificate_der(request)
        peer = self._peer(der) if der else None
        if peer is not None and peer.issuer == "requestheader":
            allowed = self.config.allowed_names
            if allowed and peer.name not in allowed:
                return None
            return self._from_headers(request)
        if peer is not None and peer.issuer == "client":
            return UserInfo(peer.name, groups=peer.organizations)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return await self._token_review(auth[7:].strip())
        return None

    def _from_headers(self, request: web.Request) -> UserInfo | None:
        cfg = self.config
        name = next((request.headers[h] for h in cfg.username_headers if request.headers.get(h)), "")
        if not name:
            return None
        groups = tuple(v for h in cfg.group_headers for v in request.headers.getall(h, []))
        uid = next((request.headers[h] for h in cfg.uid_headers if request.headers.get(h)), "")
        extra: dict[str, list[str]] = {}
        for header, value in request.headers.items():
            for prefix in cfg.extra_prefixes:
                if header.lower().startswith(prefix.lower()):
                    extra.setdefault(unquote(header[len(prefix):]).lower(), []).append(value)
        return UserInfo(name, uid, groups, extra)

    async def _token_review(self, token: str) -> UserInfo | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._tokens.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        review = await self.client.create(
            "/apis/authentication.k8s.io/v1/tokenreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}},
        )
        status = review.get("status") or {}
        user = None
        if status.get("authenticated"):
            u = status.get("user") or {}
            user = UserInfo(u.get("username", ""), u.get("uid", ""), tuple(u.get("groups") or ()), u.get("extra") or {})
        self._tokens[key] = (time.monotonic() + CACHE_SECONDS, user)
        return user


class Authorizer:
    def __init__(self, control_plane: KubeClient) -> None:
        self.client = control_plane
        self._cache: dict[str, tuple[float, bool, str]] = {}

    async def authorize(self, user: UserInfo, info: RequestInfo) -> tuple[bool, str]:
        if "system:masters" in user.groups or info.path in HEALTH_PATHS:
            return True, ""
        spec: dict[str, Any] = {"user": user.name, "groups": list(user.groups), "extra": user.extra}
        if user.uid:
            spec["uid"] = user.uid
        if info.is_resource_request:
            attrs = {"group": info.api_group, "version": info.api_version, "resource": info.resource, "verb": info.verb}
            if info.subresource:
                attrs["subresource"] = info.subresource
            if info.name:
                attrs["name"] = info.name
            spec["resourceAttributes"] = attrs
        else:
            spec["nonResourceAttributes"] = {"path": info.path, "verb": info.verb}
        key = json.dumps(spec, sort_keys=True)
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            review = await self.client.create(
                "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec},
            )
        except ApiError as e:
            log.warning("SubjectAccessReview failed: %s", e)
            return False, "authorization could not be checked"
        status = review.get("status") or {}
        allowed, reason = bool(status.get("allowed")), status.get("reason", "")
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + CACHE_SECONDS, allowed, reason)
        return allowed, reason


def forbidden_message(user: UserInfo, info: RequestInfo, reason: str) -> str:
    if info.is_resource_request:
        what = f'{info.resource}/{info.subresource}' if info.subresource else info.resource
        text = f'{what}.{info.api_group} "{info.name}" is forbidden' if info.name else f"{what}.{info.api_group} is forbidden"
        text += f': User "{user.name}" cannot {info.verb} resource "{what}" in API group "{info.api_group}" at the cluster scope'
    else:
        text = f'forbidden: User "{user.name}" cannot {info.verb} path "{info.path}"'
    return text + (f": {reason}" if reason else "")
