"""Where the icons, sound and style live: resources/ next to the packages, or in the frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def path(name: str) -> Path:
    return root() / name


def icon(name: str) -> QIcon:
    p = path(name)
    return QIcon(str(p)) if p.exists() else QIcon()


def app_icon() -> QIcon:
    ic = QIcon()
    for name in ("textdesk.svg", "textdesk-256.png", "textdesk-64.png"):
        p = path(name)
        if p.exists():
            ic.addFile(str(p))
    return ic
