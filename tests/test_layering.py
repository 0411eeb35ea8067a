"""The core and the modem layer stay free of Qt, and imports run one way: ui -> desk -> modem."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_imports_run_one_way() -> None:
    forbidden = {"modem": {"desk", "ui", *QT_PREFIXES}, "desk": {"ui", *QT_PREFIXES}}
    problems = []
    for package, banned in forbidden.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            hits = _imports(path) & banned
            if hits:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(hits)}")
    assert not problems, "\n".join(problems)
