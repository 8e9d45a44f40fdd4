from typing import Any

from pykarmada.controllers.cluster.health_monitor import Probe, observe, unknown_ready

CREATED = "2026-12-01T12:00:00Z"
T0 = 1796126400.0  # CREATED in seconds since the epoch


def cluster(ready: str | None = None) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": ready, "reason": "ClusterReady", "message": "", "lastTransitionTime": CREATED}] if ready else []
    return {"metadata": {"name": "m3", "creationTimestamp": CREATED}, "spec": {"syncMode": "Pull"}, "status": {"conditions": conditions}}


def lease(renew: str) -> dict[str, Any]:
    return {"spec": {"holderIdentity": "m3", "renewTime": renew}}


def test_never_posted_counts_from_creation_with_the_startup_grace() -> None:
    probe = observe(None, cluster(), None, now=T0 + 30)
    assert probe.at == T0
    assert unknown_ready(cluster(), probe, T0 + 59, grace=40, startup_grace=60) is None
    made = unknown_ready(cluster(), probe, T0 + 61, grace=40, startup_grace=60)
    assert made is not None and (made["status"], made["reason"]) == ("Unknown", "ClusterStatusNeverUpdated")


def test_lease_renewals_keep_a_ready_cluster_ready() -> None:
    c = cluster("True")
    probe = observe(None, c, lease("2026-12-01T12:00:00.000000Z"), now=T0)
    probe = observe(probe, c, lease("2026-12-01T12:00:30.000000Z"), now=T0 + 30)
    assert probe.at == T0 + 30
    assert unknown_ready(c, probe, T0 + 69, grace=40, startup_grace=60) is None


def test_silent_lease_turns_ready_unknown_once() -> None:
    c = cluster("True")
    probe = observe(None, c, lease("2026-12-01T12:00:00.000000Z"), now=T0)
    probe = observe(probe, c, lease("2026-12-01T12:00:00.000000Z"), now=T0 + 41)  # not renewed
    made = unknown_ready(c, probe, T0 + 41, grace=40, startup_grace=60)
    assert made is not None and (made["status"], made["reason"]) == ("Unknown", "ClusterStatusUnknown")
    assert "karmada-cluster/m3 not renewed for 41s" in made["message"]
    assert unknown_ready(cluster("Unknown"), probe, T0 + 50, grace=40, startup_grace=60) is None


def test_a_changed_ready_condition_is_news() -> None:
    probe = Probe(ready=None, renew_time=None, at=T0)
    after = observe(probe, cluster("False"), None, now=T0 + 100)
    assert after.at == T0 + 100
