"""Values derived from parts of a Cluster, remembered while those parts live.

An informer replaces a Cluster's dicts and lists when the Cluster is updated and never changes
them in place, so a value computed from one of them stays right for as long as that very object
is in use, and every binding scheduled meanwhile reads the same ones. Entries are keyed by the
objects' identities and checked by comparing the remembered objects with the given ones (a freed
object's id may be reused): a tuple comparison tries identity first, so a hit costs no deep
compare, and an object equal to the remembered one would give the same value anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import orjson

T = TypeVar("T")


class PerObject(Generic[T]):
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[tuple[int, ...], tuple[tuple[object, ...], T]] = {}

    def get(self, objects: tuple[object, ...], compute: Callable[[], T]) -> T:
        key = tuple(map(id, objects))
        hit = self._entries.get(key)
        if hit is not None and hit[0] == objects:
            return hit[1]
        value = compute()
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value


def shape_key(*parts: Any) -> bytes | None:
    """A dict key for JSON-shaped values (a placement's selectors, weight rules): their canonical
    encoding; None when they cannot be encoded (the caller then computes without memo)."""
    try:
        return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


class PerClusters(Generic[T]):
    """Values by key, each held with the clusters it was computed from and given again only for
    those very clusters. List equality tries identity first, so the same Cluster objects compare
    without a deep look; the caller must not change a value it is given."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[list[Any], T]] = {}

    def get(self, key: Hashable | None, clusters: Sequence[Any], compute: Callable[[], T]) -> T:
        if key is None:
            return compute()
        known = self._entries.get(key)
        if known is not None and known[0] == clusters:
            return known[1]
        value = compute()
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (list(clusters), value)
        return value
