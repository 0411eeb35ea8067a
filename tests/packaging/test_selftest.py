"""``textdesk --self-test`` from source, as the bundle runs it: each safety feature is exercised,
and a module the build lacks fails the self-test by name (exit 1) instead of turning a feature off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

from smoke import clean_env  # noqa: E402

from tests.packaging.selftest_lines import SAFETY_LINES  # noqa: E402

# Run the app's own entry point with one of our modules made unimportable, as a bundle that
# PyInstaller built without it would be.
WITHOUT = (
    "import sys; sys.modules[{name!r}] = None; "
    "from ui.app import main; raise SystemExit(main(['--self-test']))"
)


def _run(argv: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    home.mkdir()
    env = clean_env(home)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_self_test_exercises_every_safety_feature(tmp_path: Path) -> None:
    proc = _run(["-m", "ui.app", "--self-test"], tmp_path / "home")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in SAFETY_LINES:
        assert line in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "module",
    [
        "desk.compliance.privacy",
        "desk.compliance.consent",
        "desk.compliance.retention",
        "desk.reminders.scheduler",
        "desk.reminders.appointments",
        "desk.engine.incoming_rules",
    ],
)
def test_a_module_missing_from_the_build_fails_the_self_test_by_name(
    tmp_path: Path, module: str
) -> None:
    """Loud either way: the self-test's own line when it gets as far as its module check, else
    the ImportError of the app itself (a module the command line imports at start)."""
    proc = _run(["-c", WITHOUT.format(name=module)], tmp_path / "home")
    said = proc.stdout + proc.stderr
    assert proc.returncode == 1, said
    assert "self-test: passed" not in proc.stdout
    assert (
        f"self-test: FAILED: this build lacks {module}" in proc.stdout
        or f"import of {module} halted" in proc.stderr
    ), said


def test_the_self_test_names_a_missing_window_module_in_one_line(tmp_path: Path) -> None:
    proc = _run(["-c", WITHOUT.format(name="ui.reminders_view")], tmp_path / "home")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "self-test: FAILED: this build lacks ui.reminders_view\n" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
