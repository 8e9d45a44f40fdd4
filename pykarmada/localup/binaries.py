"""Builds and caches the outside binaries: kube-apiserver, kube-controller-manager,
kube-scheduler and kubectl (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3) and kwok.

No registry ships them, so they are built with the machine's Go toolchain from their Go modules
through the module proxy. The cache lives outside the repository, one directory per version
(``<cache>/bin/kubernetes-v1.34.4/``), and a build is skipped when its directory is complete.
Builds write into a temporary directory and rename it into place, so an interrupted build never
leaves a half-filled cache entry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pykarmada.localup import versions

Log = Callable[[str], None]


class BuildError(Exception):
    """A binary is missing and cannot be built here; the message says what to do."""


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kubectl: Path
    etcd: Path
    kwok: Path


def cache_root() -> Path:
    """``$PYKARMADA_CACHE_DIR``, else ``$XDG_CACHE_HOME/pykarmada``, else ``~/.cache/pykarmada``."""
    if os.environ.get("PYKARMADA_CACHE_DIR"):
        return Path(os.environ["PYKARMADA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "pykarmada"


def _dirs(cache: Path) -> dict[str, Path]:
    return {
        "kubernetes": cache / "bin" / f"kubernetes-{versions.KUBERNETES}",
        "etcd": cache / "bin" / f"etcd-{versions.ETCD}",
        "kwok": cache / "bin" / f"kwok-{versions.KWOK}",
    }


def cached_binaries(cache: Path | None = None) -> Binaries | None:
    """The cached binaries, or None when any is missing."""
    d = _dirs(cache or cache_root())
    found = Binaries(
        kube_apiserver=d["kubernetes"] / "kube-apiserver",
        kube_controller_manager=d["kubernetes"] / "kube-controller-manager",
        kube_scheduler=d["kubernetes"] / "kube-scheduler",
        kubectl=d["kubernetes"] / "kubectl",
        etcd=d["etcd"] / "etcd",
        kwok=d["kwok"] / "kwok",
    )
    if all(os.access(p, os.X_OK) for p in vars(found).values()):
        return found
    return None


def ensure_binaries(cache: Path | None = None, *, log: Log = print) -> Binaries:
    """Return the binaries, building whichever are missing. Raises BuildError with the reason."""
    cache = cache or cache_root()
    d = _dirs(cache)
    missing = [name for name, path in d.items() if not path.is_dir()]
    if missing:
        _check_go()
        started = time.monotonic()
        for name in missing:
            log(f"building {name} (first run only; cached in {d[name]})")
            t0 = time.monotonic()
            {"kubernetes": _build_kubernetes, "etcd": _build_etcd, "kwok": _build_kwok}[name](cache, d[name], log)
            log(f"built {name} in {time.monotonic() - t0:.0f}s")
        log(f"binaries built in {time.monotonic() - started:.0f}s")
    found = cached_binaries(cache)
    if found is None:
        raise BuildError(f"binary cache {cache / 'bin'} is incomplete; remove it and run again")
    return found


def _go_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Never fetch a different toolchain (there is no download host for it), build static binaries.
    env.update(GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="-mod=mod")
    env.pop("GOWORK", None)
    return env


def _run(args: list[str], cwd: Path, log_file: Path, env: dict[str, str] | None = None) -> str:
    with open(log_file, "a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(args, cwd=cwd, env=env or _go_env(cwd), stdout=subprocess.PIPE, stderr=out, text=True)
        out.write(proc.stdout)
    if proc.returncode != 0:
        tail = "".join(log_file.read_text().splitlines(keepends=True)[-25:])
        raise BuildError(f"`{' '.join(args[:3])} ...` failed (exit {proc.returncode}); log {log_file}:\n{tail}")
    return proc.stdout


def _check_go() -> None:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "the Go toolchain is needed to build kube-apiserver, etcd and kwok on first use, and `go` is "
            f"not on PATH; install Go >= {versions.GO_MINIMUM[0]}.{versions.GO_MINIMUM[1]}"
        )
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"go(\d+)\.(\d+)", out)
    if not m or (int(m[1]), int(m[2])) < versions.GO_MINIMUM:
        raise BuildError(f"Go {out or '(unknown)'} is too old; the pinned modules need Go >= {versions.GO_MINIMUM[0]}.{versions.GO_MINIMUM[1]}")


def _workdir(cache: Path, name: str) -> tuple[Path, Path]:
    work = cache / "build" / name
    work.mkdir(parents=True, exist_ok=True)
    log_file = work / "build.log"
    return work, log_file


def _install(tmp: Path, final: Path) -> None:
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)


def _kubernetes_staging_modules(work: Path, log_file: Path) -> list[str]:
    """k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with local directories; a
    module that depends on it must pin each of them to the matching v0.x release instead."""
    info = json.loads(_run(["go", "mod", "download", "-json", f"k8s.io/kubernetes@{versions.KUBERNETES}"], work, log_file))
    if info.get("Error"):
        raise BuildError(f"module proxy: k8s.io/kubernetes@{versions.KUBERNETES}: {info['Error']}")
    return staging_modules_of(Path(info["GoMod"]).read_text())


def staging_modules_of(gomod: str) -> list[str]:
    """The modules a go.mod replaces with directories under ``./staging/``."""
    return sorted(set(re.findall(r"^\s*(k8s\.io/[\w.-]+)\s*=>\s*\./staging/", gomod, re.M)))


def render_wrapper_gomod(tools: list[str], requires: dict[str, str], replaces: dict[str, str] | None = None) -> str:
    """go.mod of a throw-away module whose only job is to pin ``requires`` and build ``tools``."""
    lines = ["module pykarmada.local/buildwrapper", "", "go 1.24.0", ""]
    lines += [f"tool {t}" for t in tools]
    lines += [""] + [f"require {m} {v}" for m, v in requires.items()]
    if replaces:
        lines += ["", "replace ("] + [f"\t{m} => {target}" for m, target in replaces.items()] + [")"]
    return "\n".join(lines) + "\n"


def _wrapper_module(
    work: Path, log_file: Path, tools: list[str], requires: dict[str, str], replaces: dict[str, str] | None = None
) -> None:
    (work / "go.mod").write_text(render_wrapper_gomod(tools, requires, replaces))
    _run(["go", "mod", "tidy"], work, log_file)


def _build_kubernetes(cache: Path, final: Path, log: Log) -> None:
    work, log_file = _workdir(cache, f"kubernetes-{versions.KUBERNETES}")
    pkgs = [f"k8s.io/kubernetes/cmd/{c}" for c in versions.KUBERNETES_COMMANDS]
    staging_version = "v0." + versions.KUBERNETES.removeprefix("v1.")
    replaces = {m: f"{m} {staging_version}" for m in _kubernetes_staging_modules(work, log_file)}
    _wrapper_module(work, log_file, pkgs, {"k8s.io/kubernetes": versions.KUBERNETES}, replaces)
    major, minor = versions.KUBERNETES.removeprefix("v").split(".")[:2]
    stamp = {"gitVersion": versions.KUBERNETES, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"}
    ldflags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        ldflags += [f"-X {pkg}.{k}={v}" for k, v in stamp.items()]
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log(f"  go build {', '.join(versions.KUBERNETES_COMMANDS)} (log: {log_file})")
    _run(["go", "build", "-trimpath", "-ldflags", " ".join(ldflags), "-o", str(tmp) + "/", *pkgs], work, log_file)
    _install(tmp, final)


def _build_etcd(cache: Path, final: Path, log: Log) -> None:
    work, log_file = _workdir(cache, f"etcd-{versions.ETCD}")
    pkg = "go.etcd.io/etcd/server/v3"
    _wrapper_module(work, log_file, [pkg], {pkg: versions.ETCD})
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log(f"  go build etcd (log: {log_file})")
    _run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp / "etcd"), pkg], work, log_file)
    _install(tmp, final)


def _build_kwok(cache: Path, final: Path, log: Log) -> None:
    work, log_file = _workdir(cache, f"kwok-{versions.KWOK}")
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = _go_env(work) | {"GOBIN": str(tmp)}
    log(f"  go install kwok (log: {log_file})")
    _run(["go", "install", "-trimpath", "-ldflags", "-s -w", f"sigs.k8s.io/kwok/cmd/kwok@{versions.KWOK}"], work, log_file, env)
    _install(tmp, final)
