"""The Cluster spec the agent registers (surfaces.md 5.2), and the duplicate guard (4.9)."""

from __future__ import annotations

from pykarmada.agent.options import AgentOptions
from pykarmada.agent.registration import cluster_spec
from pykarmada.karmada.join import registration_conflict
from pykarmada.kube.config import Connection

MEMBER = Connection(server="https://127.0.0.1:6443")


def test_a_new_cluster_is_pull_with_the_reported_secrets() -> None:
    o = AgentOptions(cluster_name="member3", cluster_api_endpoint="https://10.0.0.3:6443", cluster_provider="kwok", cluster_region="us-east-1", cluster_zones=("z3",))
    assert cluster_spec(None, o, "uid-3", MEMBER) == {
        "syncMode": "Pull",
        "apiEndpoint": "https://10.0.0.3:6443",
        "id": "uid-3",
        "provider": "kwok",
        "region": "us-east-1",
        "zones": ["z3"],
        "secretRef": {"namespace": "karmada-cluster", "name": "member3"},
        "impersonatorSecretRef": {"namespace": "karmada-cluster", "name": "member3-impersonator"},
    }


def test_report_secrets_none_leaves_no_refs_and_empty_values_are_omitted() -> None:
    o = AgentOptions(cluster_name="m", report_secrets=("None",))
    assert cluster_spec(None, o, "id", MEMBER) == {"syncMode": "Pull", "id": "id"}


def test_the_members_proxy_wins_and_insecure_follows_the_member_config() -> None:
    member = Connection(server="https://m:6443", proxy_url="http://proxy:3128", insecure_skip_verify=True)
    spec = cluster_spec(None, AgentOptions(cluster_name="m", proxy_server_address="http://anp:8088", report_secrets=("None",)), "id", member)
    assert spec["proxyURL"] == "http://proxy:3128" and spec["insecureSkipTLSVerification"] is True
    assert cluster_spec(None, AgentOptions(cluster_name="m", proxy_server_address="http://anp:8088"), "id", MEMBER)["proxyURL"] == "http://anp:8088"


def test_an_existing_spec_keeps_what_the_agent_does_not_set() -> None:
    existing = {
        "syncMode": "Pull", "id": "id", "apiEndpoint": "https://old:6443", "proxyURL": "http://old-proxy", "region": "r1",
        "resourceModels": [{"grade": 0}], "taints": [{"key": "k", "effect": "NoSchedule"}],
        "secretRef": {"namespace": "karmada-cluster", "name": "m"}, "impersonatorSecretRef": {"namespace": "karmada-cluster", "name": "m-impersonator"},
    }
    spec = cluster_spec(existing, AgentOptions(cluster_name="m", cluster_api_endpoint="https://new:6443"), "id", MEMBER)
    assert spec["apiEndpoint"] == "https://new:6443" and "proxyURL" not in spec
    assert spec["region"] == "r1" and spec["resourceModels"] == [{"grade": 0}] and spec["taints"] == existing["taints"]
    assert existing["apiEndpoint"] == "https://old:6443"  # not changed in place
    same = cluster_spec(spec, AgentOptions(cluster_name="m", cluster_api_endpoint="https://new:6443"), "id", MEMBER)
    assert same == spec  # a restart with the same flags writes nothing


def _cluster(name: str, cluster_id: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"id": cluster_id}}


def test_duplicate_guard() -> None:
    clusters = [_cluster("member1", "a"), _cluster("member3", "c")]
    assert registration_conflict(clusters, "member3", "c") == (True, True, True)  # re-registering
    assert registration_conflict(clusters, "other", "c") == (True, False, False)  # same member, another name
    assert registration_conflict(clusters, "member1", "z") == (False, True, False)  # name taken
    assert registration_conflict(clusters, "new", "z") == (False, False, False)
