"""The distribution as users install it: one `pykarmada` namespace assembled from the top-level
component folders (pyproject's package-dir), and nothing else claimed in site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
QUIET_BACKEND = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation"}


def _package_folders() -> dict[str, Path]:
    """Every folder with an ``__init__.py`` below a mapped root, by its dotted package name (the
    mapped roots sit side by side, none inside another)."""
    found: dict[str, Path] = {}
    for name, folder in SETUPTOOLS["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            found[".".join((name, *init.parent.relative_to(base).parts))] = init.parent
    return found


def _modules() -> list[str]:
    names = []
    for package, folder in _package_folders().items():
        for source in sorted(folder.glob("*.py")):
            names.append(package if source.stem == "__init__" else f"{package}.{source.stem}")
    return sorted(names)


def test_pyproject_lists_every_package_folder() -> None:
    assert sorted(SETUPTOOLS["packages"]) == sorted(_package_folders())


def test_components_map_into_the_one_namespace() -> None:
    assert all(name == "pykarmada" or name.startswith("pykarmada.") for name in SETUPTOOLS["package-dir"])
    for component in ("aggregator", "webhooks", "controllers", "certs", "agent", "estimator", "descheduler"):
        assert SETUPTOOLS["package-dir"][f"pykarmada.{component}"] == component


def test_built_wheel_installs_and_imports_every_module(tmp_path: Path) -> None:
    source = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        check=True,
        env=QUIET_BACKEND,
    )
    (wheel,) = dist.glob("pykarmada-*.whl")
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"pykarmada"}
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)], check=True)

    # -S: no site hooks, so the checkout's editable finder cannot answer; dependencies come from
    # this interpreter's site-packages after the wheel's target directory.
    modules = _modules()
    probe = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{str(site)!r}, {sysconfig.get_paths()['purelib']!r}]\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        f"    assert module.__file__.startswith({str(site)!r}), (name, module.__file__)\n"
        "print(len(sys.modules))\n"
    )
    subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, check=True)
    for script in ("karmadactl", "kubectl-karmada"):
        assert (site / "bin" / script).exists()
    help_text = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = [{str(site)!r}, {sysconfig.get_paths()['purelib']!r}]; sys.argv = ['karmadactl', '--help']; import runpy; runpy.run_module('pykarmada.karmadactl', run_name='__main__')"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert "join" in help_text.stdout, help_text.stderr
