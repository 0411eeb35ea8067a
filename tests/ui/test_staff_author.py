"""The signed-in name on what the window's dialogs record (issue 15), as replies and notes carry
it: a reminder's and an appointment's created-by, an import's reminders, the audit lines of a
settings change and of an erasure. With nobody signed in, the staff_name setting as before.
Through the real window on the demo shop (offscreen) with the virtual modem."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desk.read import queries
from desk.store.models import Appointment, AuditLog, Reminder
from tests.ui.conftest import Desk
from ui import job_progress, settings_action
from ui.signed_in import author_for


def _new_reminder(desk: Desk, text: str, *, appointment: bool = False) -> Reminder:
    dlg = desk.window.reminders.editor()
    desk.qtbot.addWidget(dlg)
    dlg.search.setText("+12025550188")
    dlg.found.clear()
    dlg.add_typed()
    dlg.set_local_time(datetime(2027, 1, 14, 9, 30))
    if appointment:
        dlg.appointment.setChecked(True)
        dlg.service.setText("cleaning")
        dlg.offsets.setText("24h")
    dlg.text.setPlainText(text)
    with desk.qtbot.waitSignal(dlg.saved, timeout=20_000):
        dlg.save()
    found: Reminder = Reminder.select().order_by(Reminder.id.desc()).first()
    return found


def _save_setting(desk: Desk) -> AuditLog:
    errors: list[str | None] = []
    settings_action.save_from_window(desk.window, {"shop_name": "Smile Dental 2"}, errors.append)
    desk.wait(lambda: errors)
    assert errors == [None]
    line: AuditLog = (
        AuditLog.select().where(AuditLog.action == "settings").order_by(AuditLog.id.desc()).get()
    )
    assert "shop_name" in line.detail
    return line


def test_what_the_dialogs_record_carries_the_signed_in_name(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.window
    desk.result(desk.engine.call(w.settings.set, "staff_name", "Front desk"))
    desk.sign_in("Ben")
    assert author_for(w.reminders, w.settings) == "Ben"

    assert _new_reminder(desk, "See you soon").created_by == "Ben"
    appt = _new_reminder(desk, "", appointment=True)
    assert appt.appointment_id is not None and appt.created_by == "Ben"

    path = tmp_path / "bookings.csv"
    path.write_text("Patient;Mobile;Date;Time;Treatment\nPia;2025550177;01/20/2027;9:15 AM;check\n")
    dlg = w.reminders.import_dialog()
    desk.qtbot.addWidget(dlg)
    dlg.load(str(path))
    desk.wait(lambda: dlg.preview is not None)
    with desk.qtbot.waitSignal(dlg.imported, timeout=20_000):
        dlg.import_button.click()
    imported = Appointment.get(Appointment.service == "check")
    assert [r.created_by for r in imported.reminders] and all(
        r.created_by == "Ben" for r in imported.reminders
    )

    assert _save_setting(desk).staff == "Ben"

    boxes: list[Any] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: boxes.append(a))
    cid = queries.conversation_for_number("+12025550125")
    assert cid is not None
    contact_id = queries.contact_for_conversation(cid)
    assert contact_id is not None
    row = job_progress.erase_contact(w, contact_id)
    desk.wait(lambda: row.finished, timeout=60)
    erased = AuditLog.select().where(AuditLog.action == "erased").order_by(AuditLog.id.desc())
    assert erased.get().staff == "Ben"
    assert "Backups made before now still hold them" in w.status.currentMessage()  # SQLite
    assert boxes == []


def test_with_nobody_signed_in_the_staff_name_setting_as_before(desk: Desk) -> None:
    w = desk.window
    desk.result(desk.engine.call(w.settings.set, "staff_name", "Front desk"))
    assert w.signed_in is None
    assert author_for(w.reminders, w.settings) == "Front desk"
    assert _new_reminder(desk, "See you soon").created_by == "Front desk"
    assert _save_setting(desk).staff == "Front desk"
