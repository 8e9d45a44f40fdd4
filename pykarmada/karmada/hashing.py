"""Hashes whose exact values are visible to users (names, tie-breaks)."""

from __future__ import annotations

__all__ = ["fnv32a"]

_FNV32_OFFSET = 2166136261
_FNV32_PRIME = 16777619


def fnv32a(data: str | bytes) -> int:
    """32-bit FNV-1a over the UTF-8 bytes of ``data``."""
    if isinstance(data, str):
        data = data.encode()
    h = _FNV32_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return h
