"""The first minutes of a new user: `make` checks Python before it builds anything and never reuses a
half-built virtualenv. Runs `make` in a scratch copy with a stand-in interpreter (no pip involved)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from infra.offline.harness import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _project(tmp_path: Path, python_script: str) -> Path:
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\n" + python_script)
    fake.chmod(0o755)
    return fake


def _make(tmp_path: Path, fake: Path, target: str = "setup") -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", target, f"PYTHON={fake}"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_an_old_python_is_refused_before_a_virtualenv_exists(tmp_path):
    # Answers --version like Python 3.10 and fails the version check like it would.
    fake = _project(tmp_path, 'case "$1" in --version) echo "Python 3.10.12";; *) exit 1;; esac\n')
    result = _make(tmp_path, fake)
    assert result.returncode != 0
    assert "needs Python 3.11+" in result.stderr and "Python 3.10.12" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_a_half_built_virtualenv_is_removed_not_reused(tmp_path):
    # Passes the version check, then fails to create the venv (as an interrupted first run would).
    fake = _project(tmp_path, 'case "$1" in --version) echo "Python 3.11.9";; -c) exit 0;; *) exit 1;; esac\n')
    leftover = tmp_path / ".venv" / "lib" / "half-installed"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("")
    result = _make(tmp_path, fake)
    assert result.returncode != 0
    assert "Removing the incomplete or outdated .venv" in result.stdout
    assert not leftover.exists()


def test_help_lists_every_target(tmp_path):
    fake = _project(tmp_path, "exit 1\n")
    result = _make(tmp_path, fake, "help")
    assert result.returncode == 0
    for target in ("setup", "plan", "test", "lint", "bench", "clean"):
        assert f"  {target} " in result.stdout
