"""``Informer.in_initial_list``: true exactly while an ADDED event from a list is delivered; ``low_priority``: also for objects low-priority work wrote."""

from __future__ import annotations

import asyncio
from typing import Any

from pykarmada.kube.informer import LIST_PAGE_SIZE, Informer, strip_managed_fields
from pykarmada.kube.lineage import LINEAGE, Lineage, reconciling_at
from pykarmada.kube.workqueue import HIGH_PRIORITY, LOW_PRIORITY


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


class PagedClient:
    """Two pages of a list, as the API server sends them with ``limit``; no I/O."""

    def __init__(self) -> None:
        self.params: list[dict[str, Any]] = []

    async def list_pages(self, _path: str, **params: Any) -> Any:
        self.params.append(params)
        yield {"metadata": {"resourceVersion": "7", "continue": "c"}, "items": [{**obj("a", "1"), "data": {"big": "x" * 1000}}]}
        yield {"metadata": {"resourceVersion": "7"}, "items": [{**obj("b", "2"), "data": {}}]}


def test_a_transformed_informer_lists_in_pages_and_keeps_only_what_the_transform_keeps() -> None:
    client = PagedClient()
    informer = Informer(client, "/api/v1/configmaps", transform=lambda o: {"metadata": o["metadata"]}, labelSelector="x")  # type: ignore[arg-type]
    items, resource_version = asyncio.run(informer._list())
    assert items == [obj("a", "1"), obj("b", "2")] and resource_version == "7"
    assert client.params == [{"limit": LIST_PAGE_SIZE, "labelSelector": "x"}]


def test_events_about_objects_written_by_low_priority_work_are_low_priority() -> None:
    informer = Informer(None, "/apis/work.karmada.io/v1alpha2/resourcebindings")  # type: ignore[arg-type]
    seen: list[tuple[str, bool]] = []
    informer.add_handler(lambda _kind, o, _old: seen.append((o["metadata"]["name"], informer.low_priority)))
    backlog, live = obj("backlog", "1"), obj("live", "1")
    backlog["metadata"]["uid"], live["metadata"]["uid"] = "u-backlog", "u-live"
    with reconciling_at(LOW_PRIORITY):
        LINEAGE.wrote(backlog)  # as the client notes a response
    with reconciling_at(HIGH_PRIORITY):
        LINEAGE.wrote(live)
    informer._notify("ADDED", backlog, None)
    informer._notify("ADDED", live, None)
    with reconciling_at(HIGH_PRIORITY):
        LINEAGE.wrote(backlog)  # a live edit of it lifts it
    informer._notify("MODIFIED", backlog, backlog)
    assert seen == [("backlog", True), ("live", False), ("backlog", False)]
    assert informer.low_priority is False


def test_lineage_is_bounded() -> None:
    lineage = Lineage(size=2)
    with reconciling_at(LOW_PRIORITY):
        for uid in ("a", "b", "c"):
            lineage.wrote({"metadata": {"uid": uid}})
    assert [lineage.is_low({"metadata": {"uid": u}}) for u in ("a", "b", "c")] == [False, True, True]
    assert not lineage.is_low({"metadata": {}}) and not lineage.is_low({})


def test_strip_managed_fields_keeps_everything_else() -> None:
    o = {**obj("a", "1"), "spec": {"x": 1}}
    o["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    assert strip_managed_fields(o) == {**obj("a", "1"), "spec": {"x": 1}}
    assert strip_managed_fields({"kind": "X"}) == {"kind": "X"}


def test_an_index_follows_the_store_through_lists_changes_and_deletions() -> None:
    informer = Informer(None, "/api/v1/configmaps")  # type: ignore[arg-type]
    informer._replace([{**obj("a", "1"), "data": {"k": "x"}}])

    def by_value(o: dict[str, Any]) -> list[str]:
        return list((o.get("data") or {}).values())

    informer.add_index("values", by_value)  # added late: indexes what is stored already
    seen: list[list[str]] = []
    informer.add_handler(lambda _kind, _o, _old: seen.append([o["metadata"]["name"] for o in informer.by_index("values", "y")]))
    assert informer.index_keys("values", "x") == [("ns", "a")]
    informer._replace([{**obj("a", "2"), "data": {"k": "y"}}, {**obj("b", "1"), "data": {"k": "y", "j": "x"}}])
    assert informer.index_keys("values", "x") == [("ns", "b")] and informer.index_keys("values", "y") == [("ns", "a"), ("ns", "b")]
    assert seen[-2:] == [["a"], ["a", "b"]]  # a handler reads the index as the store is
    informer._replace([])
    assert informer.by_index("values", "y") == [] and informer._indices == {"values": {}}
    informer.add_index("values", by_value)  # the same index again: a no-op
    try:
        informer.add_index("values", lambda o: [])
    except ValueError as e:
        assert "values" in str(e)
    else:
        raise AssertionError("a second function under one index name must be refused")
