"""The core and the modem layer stay free of Qt, and imports run one way: ui -> desk -> modem."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_PREFIXES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "PySide2")


def _modules(package: str) -> list[str]:
    pkg_dir = ROOT / package
    names = [package]
    for info in pkgutil.walk_packages([str(pkg_dir)], prefix=f"{package}."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def test_importing_desk_and_modem_loads_no_qt() -> None:
    modules = _modules("modem") + _modules("desk")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PREFIXES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"Qt loaded by desk/modem: {out.stdout.strip()}"
    assert len(modules) >= 3


def test_import_contracts_hold() -> None:
    """import-linter's contracts (pyproject.toml): ui -> desk -> modem, ui never imports modem, the
    core's and the modem layer's own layers, only the demo drives the virtual devices."""
    tool = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(tool)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "broken" not in out.stdout.split("Contracts:")[-1].split(",")[0]


def test_architecture_diagram_is_current() -> None:
    """docs/ARCHITECTURE.md shows the packages as the code imports them today."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import package_diagram

    text = package_diagram.DOC.read_text(encoding="utf-8")
    assert package_diagram.current_block(text) == package_diagram.render_block(), (
        "docs/ARCHITECTURE.md has an old package diagram: run python scripts/package_diagram.py --write"
    )


LINE_LIMIT = 500
LIMITED_FOLDERS = ("desk", "modem", "ui", "tests", "bench", "packaging", "scripts")


def test_no_python_file_is_over_the_line_limit() -> None:
    """Files stay readable in one sitting: no Python file in the project's folders passes 500
    lines (split it into modules named after what they hold)."""
    checked = 0
    too_long = []
    for folder in LIMITED_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            checked += 1
            if lines > LINE_LIMIT:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert checked > 100, f"only {checked} Python files found under {LIMITED_FOLDERS}"
    assert too_long == [], f"over {LINE_LIMIT} lines: " + "; ".join(too_long)
