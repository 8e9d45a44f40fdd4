"""The cluster Lease body and the backoff between failed renewals."""

from __future__ import annotations

import datetime

from pykarmada.agent.lease import micro_time, next_retry, renewed_lease

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
CLUSTER = {"metadata": {"name": "member3", "uid": "u-3"}}


def test_a_new_lease_is_held_by_the_cluster_and_owned_by_it() -> None:
    lease = renewed_lease(None, CLUSTER, 40.0, NOW)
    assert lease["metadata"] == {
        "name": "member3",
        "namespace": "karmada-cluster",
        "ownerReferences": [{"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": "member3", "uid": "u-3"}],
    }
    assert lease["spec"] == {"holderIdentity": "member3", "leaseDurationSeconds": 40, "renewTime": "2026-01-02T03:04:05.678901Z"}


def test_renewing_keeps_the_object_and_its_owner() -> None:
    owner = [{"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "name": "member3", "uid": "u-3"}]
    old = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "member3", "namespace": "karmada-cluster", "resourceVersion": "7", "ownerReferences": owner}, "spec": {"holderIdentity": "member3", "renewTime": "x"}}
    lease = renewed_lease(old, CLUSTER, 40.0, NOW)
    assert lease["metadata"]["resourceVersion"] == "7" and lease["metadata"]["ownerReferences"] == owner
    assert lease["spec"]["renewTime"] == micro_time(NOW) and old["spec"]["renewTime"] == "x"


def test_a_lease_left_by_an_earlier_cluster_of_that_name_gets_the_current_owner() -> None:
    old = {"metadata": {"name": "member3", "namespace": "karmada-cluster", "ownerReferences": [{"uid": "gone"}]}, "spec": {}}
    assert [o["uid"] for o in renewed_lease(old, CLUSTER, 40.0, NOW)["metadata"]["ownerReferences"]] == ["u-3"]


def test_retries_back_off_from_200ms_to_7s() -> None:
    delays, d = [], None
    for _ in range(8):
        d = next_retry(d)
        delays.append(d)
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 7.0, 7.0]
