"""Secret data read through a client and kept for a short time, for hot paths that need
credentials on every request (the cluster proxy, member clients)."""

from __future__ import annotations

import base64
import time

from pykarmada.kube.client import KubeClient


class SecretCache:
    def __init__(self, client: KubeClient, *, ttl: float) -> None:
        self.client, self.ttl = client, ttl
        self._entries: dict[tuple[str, str], tuple[float, dict[str, bytes]]] = {}

    async def data(self, namespace: str, name: str) -> dict[str, bytes]:
        """The Secret's decoded ``data``; raises ApiError as the GET does."""
        key = (namespace, name)
        cached = self._entries.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        secret = await self.client.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
        self._entries[key] = (time.monotonic() + self.ttl, data)
        return data
