"""Detached JWS (RFC 7515 appendix F) with HS256, as kube-controller-manager's bootstrapsigner
signs ``kube-public/cluster-info``: key = the token secret, ``kid`` = the token id, payload = the
exact ``kubeconfig`` string, left out of the serialization (``<header>..<signature>``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_detached(content: str, token_id: str, token_secret: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    mac = hmac.new(token_secret.encode(), f"{header}.{_b64(content.encode())}".encode(), hashlib.sha256).digest()
    return f"{header}..{_b64(mac)}"


def verify_detached(signature: str, content: str, token_id: str, token_secret: str) -> bool:
    """True when ``signature`` is an HS256 detached JWS of ``content`` made with this token."""
    parts = signature.split(".")
    if len(parts) != 3 or parts[1]:
        return False
    try:
        header = json.loads(_unb64(parts[0]))
        mac = _unb64(parts[2])
    except (ValueError, binascii.Error):
        return False
    if not isinstance(header, dict) or header.get("alg") != "HS256" or header.get("kid") != token_id:
        return False
    expected = hmac.new(token_secret.encode(), f"{parts[0]}.{_b64(content.encode())}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(mac, expected)
