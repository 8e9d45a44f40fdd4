import click
import pytest

from pykarmada.karmadactl.commands.kubectl_verbs import CLUSTER_C, KARMADA_CONTEXT, KUBECONFIG, SCOPE, Invocation, split_args
from pykarmada.karmadactl.commands.kubeconfig import GlobalFlags

FLAGS = [KUBECONFIG, KARMADA_CONTEXT, SCOPE, CLUSTER_C]


@pytest.mark.parametrize("args", [
    ["-s", "members", "-C", "m1", "get", "pods"],
    ["--operation-scope=members", "--cluster=m1", "get", "pods"],
    ["-smembers", "-Cm1", "get", "pods"],
    ["get", "--cluster", "m1", "pods", "--operation-scope", "members"],
])
def test_our_flags_come_off_in_every_spelling(args: list[str]) -> None:
    ours, rest = split_args(args, FLAGS)
    assert ours == {"operation_scope": "members", "cluster": "m1"}
    assert rest == ["get", "pods"]


def test_kubectl_flags_and_everything_after_dashes_stay_in_order() -> None:
    ours, rest = split_args(["nginx", "-c", "web", "-it", "-C", "m1", "--", "sh", "-C", "x"], FLAGS)
    assert ours == {"cluster": "m1"}
    assert rest == ["nginx", "-c", "web", "-it", "--", "sh", "-C", "x"]


def test_a_flag_without_its_value_is_a_usage_error() -> None:
    with pytest.raises(click.UsageError, match="--cluster"):
        split_args(["pods", "--cluster"], FLAGS)


def test_scope_rules() -> None:
    assert Invocation(["exec"], {}, []).member() is None
    assert Invocation(["exec"], {"operation_scope": "members", "cluster": "m1"}, []).member() == "m1"
    with pytest.raises(click.UsageError, match="must specify a member cluster"):
        Invocation(["exec"], {"operation_scope": "members"}, []).member()
    with pytest.raises(click.BadParameter, match="must be one of karmada, members"):
        Invocation(["exec"], {"operation_scope": "all"}, []).member()
    with pytest.raises(click.UsageError, match="must specify a cluster"):
        Invocation(["logs"], {}, [], always_member=True).member()


def test_kubectl_arguments_carry_the_control_plane_and_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KARMADACTL_KUBECTL", "/bin/true")
    inv = Invocation(["describe"], {"kubeconfig": "k.config"}, ["pod", "x"], GlobalFlags(karmada_context="karmada-apiserver", namespace="ns"))
    assert inv.kubectl_args("https://cp/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy") == [
        "/bin/true", "describe", "--kubeconfig=k.config", "--context=karmada-apiserver", "--namespace=ns",
        "--server=https://cp/apis/cluster.karmada.io/v1alpha1/clusters/m1/proxy", "pod", "x",
    ]
    assert "--namespace=ns" not in Invocation(["get"], {}, ["-n", "other"], GlobalFlags(namespace="ns")).kubectl_args(None)


def test_apply_companion_policies() -> None:
    from pykarmada.karmadactl.commands.apply import companion_policy

    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    pp = companion_policy(deploy, "ns1", ["member1"])
    assert pp["kind"] == "PropagationPolicy" and pp["metadata"]["namespace"] == "ns1"
    assert pp["spec"] == {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "ns1"}],
                          "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
    cpp = companion_policy(role, None, [])
    assert cpp["kind"] == "ClusterPropagationPolicy" and "namespace" not in cpp["metadata"]
    assert cpp["spec"]["placement"] == {"clusterAffinity": {}}


def test_generated_policy_name_matches_upstream() -> None:
    from pykarmada.karmada.names import generated_policy_name

    assert generated_policy_name("ns-foo", "foo", "rand") == "foo-b4978784"


def test_completion_decides_between_clusters_kinds_and_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pykarmada.karmadactl.commands import completion

    monkeypatch.setattr(completion, "_lookup", lambda _k, _c, what: {"clusters": ["m1", "m2"], "resources": ["deployments", "pods"]}[what])
    values = lambda items: [i.value for i in items]  # noqa: E731
    assert values(completion.complete(["-C"], "m", takes_type=True)) == ["m1", "m2"]
    assert values(completion.complete([], "de", takes_type=True)) == ["deployments"]
    assert values(completion.complete(["-n", "ns"], "", takes_type=True)) == ["deployments", "pods"]  # a flag value is no positional
    assert values(completion.complete(["deployments"], "", takes_type=True)) == []
    assert values(completion.complete([], "", takes_type=False)) == []


def test_top_formats_as_kubectl() -> None:
    from pykarmada.karmadactl.commands.top import cpu_text, memory_text, table

    assert (cpu_text(0.25), cpu_text(2), memory_text(64 * 1024 * 1024 + 5)) == ("250m", "2000m", "64Mi")
    assert table([["web", "member1", "250m", "64Mi"]], ["NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"], no_headers=False).splitlines() == [
        "NAME   CLUSTER   CPU(cores)   MEMORY(bytes)", "web    member1   250m         64Mi"]
