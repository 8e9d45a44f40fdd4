import pytest

from pykarmada.karmada import features
from pykarmada.karmada.features import FeatureGateError, FeatureGates


def test_defaults_are_upstreams() -> None:
    gates = FeatureGates()
    assert not gates.enabled(features.FAILOVER)
    assert gates.enabled(features.GRACEFUL_EVICTION)
    assert not gates.enabled(features.POLICY_PREEMPTION)


def test_parse_overrides_and_round_trip() -> None:
    gates = FeatureGates.parse("Failover=true, GracefulEviction=False")
    assert gates.enabled(features.FAILOVER) and not gates.enabled(features.GRACEFUL_EVICTION)
    assert FeatureGates.parse(gates.flag()) == gates


@pytest.mark.parametrize(("value", "message"), [
    ("Nope=true", "unrecognized feature gate: Nope"),
    ("Failover", "missing bool value for Failover"),
    ("Failover=yes", "invalid value of Failover=yes"),
])
def test_bad_values_name_the_gate(value: str, message: str) -> None:
    with pytest.raises(FeatureGateError, match=message):
        FeatureGates.parse(value)
