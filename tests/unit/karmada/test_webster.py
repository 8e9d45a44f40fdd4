"""Webster apportionment and its tie-breaks (behaviour.md 2.8 examples)."""

from __future__ import annotations

import pytest

from pykarmada.karmada.hashing import fnv32a
from pykarmada.karmada.webster import allocate_webster_seats, divide_by_weight, names_descending_for_uid
from tests.unit.scheduler.builders import EVEN_UID, ODD_UID


@pytest.mark.parametrize(
    ("data", "expected"),
    [("", 0x811C9DC5), ("a", 0xE40C292C), ("foobar", 0xBF9CF968)],
    ids=["empty", "a", "foobar"],
)
def test_fnv32a_reference_vectors(data: str, expected: int) -> None:
    assert fnv32a(data) == expected


def test_uid_parity_picks_the_name_order() -> None:
    assert not names_descending_for_uid("")
    assert not names_descending_for_uid(None)
    assert not names_descending_for_uid(EVEN_UID)
    assert names_descending_for_uid(ODD_UID)


@pytest.mark.parametrize(
    ("seats", "votes", "uid", "expected"),
    [
        (9, {"A": 1, "B": 2}, "", {"A": 3, "B": 6}),
        (9, {"A": 1, "B": 3}, "", {"A": 2, "B": 7}),
        (10, {"A": 2, "B": 1, "C": 1}, "", {"A": 5, "B": 3, "C": 2}),
        (10, {"A": 2, "B": 1, "C": 1}, ODD_UID, {"A": 5, "B": 2, "C": 3}),
        (5, {"m1": 1, "m2": 1}, EVEN_UID, {"m1": 3, "m2": 2}),
        (5, {"m1": 1, "m2": 1}, ODD_UID, {"m1": 2, "m2": 3}),
        (2, {"a": 1, "b": 1}, "", {"a": 1, "b": 1}),
        (0, {"a": 1, "b": 1}, "", {"a": 0, "b": 0}),
        (3, {"a": 1, "b": 0}, "", {"a": 3, "b": 0}),
    ],
    ids=["9-1:2", "9-1:3", "10-2:1:1-asc", "10-2:1:1-odd-uid-desc", "5-1:1-even", "5-1:1-odd", "2-1:1", "zero-seats", "zero-vote-party"],
)
def test_webster_examples(seats: int, votes: dict[str, int], uid: str, expected: dict[str, int]) -> None:
    result = divide_by_weight(seats, votes.items(), uid=uid)
    assert dict(result) == expected
    assert [name for name, _ in result] == sorted(expected), "results are sorted by name"


def test_ties_go_to_fewer_seats_before_names() -> None:
    # Scale down A6 B3 C1 to 5 (behaviour.md 2.8): after A3 B1 the last seat is a tie between
    # B (3/3) and C (1/1); C wins because it has fewer seats.
    assert dict(divide_by_weight(5, [("A", 6), ("B", 3), ("C", 1)])) == {"A": 3, "B": 1, "C": 1}


def test_comparison_is_exact_not_floating_point() -> None:
    # 2**53+1 and 2**53 differ, but their float quotients are equal: exact comparison must
    # prefer the larger party (name order would pick "a").
    result = allocate_webster_seats(1, {"a": 2**53, "b": 2**53 + 1})
    assert dict(result) == {"a": 0, "b": 1}


def test_initial_seats_count_and_parties_only_in_initial_keep_theirs() -> None:
    result = allocate_webster_seats(2, {"a": 1, "b": 1}, {"a": 4, "z": 2})
    assert dict(result) == {"a": 4, "b": 2, "z": 2}


@pytest.mark.parametrize(
    ("replicas", "weights", "initial", "expected"),
    [
        (0, [("a", 1)], [("a", 3)], [("a", 3)]),
        (3, [("a", 0), ("b", 0)], [], []),
        (3, [("a", 0), ("b", 0)], [("a", 1)], [("a", 1)]),
    ],
    ids=["nothing-left-keeps-initial", "zero-weights-no-initial", "zero-weights-keeps-initial"],
)
def test_dispenser_short_paths(replicas: int, weights: list, initial: list, expected: list) -> None:
    assert divide_by_weight(replicas, weights, initial) == expected


def test_float_quotients_decide_as_cross_multiplication() -> None:
    """The fast path (float quotients) and the exact one give the same seats, ties included."""
    import random

    from pykarmada.karmada import webster

    rng = random.Random(7)
    for _ in range(2000):
        parties = rng.randint(1, 12)
        votes = {f"m{i}": rng.choice([0, 1, 2, 3, 6, rng.randint(0, 10**6)]) for i in range(parties)}
        initial = {f"m{i}": rng.randint(0, 5) for i in range(parties) if rng.random() < 0.3}
        seats = dict(initial)
        ranks = [(name, i) for i, name in enumerate(sorted({**votes, **initial}))]
        full = {name: votes.get(name, 0) for name, _ in ranks}
        new = rng.randint(0, 300)
        assert webster._by_float_quotients(new, full, seats, ranks) == webster._by_cross_multiplication(new, full, seats, ranks)
