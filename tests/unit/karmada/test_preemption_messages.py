"""PreemptPolicySucceed / PreemptPolicyFailed messages, as upstream words them."""

from __future__ import annotations

from pykarmada.karmada.event_messages import preempt_policy


def test_preemption_event_messages() -> None:
    pp = {"kind": "PropagationPolicy", "metadata": {"namespace": "ns", "name": "high"}}
    low = {"kind": "PropagationPolicy", "metadata": {"namespace": "ns", "name": "low"}}
    cpp = {"kind": "ClusterPropagationPolicy", "metadata": {"name": "all"}}
    assert preempt_policy(pp, low) == "Propagation policy(ns/high) preempted propagation policy(ns/low) successfully"
    assert preempt_policy(pp, cpp, "boom") == "Propagation policy(ns/high) failed to preempt cluster propagation policy(all): boom"
    assert preempt_policy(cpp, {**cpp, "metadata": {"name": "b"}}) == "Cluster propagation policy(all) preempted cluster propagation policy(b) successfully"
