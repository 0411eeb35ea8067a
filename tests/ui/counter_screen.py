"""A shop counter's 1366x768 screen for the window probes (tests/ui/*_probe.py): each runs the
real window in a process of its own, since the screen and the text scale are fixed when Qt
starts, and prints what staff would see as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCREEN = {
    "screens": [
        {
            "name": "counter",
            "x": 0,
            "y": 0,
            "width": 1366,
            "height": 768,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        }
    ]
}


def run_probe(module: str, tmp_path: Path, profile: Path, scale: float) -> dict[str, Any]:
    """``python -m module PROFILE SCALE`` on the offscreen 1366x768 screen; its JSON."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps(SCREEN))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run(
        [sys.executable, "-m", module, str(profile), str(scale)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found
