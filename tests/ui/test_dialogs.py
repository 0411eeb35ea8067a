"""New conversation, settings, PIN dialogs: validation in plain words, nothing saved when wrong."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from desk.read import queries
from desk.store.settings import SPECS
from ui.new_conversation import NewConversationDialog
from ui.pin_dialog import PinDialog
from ui.settings_dialog import SettingsDialog


def test_new_conversation_validates_and_formats(qtbot, demo_db) -> None:
    dlg = NewConversationDialog(country="US")
    qtbot.addWidget(dlg)
    dlg.input.setText("12345")
    assert not dlg.ok.isEnabled()
    assert dlg.feedback.text()  # says what is wrong
    dlg.input.setText("(202) 555-0188")
    assert dlg.ok.isEnabled() and dlg.number == "+12025550188"
    assert "(202) 555-0188" in dlg.feedback.text()
    dlg.ok.click()
    assert dlg.result() == 1 and dlg.conversation_id is None


def test_new_conversation_picks_an_existing_customer(qtbot, demo_db) -> None:
    dlg = NewConversationDialog(country="US")
    qtbot.addWidget(dlg)
    dlg.input.setText("Priya")
    assert dlg.matches.count() == 1
    dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dlg.number == "+12025550103"
    assert dlg.conversation_id == queries.conversation_for_number("+12025550103")


def _settings_dialog(qtbot, applied: list):
    values = {k: s.default for k, s in SPECS.items()}

    def apply(changes, done):
        applied.append(changes)
        done(None)

    dlg = SettingsDialog(values, apply=apply)
    qtbot.addWidget(dlg)
    return dlg, None


def test_settings_refuses_bad_values(qtbot) -> None:
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    dlg.fields["default_country"].setText("Narnia")
    dlg.save()
    assert applied == []
    assert "Default country" in dlg.error.text() and "two-letter" in dlg.error.text()
    dlg.fields["default_country"].setText("gb")
    dlg.fields["quiet_hours"].setText("25:00-08:00")
    dlg.save()
    assert applied == [] and dlg.error.text()


def test_settings_passes_only_changes(qtbot) -> None:
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    dlg.fields["shop_name"].setText("Main Street Repairs")
    dlg.fields["send_key"].setCurrentIndex(1)
    dlg.fields["sound"].setChecked(True)
    dlg.save()
    assert applied == [
        {"shop_name": "Main Street Repairs", "send_key": "ctrl+enter", "sound": "on"}
    ]
    assert dlg.result() == 1


def test_settings_port_test_reports_in_plain_words(qtbot, tmp_path) -> None:
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    qtbot.waitUntil(lambda: "Looking" not in dlg.probe_result.text(), timeout=20000)
    combo = dlg.fields["modem_port"]
    combo.setEditText(str(tmp_path / "no-such-port"))
    dlg.test_port()
    qtbot.waitUntil(lambda: dlg.test_button.isEnabled(), timeout=20000)
    assert dlg.probe_result.text().startswith("✕")


def test_pin_dialog_checks_digits(qtbot) -> None:
    dlg = PinDialog()
    qtbot.addWidget(dlg)
    dlg.pin.setText("12a")
    dlg._ok()
    assert dlg.result() == 0 and "4 to 8 digits" in dlg.error.text()
    dlg.pin.setText("1234")
    dlg._ok()
    assert dlg.result() == 1 and dlg.value() == "1234"


def test_first_run_offers_demo_mode(qtbot) -> None:
    from ui.first_run import FirstRunWizard

    wiz = FirstRunWizard()
    qtbot.addWidget(wiz)
    wiz.shop.setText("Main Street Repairs")
    wiz.use_demo.setChecked(True)
    assert not wiz.list.isEnabled()
    wiz.accept()
    assert wiz.mode == "demo" and wiz.shop_name == "Main Street Repairs"
    wiz2 = FirstRunWizard()
    qtbot.addWidget(wiz2)
    wiz2.accept()
    assert wiz2.mode == "modem" and wiz2.port == ""


def test_settings_open_at_login_writes_the_autostart_entry(qtbot, tmp_path, monkeypatch) -> None:
    from desk.base import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    assert not dlg.open_at_login.isChecked()
    dlg.open_at_login.setChecked(True)
    dlg.save()
    assert autostart.is_enabled() and (tmp_path / "autostart" / "textdesk.desktop").exists()
    dlg2, _ = _settings_dialog(qtbot, applied)
    assert dlg2.open_at_login.isChecked()  # read back from the computer, not remembered
    dlg2.open_at_login.setChecked(False)
    dlg2.save()
    assert not autostart.is_enabled()


def test_country_and_time_zone_are_picked_from_lists(qtbot) -> None:
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    country, zone = dlg.fields["default_country"], dlg.fields["timezone"]
    country.setCurrentIndex(country.findText("United Kingdom — GB"))
    zone.setCurrentIndex(zone.findData("Europe/London"))
    assert zone.currentText() == "Europe/London"
    assert zone.itemText(0) == "This computer's time zone"
    dlg.save()
    assert applied == [{"default_country": "GB", "timezone": "Europe/London"}]


def test_a_signature_set_from_the_command_line_reaches_the_running_window(desk) -> None:
    from desk.store.settings import Settings

    composer = desk.window.thread.composer
    assert composer.signature == desk.window.settings.get("signature")
    Settings().set("signature", "- Anna")  # as `textdesk config signature` does, from outside
    assert desk.window.settings_watch.check()
    assert composer.signature == "- Anna"
    assert not desk.window.settings_watch.check()  # nothing new: nothing applied again


def test_a_signature_that_forces_unicode_is_explained_with_its_cost(qtbot) -> None:
    applied: list = []
    dlg, _bridge = _settings_dialog(qtbot, applied)
    dlg.fields["signature"].setText("– Anna at Smile Dental")
    assert "Because of “–” every signed reply is sent as Unicode" in dlg.signature_cost.text()
    dlg.fields["signature"].setText("- Anna at Smile Dental")
    assert dlg.signature_cost.text() == ""
