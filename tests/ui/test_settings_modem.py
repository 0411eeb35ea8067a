"""The modem side of the window: Help › Save modem log, and the settings dialog's modem kinds
(USB modem, HiLink stick, Android phone) with their passwords in the (in-memory) keyring."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from desk.base import secrets
from desk.base.paths import resolve_profile
from desk.engine import links
from desk.store.settings import SPECS
from tests.helpers.keyring_memory import MemoryKeyring
from tests.ui.conftest import Desk
from ui import modem_log_action
from ui.modem_words import STORED
from ui.modem_work import Keyring
from ui.settings_dialog import PAGES, SettingsDialog


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


def _dialog(qtbot, values: dict | None = None, *, store: bool = True):
    applied: list[dict[str, str]] = []
    restarts: list[int] = []

    def apply(changes, done):
        applied.append(dict(changes))
        done(None)

    defaults = {k: s.default for k, s in SPECS.items()}
    dlg = SettingsDialog(
        {**defaults, **(values or {})},
        apply=apply,
        secret_store=Keyring() if store else None,
        restart_link=lambda: restarts.append(1),
    )
    qtbot.addWidget(dlg)
    dlg.tabs.setCurrentIndex(list(PAGES).index("Modem"))
    return dlg, applied, restarts


def _kind(dlg, kind: str) -> None:
    dlg.modem.kind.setCurrentIndex(dlg.modem.kind.findData(kind))


def test_settings_hilink_saves_the_address_and_the_password_in_the_keyring(
    qtbot, keyring_memory: MemoryKeyring
) -> None:
    dlg, applied, restarts = _dialog(qtbot)
    assert dlg.modem.limits.isHidden()  # a USB modem reports calls and USSD
    _kind(dlg, "hilink")
    assert dlg.modem.page_index() == 1
    assert "does not report phone calls" in dlg.modem.limits.text()
    dlg.fields["hilink_url"].setText("ftp://stick")
    dlg.save()
    assert applied == [] and "web address" in dlg.error.text()
    dlg.fields["hilink_url"].setText("http://192.168.1.1")
    dlg.modem.secret_fields[secrets.HILINK_PASSWORD].setText("s3cret-pass")
    dlg.save()
    qtbot.waitUntil(lambda: dlg.result() == 1, timeout=5000)
    assert applied == [{"modem_kind": "hilink", "hilink_url": "http://192.168.1.1"}]
    assert keyring_memory.store[("TextDesk", secrets.HILINK_PASSWORD)] == "s3cret-pass"
    assert restarts == [1]  # the link logs in with the new password at once
    assert all("s3cret" not in v for v in applied[0].values())


def test_settings_android_needs_its_fields_and_says_what_it_cannot_do(
    qtbot, keyring_memory: MemoryKeyring
) -> None:
    dlg, applied, _restarts = _dialog(qtbot)
    _kind(dlg, "android")
    assert dlg.modem.page_index() == 2
    assert "does not report phone calls or balance codes (USSD)" in dlg.modem.limits.text()
    assert dlg.modem.balance.isHidden()
    dlg.fields["android_url"].setText("http://192.168.1.50:8080")
    dlg.save()
    assert applied == [] and "this computer's address" in dlg.error.text().lower()
    dlg.fields["android_listen_host"].setText("192.168.1.20")
    dlg.save()
    assert applied == [] and "password" in dlg.error.text()
    dlg.modem.secret_fields[secrets.ANDROID_PASSWORD].setText("gw-pass")
    dlg.modem.secret_fields[secrets.ANDROID_SIGNING_KEY].setText("sign-key")
    dlg.save()
    qtbot.waitUntil(lambda: dlg.result() == 1, timeout=5000)
    assert applied == [
        {
            "modem_kind": "android",
            "android_url": "http://192.168.1.50:8080",
            "android_listen_host": "192.168.1.20",
        }
    ]
    assert keyring_memory.store[("TextDesk", secrets.ANDROID_PASSWORD)] == "gw-pass"
    assert keyring_memory.store[("TextDesk", secrets.ANDROID_SIGNING_KEY)] == "sign-key"
    # opened again: the stored ones are said to be there, never shown
    again, applied2, _ = _dialog(qtbot, {"modem_kind": "android", **applied[0]})
    field = again.modem.secret_fields[secrets.ANDROID_PASSWORD]
    qtbot.waitUntil(lambda: field.placeholderText() == STORED, timeout=5000)
    assert field.text() == ""
    again.save()  # nothing typed, both stored: nothing to save
    assert again.result() == 1 and applied2 == []
    _kind(again, "at")
    assert again.modem.page_index() == 0 and not again.modem.balance.isHidden()


def test_settings_stores_a_typed_sim_pin_in_the_keyring(
    qtbot, keyring_memory: MemoryKeyring
) -> None:
    dlg, applied, restarts = _dialog(qtbot, {"modem_pin": "4321"})
    pin = dlg.modem.secret_fields[secrets.SIM_PIN]
    qtbot.waitUntil(lambda: "password store" in pin.placeholderText(), timeout=5000)
    pin.setText("2468")
    dlg.save()
    qtbot.waitUntil(lambda: dlg.result() == 1, timeout=5000)
    assert applied == []  # no setting changed: the PIN is not one
    assert keyring_memory.store[("TextDesk", secrets.SIM_PIN)] == "2468" and restarts == [1]


def test_settings_without_a_password_store_saves_no_password(qtbot) -> None:
    dlg, applied, _ = _dialog(qtbot, store=False)
    _kind(dlg, "hilink")
    dlg.modem.secret_fields[secrets.HILINK_PASSWORD].setText("pw")
    dlg.save()
    assert applied == [] and "cannot keep passwords" in dlg.error.text()
    dlg.modem.secret_fields[secrets.HILINK_PASSWORD].clear()
    dlg.modem.secret_fields[secrets.SIM_PIN].setText("12a")
    _kind(dlg, "at")
    dlg.save()
    assert applied == [] and "4 to 8 digits" in dlg.error.text()


def test_settings_tests_the_sticks_address_for_real(qtbot) -> None:
    from tests.modem.links.http_sim import HttpSim

    stick = HttpSim("hilink").start()
    try:
        dlg, applied, _ = _dialog(qtbot)
        _kind(dlg, "hilink")
        dlg.fields["hilink_url"].setText(stick.url)
        dlg.modem.url_tests["hilink"].click()
        result = dlg.modem.url_results["hilink"]
        qtbot.waitUntil(lambda: result.text().startswith(("✓", "✕")), timeout=10000)
        assert result.text() == f"✓ HiLink stick found at {stick.url}."
        _kind(dlg, "android")  # the phone's address given the stick's: said, not guessed
        dlg.fields["android_url"].setText(stick.url)
        dlg.modem.url_tests["android"].click()
        answer = dlg.modem.url_results["android"]
        qtbot.waitUntil(lambda: answer.text().startswith(("✓", "✕")), timeout=10000)
        assert "HiLink stick" in answer.text() and answer.text().startswith("✕")
    finally:
        stick.stop()
    dlg.fields["android_url"].setText("http://127.0.0.1:9")
    dlg.modem.fill_button.click()
    qtbot.waitUntil(lambda: dlg.modem.text("android_listen_host") == "127.0.0.1", timeout=5000)
    _kind(dlg, "at")
    dlg.fields["modem_port"].setEditText("http://192.168.8.1")
    dlg.save()
    assert applied == [] and "web address" in dlg.error.text()


def test_settings_forgets_a_saved_sim_pin(qtbot, keyring_memory: MemoryKeyring) -> None:
    keyring_memory.store[("TextDesk", secrets.SIM_PIN)] = "1357"
    dlg, applied, restarts = _dialog(qtbot)
    qtbot.waitUntil(lambda: not dlg.modem.forget_pin.isHidden(), timeout=5000)
    dlg.modem.forget_pin.click()
    assert not dlg.modem.secret_fields[secrets.SIM_PIN].isEnabled()
    dlg.save()
    qtbot.waitUntil(lambda: dlg.result() == 1, timeout=5000)
    assert ("TextDesk", secrets.SIM_PIN) not in keyring_memory.store
    assert applied == [] and restarts == [1]
