"""Builds the PyInstaller bundle and the .deb once per test session (several minutes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Run packaging/build.py; return (bundle executable, deb path, tar.gz path, build output)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    dist = ROOT / "dist"
    exe = dist / "textdesk" / "textdesk"
    debs = sorted(dist.glob("textdesk_*_amd64.deb"))
    tars = sorted(dist.glob("textdesk-*-linux-x86_64.tar.gz"))
    assert exe.exists() and debs and tars, proc.stdout
    print(proc.stdout)
    return exe, debs[-1], tars[-1], proc.stdout
