"""Token-based discovery of the control plane (surfaces.md 4.6): fetch ``cluster-info``
anonymously, trust it only when the bootstrap token signed it (detached JWS), and, with CA pins,
only when its CA is pinned and a second fetch verified with that CA returns the same bytes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

import aiohttp

from pykarmada.karmada.bootstrap import clusterinfo as ci
from pykarmada.karmada.bootstrap.jws import verify_detached
from pykarmada.karmada.bootstrap.pins import PinError, check_any
from pykarmada.karmada.bootstrap.token import Token
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.errors import ApiError

RETRY_INTERVAL = 5.0
JITTER = 0.3
REQUEST_TIMEOUT = 10.0


class DiscoveryError(Exception):
    """The control plane could not be found or trusted; the message says which."""


def verified_kubeconfig(configmap: dict, token: Token, parent_command: str) -> str:  # type: ignore[type-arg]
    """cluster-info's ``kubeconfig`` once its JWS for this token checks out."""
    data = configmap.get("data") or {}
    content = data.get(ci.KUBECONFIG_KEY)
    if not content:
        raise DiscoveryError(f"there is no {ci.KUBECONFIG_KEY} key in the {ci.NAME} ConfigMap: this API server is not set up for token bootstrapping")
    signature = data.get(ci.JWS_PREFIX + token.id)
    if not signature:
        raise DiscoveryError(expired_message(token, parent_command))
    if not verify_detached(signature, content, token.id, token.secret):
        raise DiscoveryError(f"failed to verify the JWS signature of the {ci.NAME} ConfigMap with the given token: can't trust this API server (wrong token?)")
    return str(content)


def expired_message(token: Token, parent_command: str) -> str:
    return f'token id "{token.id}" is invalid for this cluster or it has expired; use "{parent_command} token create" on the control plane to create a new valid token'


def trusted_cluster_info(kubeconfig_text: str, pins: set[str]) -> ci.ClusterInfo:
    info = ci.parse_kubeconfig(kubeconfig_text)
    if pins:
        try:
            check_any(info.ca_pem, pins)
        except PinError as e:
            raise DiscoveryError(f"the cluster CA found in the {ci.NAME} ConfigMap is not pinned by --discovery-token-ca-cert-hash: {e}") from None
    return info


async def _fetch(connection: Connection, token: Token, deadline: float, parent_command: str) -> dict:  # type: ignore[type-arg]
    """GET cluster-info until it holds this token's signature or the deadline passes."""
    last = ""
    async with KubeClient(connection, timeout=REQUEST_TIMEOUT) as client:
        while True:
            try:
                configmap = await client.get(ci.PATH)
                if (configmap.get("data") or {}).get(ci.JWS_PREFIX + token.id):
                    return configmap  # type: ignore[no-any-return]
                last = expired_message(token, parent_command)
            except ApiError as e:
                last = f"cannot read {ci.NAMESPACE}/{ci.NAME} from {connection.server}: {e.status} {e.reason or e.message}"
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
                last = f"cannot reach the control plane at {connection.server}: {e or type(e).__name__}"
            left = deadline - time.monotonic()
            if left <= 0:
                raise DiscoveryError(last)
            await asyncio.sleep(min(left, RETRY_INTERVAL * (1 + JITTER * random.random())))


async def discover(endpoint: str, token: Token, pins: set[str], *, timeout: float, parent_command: str, log: Callable[[str], None] = lambda _m: None) -> ci.ClusterInfo:
    """The control plane's CA (and cluster-info's server), trusted as described above. Without
    pins the CA is trusted on the token's signature alone (``--discovery-token-unsafe-skip-ca-verification``)."""
    server = f"https://{endpoint}"
    deadline = time.monotonic() + timeout
    log(f"[discovery] Requesting cluster-info from {server}")
    insecure = await _fetch(Connection(server=server, insecure_skip_verify=True), token, deadline, parent_command)
    content = verified_kubeconfig(insecure, token, parent_command)
    info = trusted_cluster_info(content, pins)
    if not pins:
        log("[discovery] cluster-info is signed by the token; no CA pinning was asked for")
        return info
    log("[discovery] cluster-info is signed by the token and its CA is pinned; requesting it again over verified TLS")
    secure = await _fetch(Connection(server=server, ca_pem=info.ca_pem), token, deadline, parent_command)
    if (secure.get("data") or {}).get(ci.KUBECONFIG_KEY) != content:
        raise DiscoveryError(f"the {ci.NAME} ConfigMap fetched over verified TLS differs from the first one")
    return info
