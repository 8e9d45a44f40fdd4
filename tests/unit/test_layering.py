"""Imports flow one way: components -> domain (`karmada`) -> runtime (`kube`, `certs`), and no
module imports itself back through others. Checked on the source, as kopf's import-linter does."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]

# layer -> the layers it may import (besides itself)
ALLOWED = {
    "pykarmada.kube": set(),
    "pykarmada.certs": set(),
    "pykarmada.karmada": {"pykarmada.kube"},
    "pykarmada.aggregator": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.webhooks": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.controllers": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    # The agent is a second controller process: it runs some of the controllers' reconcilers
    # (cluster status, execution, work status) against its own member, as upstream's agent does.
    "pykarmada.agent": {"pykarmada.controllers", "pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.estimator": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.descheduler": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.localup": {"pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
    "pykarmada.karmadactl": {"pykarmada.localup", "pykarmada.karmada", "pykarmada.kube", "pykarmada.certs"},
}


def _sources() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        base = ROOT / folder
        for path in base.rglob("*.py"):
            parts = path.relative_to(base).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


MODULES = {name: path for name, path in _sources().items() if name != "pykarmada"}  # the namespace's own __init__


def _imports(module: str, path: Path) -> set[str]:
    """Our modules that ``module`` imports, at any depth of its body (TYPE_CHECKING included)."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    found.discard(module)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> str:
    return next((layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")), "")


def test_every_module_belongs_to_a_layer() -> None:
    assert [module for module in MODULES if not _layer(module)] == []


def test_imports_flow_one_way() -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) != _layer(module) and _layer(target) not in ALLOWED[_layer(module)]
    )
    assert wrong == []


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over the module graph; a package's ``__init__``
    importing its own submodules is not a cycle worth reporting, so edges to a parent package
    from its children are left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def edges(module: str) -> set[str]:
        return {target for target in GRAPH[module] if not module.startswith(target + ".")}

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert cycles == []
