"""Which pods count as unschedulable replicas of a Deployment."""

from __future__ import annotations

from pykarmada.estimator.member import newest_replicaset, unschedulable_since

DEPLOY = {"metadata": {"namespace": "ns", "uid": "d", "annotations": {"deployment.kubernetes.io/revision": "2"}}}


def rs(uid, revision, owner="d"):
    return {
        "metadata": {
            "namespace": "ns",
            "uid": uid,
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"uid": owner, "controller": True}],
        }
    }


def test_the_replicaset_of_the_current_revision():
    assert newest_replicaset(DEPLOY, [rs("a", "1"), rs("b", "2"), rs("c", "3", owner="x")])["metadata"]["uid"] == "b"
    assert newest_replicaset({"metadata": {"namespace": "ns", "uid": "d"}}, [rs("a", "1"), rs("b", "4")])["metadata"]["uid"] == "b"
    assert newest_replicaset(DEPLOY, [rs("c", "3", owner="x")]) is None


def pod(status, reason, since):
    return {"status": {"conditions": [{"type": "PodScheduled", "status": status, "reason": reason, "lastTransitionTime": since}]}}


def test_unschedulable_longer_than_the_threshold():
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    assert unschedulable_since(pod("False", "Unschedulable", "2027-01-15T07:54:00Z"), 300, now)
    assert not unschedulable_since(pod("False", "Unschedulable", "2027-01-15T07:56:00Z"), 300, now)
    assert not unschedulable_since(pod("False", "SchedulerError", "2027-01-15T07:00:00Z"), 300, now)
    assert not unschedulable_since(pod("True", "", "2027-01-15T07:00:00Z"), 0, now)
    assert not unschedulable_since({"status": {}}, 0, now)
