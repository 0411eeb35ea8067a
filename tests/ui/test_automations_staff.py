"""The name on the audit lines of File › Automatic answers… (a keyword answer added, switched,
deleted) and File › Import contacts…: whoever signed in at the window's counter, else the
staff_name setting as before staff existed. Through the real window on the demo shop (offscreen)
with the virtual modem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from desk.store.models import AuditLog
from tests.ui.conftest import Desk
from ui import automation_actions


def _keyword_lines() -> list[tuple[str, str | None]]:
    query = (
        AuditLog.select().where(AuditLog.detail.startswith("keyword answer")).order_by(AuditLog.id)
    )
    return [(line.detail, line.staff) for line in query]


def _keywords_from_the_page(desk: Desk, qtbot: Any, word: str) -> None:
    """Add ``word`` on the page, switch it off in the table, then delete it."""
    page = automation_actions.open_automations(desk.window)
    qtbot.addWidget(page)
    qtbot.keyClicks(page.new_word, word)
    qtbot.keyClicks(page.new_answer, "Open Mon-Fri 9-5. {shop}")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    desk.wait(lambda: page.table.rowCount() == 1)
    switch = page.table.item(0, 2)
    assert switch is not None
    switch.setCheckState(Qt.CheckState.Unchecked)
    desk.wait(lambda: "is off" in page.error.text())
    page.table.setCurrentCell(0, 0)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    desk.wait(lambda: page.table.rowCount() == 0)
    page.close()


def _import_contacts(desk: Desk, qtbot: Any, path: Path, number: str) -> str | None:
    path.write_text(f"Name,Mobile\nNadia,{number}\n", encoding="utf-8")
    dlg = automation_actions.open_contacts_import(desk.window)
    qtbot.addWidget(dlg)
    dlg.load(path)
    desk.wait(lambda: dlg.preview is not None)
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    desk.wait(lambda: dlg.applied is not None)
    dlg.close()
    line: AuditLog = (
        AuditLog.select().where(AuditLog.action == "imported").order_by(AuditLog.id.desc()).get()
    )
    assert line.detail.startswith("contacts from csv: 1 added")
    return line.staff


def test_keyword_answers_and_imports_carry_the_signed_in_name_else_the_setting(
    desk: Desk, qtbot: Any, tmp_path: Path
) -> None:
    w = desk.window
    desk.result(desk.engine.call(w.settings.set, "staff_name", "Front desk"))
    assert w.signed_in is None
    _keywords_from_the_page(desk, qtbot, "Hours")
    assert _import_contacts(desk, qtbot, tmp_path / "a.csv", "2025550191") == "Front desk"

    desk.sign_in("Ben")
    _keywords_from_the_page(desk, qtbot, "Prices")
    assert _import_contacts(desk, qtbot, tmp_path / "b.csv", "2025550192") == "Ben"
    assert _keyword_lines() == [
        ("keyword answer added: hours", "Front desk"),
        ("keyword answer changed: hours", "Front desk"),
        ("keyword answer deleted: hours", "Front desk"),
        ("keyword answer added: prices", "Ben"),
        ("keyword answer changed: prices", "Ben"),
        ("keyword answer deleted: prices", "Ben"),
    ]
