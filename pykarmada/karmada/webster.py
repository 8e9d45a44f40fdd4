"""Webster (Sainte-Laguë) apportionment, as Karmada divides replicas (and Job completions).

Seats go one at a time to the party with the largest ``votes / (2*seats + 1)``, compared exactly
(integer cross-multiplication, never floats). Ties go to the party with fewer seats, then by name:
ascending, or descending when the FNV-1a hash of the template UID is odd. The tie-break rule is
part of the observable result (which cluster gets the odd replica), so it must not change.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from pykarmada.karmada.hashing import fnv32a

__all__ = ["names_descending_for_uid", "allocate_webster_seats", "divide_by_weight"]


def names_descending_for_uid(uid: str | None) -> bool:
    """True when name ties are broken in descending order for this template UID."""
    return bool(uid) and fnv32a(uid) & 1 == 1


class _Party:
    __slots__ = ("name", "votes", "seats", "rank")

    def __init__(self, name: str, votes: int, seats: int, rank: int) -> None:
        self.name, self.votes, self.seats, self.rank = name, votes, seats, rank

    def __lt__(self, other: _Party) -> bool:
        """'Comes first': higher priority, then fewer seats, then the name order (rank)."""
        mine = self.votes * (2 * other.seats + 1)
        theirs = other.votes * (2 * self.seats + 1)
        if mine != theirs:
            return mine > theirs
        if self.seats != other.seats:
            return self.seats < other.seats
        return self.rank < other.rank


def allocate_webster_seats(
    new_seats: int,
    votes: Mapping[str, int],
    initial: Mapping[str, int] | None = None,
    *,
    descending_names: bool = False,
) -> list[tuple[str, int]]:
    """Give ``new_seats`` seats to the parties; returns every party (even with 0 seats) sorted by
    name ascending. Parties only in ``initial`` keep their seats and have 0 votes."""
    seats: dict[str, int] = dict(initial or {})
    all_votes = {name: 0 for name in seats}
    all_votes.update(votes)
    if not all_votes:
        return []
    ordered = sorted(all_votes)
    n = len(ordered)
    ranks = [(name, (n - i) if descending_names else i) for i, name in enumerate(ordered)]
    new_seats = max(new_seats, 0)
    most_seats = max(seats.values(), default=0) + new_seats
    if max(abs(v) for v in all_votes.values()) * (2 * most_seats + 1) < _FLOAT_EXACT:
        result = _by_float_quotients(new_seats, all_votes, seats, ranks)
    else:
        result = _by_cross_multiplication(new_seats, all_votes, seats, ranks)
    return [(name, result[name]) for name in ordered]


# While every votes * (2 * seats + 1) stays below 2**52, two different quotients never round to
# floats in the wrong order and equal ones round to the same float: comparing the floats decides
# as the exact cross-multiplication does, in C (heap entries are plain tuples).
_FLOAT_EXACT = 2**50


def _by_float_quotients(new_seats: int, votes: Mapping[str, int], seats: Mapping[str, int], ranks: list[tuple[str, int]]) -> dict[str, int]:
    heap = []
    for name, rank in ranks:
        held, v = seats.get(name, 0), votes[name]
        heap.append((-v / (2 * held + 1), held, rank, name, v))
    heapq.heapify(heap)
    for _ in range(new_seats):
        _, held, rank, name, v = heap[0]
        held += 1
        heapq.heapreplace(heap, (-v / (2 * held + 1), held, rank, name, v))
    return {entry[3]: entry[1] for entry in heap}


def _by_cross_multiplication(new_seats: int, votes: Mapping[str, int], seats: Mapping[str, int], ranks: list[tuple[str, int]]) -> dict[str, int]:
    heap = [_Party(name, votes[name], seats.get(name, 0), rank) for name, rank in ranks]
    heapq.heapify(heap)
    for _ in range(new_seats):
        party = heap[0]
        party.seats += 1
        heapq.heapreplace(heap, party)
    return {p.name: p.seats for p in heap}


def divide_by_weight(
    replicas: int,
    weights: Iterable[tuple[str, int]],
    initial: Iterable[tuple[str, int]] = (),
    *,
    uid: str | None = None,
) -> list[tuple[str, int]]:
    """Karmada's ``Dispenser.AllocateByWeight``: nothing to do when no replicas are left and an
    initial result exists, or when the weights sum to 0 (the initial result is returned)."""
    init = list(initial)
    weight_map: dict[str, int] = {}
    for name, weight in weights:
        weight_map[name] = weight
    if replicas == 0 and init:
        return init
    if sum(weight_map.values()) == 0:
        return init
    return allocate_webster_seats(replicas, weight_map, dict(init), descending_names=names_descending_for_uid(uid))
