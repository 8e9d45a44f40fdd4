"""Values derived from parts of a Cluster, remembered while those parts live.

An informer replaces a Cluster's dicts and lists when the Cluster is updated and never changes
them in place, so a value computed from one of them stays right for as long as that very object
is in use, and every binding scheduled meanwhile reads the same ones. Entries are keyed by the
objects' identities and checked with ``is`` (a freed object's id may be reused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerObject(Generic[T]):
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[tuple[int, ...], tuple[tuple[object, ...], T]] = {}

    def get(self, objects: tuple[object, ...], compute: Callable[[], T]) -> T:
        key = tuple(map(id, objects))
        hit = self._entries.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], objects)):
            return hit[1]
        value = compute()
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value
