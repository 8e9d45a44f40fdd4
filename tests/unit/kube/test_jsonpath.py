import pytest

from pykarmada.kube.jsonpath import JSONPathError, render

LIST = {"kind": "List", "items": [{"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "x"}}, "spec": {"replicas": 2}},
                                  {"metadata": {"name": "b", "labels": {}}, "spec": {"replicas": 3}}]}


def test_fields_wildcards_and_indexes() -> None:
    assert render("{.items[*].metadata.name}", LIST) == "a b"
    assert render("{.items[0].spec.replicas}", LIST) == "2"
    assert render("{.items[-1].metadata.name}", LIST) == "b"
    assert render("{.items[0].metadata.labels['app.kubernetes.io/name']}", LIST) == "x"
    assert render("name={.items[1].metadata.name}!", LIST) == "name=b!"


def test_range_with_literals() -> None:
    assert render('{range .items[*]}{.metadata.name}{"\\t"}{.spec.replicas}{"\\n"}{end}', LIST) == "a\t2\nb\t3\n"


def test_errors_name_the_problem() -> None:
    with pytest.raises(JSONPathError, match="nope is not found"):
        render("{.items[0].nope}", LIST)
    with pytest.raises(JSONPathError, match="range without end"):
        render("{range .items[*]}{.metadata.name}", LIST)
    with pytest.raises(JSONPathError, match="index out of bounds"):
        render("{.items[5]}", LIST)
