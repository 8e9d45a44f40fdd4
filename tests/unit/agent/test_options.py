"""karmada-agent's flags: upstream's names and defaults, and refusals that name the flag."""

from __future__ import annotations

import pytest

from pykarmada.agent.options import AgentOptions, go_duration, lease_renew_interval, parse_args


def test_defaults_are_upstreams() -> None:
    o = parse_args(["--cluster-name", "member3"])
    assert o.cluster_namespace == "karmada-cluster"
    assert o.report_secrets == ("KubeCredentials", "KubeImpersonator")
    assert o.controllers == ("*",)
    assert (o.cluster_status_update_frequency, o.cluster_lease_duration, o.cluster_lease_renew_interval_fraction) == (10.0, 40.0, 0.25)
    assert (o.cluster_success_threshold, o.cluster_failure_threshold, o.cluster_cache_sync_timeout) == (30.0, 30.0, 120.0)
    assert (o.concurrent_work_syncs, o.concurrent_cluster_syncs) == (5, 5)
    assert o.enable_cluster_resource_modeling and o.leader_elect
    assert (o.cert_rotation_checking_interval, o.cert_rotation_remaining_time_threshold) == (300.0, 0.2)
    assert (o.karmada_kubeconfig_namespace, o.leader_elect_resource_namespace) == ("karmada-system", "karmada-system")
    assert (str(o.metrics_bind_address), str(o.health_probe_bind_address)) == ("0.0.0.0:8080", "0.0.0.0:10357")


def test_the_command_line_register_writes_parses() -> None:
    o = parse_args([
        "--karmada-kubeconfig=/etc/kubeconfig/karmada-kubeconfig", "--cluster-name=member3", "--cluster-api-endpoint=https://10.0.0.3:6443",
        "--cluster-provider=kwok", "--cluster-region=us-east-1", "--cluster-zones=z1,z2", "--controllers=*,certRotation",
        "--proxy-server-address=", "--leader-elect-resource-namespace=karmada-system", "--cluster-namespace=karmada-cluster",
        "--cluster-status-update-frequency=10s", "--metrics-bind-address=:8080", "--health-probe-bind-address=0.0.0.0:10357", "--v=2",
    ])
    assert o.cluster_zones == ("z1", "z2") and o.cluster_api_endpoint == "https://10.0.0.3:6443"
    assert o.enabled("certRotation") and o.enabled("execution") and o.verbosity == 2


@pytest.mark.parametrize(
    ("controllers", "on"),
    [
        ("*", {"clusterStatus", "execution", "workStatus", "serviceExport", "endpointsliceCollect"}),
        ("*,-execution", {"clusterStatus", "workStatus", "serviceExport", "endpointsliceCollect"}),
        ("clusterStatus", {"clusterStatus"}),
        ("*,certRotation", {"clusterStatus", "execution", "workStatus", "serviceExport", "endpointsliceCollect", "certRotation"}),
    ],
)
def test_controller_selection_keeps_cert_rotation_off_unless_named(controllers: str, on: set[str]) -> None:
    o = parse_args(["--cluster-name=m", f"--controllers={controllers}"])
    assert {n for n in ("clusterStatus", "execution", "workStatus", "serviceExport", "endpointsliceCollect", "certRotation") if o.enabled(n)} == on


def test_string_slices_split_and_repeat() -> None:
    o = parse_args(["--cluster-name=m", "--report-secrets=KubeCredentials", "--report-secrets", "KubeImpersonator", "--cluster-zones=a", "--cluster-zones=b,c"])
    assert o.report_secrets == ("KubeCredentials", "KubeImpersonator") and o.cluster_zones == ("a", "b", "c")
    none = parse_args(["--cluster-name=m", "--report-secrets=None"])
    assert not none.report_credentials and not none.report_impersonator


def test_bool_flags_take_go_spellings() -> None:
    assert not parse_args(["--cluster-name=m", "--leader-elect=false"]).leader_elect
    assert parse_args(["--cluster-name=m", "--leader-elect"]).leader_elect
    assert not parse_args(["--cluster-name=m", "--enable-cluster-resource-modeling=0"]).enable_cluster_resource_modeling


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10), ("1m30s", 90), ("500ms", 0.5), ("2m", 120), ("1h", 3600), ("0", 0), ("-1s", -1), ("1.5s", 1.5)])
def test_go_durations(text: str, seconds: float) -> None:
    assert go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--cluster-name: Required value"),
        (["--cluster-name=Member_3"], "--cluster-name: Invalid value"),
        (["--cluster-name=m", "--cluster-lease-renew-interval-fraction=1"], "--cluster-lease-renew-interval-fraction: must be greater than 0 and less than 1"),
        (["--cluster-name=m", "--cluster-lease-renew-interval-fraction=0"], "greater than 0 and less than 1"),
        (["--cluster-name=m", "--cluster-lease-duration=-1s"], "--cluster-lease-duration: must be greater than or equal to 0"),
        (["--cluster-name=m", "--cluster-status-update-frequency=-5s"], "--cluster-status-update-frequency: must be greater than or equal to 0"),
        (["--cluster-name=m", "--report-secrets=Token"], "--report-secrets: unknown value(s) Token"),
        (["--cluster-name=m", "--controllers=*,-bogus"], "--controllers: unknown controller(s) -bogus"),
        (["--cluster-name=m", "--cluster-lease-duration=forty"], "invalid duration 'forty'"),
        (["--cluster-name=m", "--metrics-bind-address=8080"], "--metrics-bind-address"),
        (["--cluster-name=m", "--feature-gates=Nope=true"], "--feature-gates"),
    ],
)
def test_bad_flags_are_usage_errors_naming_the_flag(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_every_problem_is_reported_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--cluster-name=BAD", "--cluster-lease-renew-interval-fraction=2", "--report-secrets=x"])
    err = capsys.readouterr().err
    assert "--cluster-name" in err and "--cluster-lease-renew-interval-fraction" in err and "--report-secrets" in err


def test_lease_renews_every_duration_times_fraction() -> None:
    assert lease_renew_interval(40.0, 0.25) == 10.0
    assert AgentOptions(cluster_name="m", cluster_lease_duration=8.0, cluster_lease_renew_interval_fraction=0.5).lease_renew_interval == 4.0
