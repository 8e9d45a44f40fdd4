"""``Informer.in_initial_list``: true exactly while an ADDED event from a list is delivered."""

from __future__ import annotations

from typing import Any

from pykarmada.kube.informer import Informer


def obj(name: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"namespace": "ns", "name": name, "resourceVersion": rv}}


def test_list_adds_are_flagged_changes_deletions_and_watch_events_are_not() -> None:
    informer = Informer(None, "/api/v1/configmaps")  # type: ignore[arg-type]  # no I/O: the client is not used
    seen: list[tuple[str, str, bool]] = []
    informer.add_handler(lambda kind, o, _old: seen.append((kind, o["metadata"]["name"], informer.in_initial_list)))
    informer._replace([obj("a", "1"), obj("b", "1")])
    informer._replace([obj("a", "2"), obj("c", "1")])  # a relist after 410: a changed, b gone, c new
    informer._notify("ADDED", obj("d", "1"), None)  # as the watch delivers
    assert seen == [
        ("ADDED", "a", True),
        ("ADDED", "b", True),
        ("DELETED", "b", False),
        ("MODIFIED", "a", False),
        ("ADDED", "c", True),
        ("ADDED", "d", False),
    ]
    assert informer.in_initial_list is False


def test_a_handler_added_late_gets_the_store_as_a_list() -> None:
    informer = Informer(None, "/api/v1/configmaps")  # type: ignore[arg-type]
    informer._replace([obj("a", "1")])
    seen: list[bool] = []

    def failing(_kind: str, _o: dict[str, Any], _old: dict[str, Any] | None) -> None:
        seen.append(informer.in_initial_list)
        raise RuntimeError("boom")

    try:
        informer.add_handler(failing)
    except RuntimeError:
        pass
    assert seen == [True] and informer.in_initial_list is False
