"""``require_files``: a file flag that names nothing on disk is a usage error naming the flag."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pykarmada.kube.flags import require_files


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="x")
    p.add_argument("--cert-file", default="")
    p.add_argument("--ca-file")
    return p


def test_set_flags_must_name_files_and_unset_ones_are_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    present = tmp_path / "tls.crt"
    present.write_text("x")
    p = parser()
    require_files(p, p.parse_args([]), "cert_file", "ca_file")
    require_files(p, p.parse_args([f"--cert-file={present}"]), "cert_file", "ca_file")
    with pytest.raises(SystemExit):
        require_files(p, p.parse_args([f"--cert-file={present}", f"--ca-file={tmp_path / 'ca.crt'}"]), "cert_file", "ca_file")
    assert f"--ca-file: no such file: {tmp_path / 'ca.crt'}" in capsys.readouterr().err
