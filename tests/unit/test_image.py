"""The image recipe agrees with the project: its entry points exist and its lock covers pyproject.
(No container runtime is assumed here; this reads Containerfile and requirements.lock.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pykarmada.karmadactl.cmdinit import render

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTAINERFILE = (ROOT / "Containerfile").read_text()


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    entries = re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$", text, re.MULTILINE)
    assert len(entries) == len(re.findall(r"^[a-z0-9]", text, re.MULTILINE)), "every lock line pins a version with a hash"
    return {name.replace("_", "-"): version for name, version in entries}


def test_lock_pins_every_dependency_and_the_build_backend() -> None:
    locked = _locked()
    for requirement in PYPROJECT["project"]["dependencies"] + PYPROJECT["build-system"]["requires"]:
        assert _name(requirement) in locked, f"{requirement} is not in requirements.lock (python hack/lock.py)"


def test_image_runs_every_entry_point_that_exists() -> None:
    modules = set(re.findall(r"python -m (pykarmada[\w.]*)", CONTAINERFILE))
    package_dirs = PYPROJECT["tool"]["setuptools"]["package-dir"]
    for module in modules:
        folder = package_dirs.get(module, module.replace(".", "/"))
        assert (ROOT / folder / "__main__.py").is_file(), f"{module} has no __main__.py"
    # Every `python -m` command of the manifests is one the image checks.
    for command in render.in_cluster_commands().values():
        if command[:2] == ["python", "-m"]:
            assert command[2] in modules
    for script in PYPROJECT["project"]["scripts"]:
        assert re.search(rf"&& {re.escape(script)} --help", CONTAINERFILE), f"console script {script} is not checked in the image"


def test_image_installs_from_the_lock_with_hashes_and_copies_every_package_folder() -> None:
    assert "--require-hashes" in CONTAINERFILE and "-r requirements.lock" in CONTAINERFILE
    assert re.search(r"^FROM \S*python:3\.12-slim", CONTAINERFILE, re.MULTILINE)
    for folder in set(PYPROJECT["tool"]["setuptools"]["package-dir"].values()):
        assert f"COPY {folder} ./{folder}" in CONTAINERFILE
    assert "COPY manifests ./manifests" in CONTAINERFILE and "PYKARMADA_MANIFESTS=/opt/pykarmada/manifests" in CONTAINERFILE
