"""Clients for member clusters, built from a Cluster's endpoint and its credential Secret
(``spec.secretRef``: keys ``token`` and ``caBundle``) and ``spec.proxyURL``, cached while those stay the same."""

from __future__ import annotations

import hashlib
from typing import Any

from pykarmada.karmada.cluster import proxy_url
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.secrets import SecretCache

SECRET_TTL = 30.0


class CredentialsError(Exception):
    """A Cluster whose client cannot be built; the message says why."""


class MemberClients:
    def __init__(self, control_plane: KubeClient, *, timeout: float = 10.0) -> None:
        self.control_plane = control_plane
        self.timeout = timeout
        self._secrets = SecretCache(control_plane, ttl=SECRET_TTL)
        self._clients: dict[str, tuple[str, KubeClient]] = {}

    async def client_for(self, cluster: dict[str, Any]) -> KubeClient:
        name = cluster["metadata"]["name"]
        spec = cluster.get("spec") or {}
        endpoint, ref = spec.get("apiEndpoint"), spec.get("secretRef")
        if not endpoint:
            raise CredentialsError(f"cluster {name} has no apiEndpoint")
        if not ref:
            raise CredentialsError(f"cluster {name} has no secretRef")
        try:
            data = await self._secrets.data(ref["namespace"], ref["name"])
        except Exception as e:  # noqa: BLE001 - any failure to read credentials is reported the same way
            raise CredentialsError(f"cluster {name}: cannot read secret {ref.get('namespace')}/{ref.get('name')}: {e}") from None
        token = data.get("token", b"").decode().strip()
        if not token:
            raise CredentialsError(f"cluster {name}: secret {ref['namespace']}/{ref['name']} has no token")
        insecure = bool(spec.get("insecureSkipTLSVerification"))
        ca = data.get("caBundle") or None
        try:
            proxy = proxy_url(cluster)
        except ValueError as e:
            raise CredentialsError(str(e)) from None
        fingerprint = hashlib.sha256(f"{endpoint}|{insecure}|{proxy}|{token}".encode() + (ca or b"")).hexdigest()
        cached = self._clients.get(name)
        if cached and cached[0] == fingerprint:
            return cached[1]
        if cached:
            await cached[1].close()
        client = KubeClient(
            Connection(server=endpoint.rstrip("/"), ca_pem=ca, token=token, insecure_skip_verify=insecure, proxy_url=proxy),
            timeout=self.timeout,
            user_agent="karmada-controller-manager",
        )
        self._clients[name] = (fingerprint, client)
        return client

    async def forget(self, name: str) -> None:
        cached = self._clients.pop(name, None)
        if cached:
            await cached[1].close()

    async def close(self) -> None:
        for _, client in self._clients.values():
            await client.close()
        self._clients.clear()
