"""Typed errors for Kubernetes API answers.

An :class:`ApiError` carries what the server's ``Status`` object said (code, reason, message) and
never the request's credentials, so it is safe to log.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A non-2xx answer from an API server."""

    def __init__(self, status: int, reason: str, message: str, *, method: str = "", path: str = "") -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {status} {reason}: {message}".strip())

    @classmethod
    def from_response(cls, status: int, body: Any, *, method: str, path: str) -> ApiError:
        reason, message = "", ""
        if isinstance(body, dict) and body.get("kind") == "Status":
            reason = body.get("reason") or ""
            message = body.get("message") or ""
        elif isinstance(body, (bytes, str)):
            message = body.decode(errors="replace") if isinstance(body, bytes) else body
            message = message.strip()[:500]
        return cls(status, reason, message, method=method, path=path)

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def already_exists(self) -> bool:
        return self.status == 409 and self.reason == "AlreadyExists"

    @property
    def gone(self) -> bool:
        return self.status == 410


class ConfigError(Exception):
    """A kubeconfig that cannot be used (missing context, unreadable credentials...)."""
