"""The multi-cluster resourceVersion (MRV) and the multi-cluster continue token.

MRV: a JSON object cluster -> that cluster's resourceVersion, keys sorted, no whitespace, encoded
base64url without padding. ``"0"`` and ``""`` are kept as they are (``"0"`` means "any version" in
every cluster); a value that does not decode counts as an empty map, as upstream does.

Continue token: base64url (no padding) of ``{"rv": <MRV>, "cluster": <c>, "continue": <token>}``
with ``cluster``/``continue`` left out when empty. A token that does not decode is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from pykarmada.kube.status import StatusError


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MultiClusterResourceVersion:
    """Per-cluster resourceVersions. ``is_zero``: every cluster reads "any version"."""

    def __init__(self, versions: dict[str, str] | None = None, *, is_zero: bool = False) -> None:
        self.versions = dict(versions or {})
        self.is_zero = is_zero

    @classmethod
    def decode(cls, text: str) -> MultiClusterResourceVersion:
        if text == "0":
            return cls(is_zero=True)
        if not text:
            return cls()
        try:
            data = json.loads(_b64decode(text))
        except (ValueError, binascii.Error):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls({str(k): str(v) for k, v in data.items() if isinstance(v, (str, int))})

    def get(self, cluster: str) -> str:
        return "0" if self.is_zero else self.versions.get(cluster, "")

    def set(self, cluster: str, version: str) -> None:
        self.is_zero = False
        self.versions[cluster] = version

    def encode(self) -> str:
        if self.is_zero:
            return "0"
        if not self.versions:
            return ""
        return encode_versions(self.versions)


def encode_versions(versions: dict[str, str]) -> str:
    """The MRV of ``versions`` (cluster -> resourceVersion)."""
    return _b64encode(json.dumps(versions, sort_keys=True, separators=(",", ":")).encode())


@dataclass(frozen=True)
class MultiClusterContinue:
    rv: str = ""
    cluster: str = ""
    continue_: str = ""

    def encode(self) -> str:
        data = {"rv": self.rv}
        if self.cluster:
            data["cluster"] = self.cluster
        if self.continue_:
            data["continue"] = self.continue_
        return _b64encode(json.dumps(data, separators=(",", ":")).encode())

    @classmethod
    def decode(cls, text: str) -> MultiClusterContinue:
        try:
            data = json.loads(_b64decode(text))
            if not isinstance(data, dict) or not all(isinstance(data.get(k, ""), str) for k in ("rv", "cluster", "continue")):
                raise ValueError("not an object of strings")
        except (ValueError, binascii.Error):
            raise StatusError(400, f'continue key is not valid: "{text[:64]}" is not a multi-cluster continue token') from None
        return cls(data.get("rv", ""), data.get("cluster", ""), data.get("continue", ""))
