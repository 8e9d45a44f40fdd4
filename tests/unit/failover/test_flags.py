"""Cluster failover flags of the controller process and the webhook, and what local-up passes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pykarmada.controllers.__main__ import parse_args
from pykarmada.karmada.features import FAILOVER, GRACEFUL_EVICTION
from pykarmada.localup.controllers import FAILOVER_GATES, process_spec
from pykarmada.webhooks.__main__ import parse_args as webhook_args


def test_upstream_defaults() -> None:
    o = parse_args(["--kubeconfig=k"])
    assert (o.enable_taint_manager, o.enable_no_execute_taint_eviction, o.no_execute_taint_eviction_purge_mode) == (True, False, "Gracefully")
    assert (o.resource_eviction_rate, o.graceful_eviction_timeout) == (0.5, 600.0)
    assert not o.feature_gates.enabled(FAILOVER) and o.feature_gates.enabled(GRACEFUL_EVICTION)


def test_flags_as_go_booleans_and_durations() -> None:
    o = parse_args(["--kubeconfig=k", "--enable-no-execute-taint-eviction", "--enable-taint-manager=false",
                    "--no-execute-taint-eviction-purge-mode=Directly", "--graceful-eviction-timeout=2m", "--resource-eviction-rate=0"])  # fmt: skip
    assert (o.enable_no_execute_taint_eviction, o.enable_taint_manager, o.no_execute_taint_eviction_purge_mode) == (True, False, "Directly")
    assert (o.graceful_eviction_timeout, o.resource_eviction_rate) == (120.0, 0.0)


@pytest.mark.parametrize(
    "argv",
    [["--enable-no-execute-taint-eviction", "--no-execute-taint-eviction-purge-mode=Never"], ["--resource-eviction-rate=-1"]],
)
def test_bad_flags_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--kubeconfig=k", *argv])
    assert "--" in capsys.readouterr().err


def test_webhook_allow_no_execute_flag(tmp_path: Path) -> None:
    cert = tmp_path / "c"
    cert.write_text("x")
    base = [f"--tls-cert-file={cert}", f"--tls-private-key-file={cert}"]
    assert webhook_args(base).allow_no_execute_taint_policy is False
    assert webhook_args([*base, "--allow-no-execute-taint-policy"]).allow_no_execute_taint_policy is True


def _ctx(tmp_path: Path, upstream_defaults: bool) -> SimpleNamespace:
    plan = SimpleNamespace(ports={"karmada-controller-manager/metrics": 1, "karmada-controller-manager/health": 2}, kubeconfig=lambda layout, name: "k")
    layout = SimpleNamespace(log_file=lambda name: tmp_path / "log")
    return SimpleNamespace(control_plane=plan, layout=layout, upstream_defaults=upstream_defaults, estimator_pki=None)


def test_local_up_turns_failover_on_unless_upstream_defaults(tmp_path: Path) -> None:
    on = process_spec(_ctx(tmp_path, False)).argv  # type: ignore[arg-type]
    assert "--feature-gates=Failover=true,GracefulEviction=true,PropagationPolicyPreemption=true,StatefulFailoverInjection=true" in on and "--enable-no-execute-taint-eviction=true" in on
    o = parse_args([a for a in on[3:]])
    assert o.feature_gates.enabled(FAILOVER) and o.enable_no_execute_taint_eviction
    off = process_spec(_ctx(tmp_path, True)).argv  # type: ignore[arg-type]
    assert not any(a.startswith(("--feature-gates", "--enable-no-execute")) for a in off)


def test_local_up_gives_the_controller_process_one_feature_gates_flag(tmp_path: Path) -> None:
    from pykarmada.localup import estimators

    ctx = _ctx(tmp_path, False)
    ctx.estimator_pki = SimpleNamespace(ca="ca", client=SimpleNamespace(cert="c", key="k"))
    argv = process_spec(ctx).argv  # type: ignore[arg-type]
    gates = [a for a in argv if a.startswith("--feature-gates=")]
    assert gates == [f"--feature-gates={FAILOVER_GATES},{estimators.FEATURE_GATES}"]
