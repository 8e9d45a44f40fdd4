"""The multi-cluster resourceVersion and continue token, as upstream encodes them."""

from __future__ import annotations

import base64
import json

import pytest

from pykarmada.aggregator.search.encoding import MultiClusterContinue, MultiClusterResourceVersion, encode_versions
from pykarmada.kube.status import StatusError


def _raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_mrv_is_sorted_compact_json_base64url_without_padding() -> None:
    text = encode_versions({"m2": "877", "m1": "1052"})
    assert "=" not in text
    assert _raw(text) == b'{"m1":"1052","m2":"877"}'


def test_mrv_round_trip_and_missing_cluster_is_empty() -> None:
    mrv = MultiClusterResourceVersion.decode(encode_versions({"m1": "5"}))
    assert mrv.get("m1") == "5"
    assert mrv.get("m9") == ""
    mrv.set("m2", "7")
    assert MultiClusterResourceVersion.decode(mrv.encode()).versions == {"m1": "5", "m2": "7"}


@pytest.mark.parametrize("text", ["0", ""])
def test_zero_and_empty_stay_as_they_are(text: str) -> None:
    mrv = MultiClusterResourceVersion.decode(text)
    assert mrv.encode() == text
    assert mrv.get("any") == text


@pytest.mark.parametrize("text", ["%%%", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1,2]").decode(), "12345"])
def test_undecodable_mrv_is_an_empty_map(text: str) -> None:
    assert MultiClusterResourceVersion.decode(text).versions == {}


def test_continue_leaves_out_empty_fields() -> None:
    assert json.loads(_raw(MultiClusterContinue("rv1").encode())) == {"rv": "rv1"}
    token = MultiClusterContinue("rv1", "m2", "default/p1").encode()
    assert "=" not in token
    assert json.loads(_raw(token)) == {"rv": "rv1", "cluster": "m2", "continue": "default/p1"}
    assert MultiClusterContinue.decode(token) == MultiClusterContinue("rv1", "m2", "default/p1")


@pytest.mark.parametrize("token", ["not-base64!", base64.urlsafe_b64encode(b"[]").decode(), base64.urlsafe_b64encode(b'{"cluster": 3}').decode()])
def test_bad_continue_is_400(token: str) -> None:
    with pytest.raises(StatusError) as e:
        MultiClusterContinue.decode(token)
    assert e.value.code == 400
