"""The modem side of the window: Help › Save modem log, and the settings dialog's modem kinds
(USB modem, HiLink stick, Android phone) with their passwords in the (in-memory) keyring."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from desk.base.paths import resolve_profile
from desk.engine import links
from tests.ui.conftest import Desk
from ui import modem_log_action


def _menu_action(window, text: str):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu item {text!r}")


def test_save_modem_log_copies_the_trace(desk: Desk, monkeypatch, tmp_path: Path) -> None:
    w = desk.window
    trace = links.trace_path(desk.engine.profile)
    desk.wait(lambda: trace.is_file() and "AT" in trace.read_text())
    target = tmp_path / "for-support.txt"
    monkeypatch.setattr(
        modem_log_action.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: (str(target), "")),
    )
    _menu_action(w, "Save &modem log…").trigger()
    desk.wait(lambda: "Modem log saved" in w.statusBar().currentMessage())
    text = target.read_text()
    assert text.startswith(trace.read_text()[:40])
    assert "> AT" in text and "< OK" in text
    assert target.stat().st_mode & 0o077 == 0  # customers' numbers: owner only


@pytest.mark.parametrize("kind", ["at", "hilink"])
def test_save_modem_log_without_a_trace_says_so(qtbot, monkeypatch, tmp_path, kind) -> None:
    from PySide6.QtWidgets import QMainWindow

    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", staticmethod(lambda _p, _t, text: shown.append(text))
    )
    asked: list[object] = []
    monkeypatch.setattr(
        modem_log_action.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: asked.append(a) or ("", "")),
    )
    w = QMainWindow()
    qtbot.addWidget(w)
    profile = resolve_profile(tmp_path / "fresh").ensure()
    modem_log_action.save_modem_log(w, profile, kind)
    assert asked == [] and len(shown) == 1
    assert ("no modem log yet" if kind == "at" else "HiLink stick") in shown[0]
