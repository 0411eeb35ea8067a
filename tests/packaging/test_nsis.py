"""The Windows installer script compiles (makensis exists on Debian), warnings treated as errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("makensis") is None, reason="makensis not installed (apt-get install nsis)"
)
def test_installer_script_compiles(tmp_path):
    bundle = tmp_path / "textdesk"
    (bundle / "_internal" / "resources").mkdir(parents=True)
    (bundle / "textdesk.exe").write_bytes(b"MZ placeholder for the compile check")
    shutil.copy(ROOT / "resources" / "textdesk.ico", bundle / "_internal" / "resources")
    out = tmp_path / "TextDesk-9.9.9-setup.exe"  # a bare "setup.exe" draws NSIS warning 9000
    proc = subprocess.run(
        [
            "makensis",
            "-V2",
            "-WX",
            "-DVERSION=9.9.9",
            f"-DDIST_DIR={bundle}",
            f"-DOUT_FILE={out}",
            str(ROOT / "packaging" / "textdesk.nsi"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.stat().st_size > 50_000
    assert out.read_bytes()[:2] == b"MZ"


def test_uninstaller_keeps_data_unless_asked():
    script = (ROOT / "packaging" / "textdesk.nsi").read_text()
    # The data-deleting section exists and is unticked (/o) by default.
    assert 'Section /o "un.Also delete all messages' in script
    assert 'RMDir /r "$LOCALAPPDATA\\${APP}"' in script
