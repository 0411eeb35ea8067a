"""What the window takes from the core, through the real window, engine and virtual modem: the
card-number warning before anything is queued, the SMS counter against the parts the modem
receives, settings saved on the core thread, and port probing off the GUI thread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desk.engine.ports import PortInfo, ProbeResult
from desk.read import queries
from desk.store import models as m
from tests.ui.conftest import Desk
from ui import ports
from ui.settings_dialog import SettingsDialog

ROOT = Path(__file__).resolve().parents[2]
CARD = "Card on file is 4111 1111 1111 1111, ok?"


def _answer_next_box(qtbot, button: str, seen: list[tuple[str, str, int]], queued: int) -> None:
    """When the next modal message box opens, note what it says and how many messages were
    queued while it was open, then press ``button`` as staff would."""

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, look)
            return
        seen.append((box.windowTitle(), box.text(), queued_now() - queued))
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(0, look)


def queued_now() -> int:
    return m.Message.select().where(m.Message.direction == m.OUT).count()


def test_card_number_warning_opens_before_anything_is_queued(desk: Desk, qtbot) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550121")
    assert w.list.select(cid)
    edit = w.thread.composer.edit
    seen: list[tuple[str, str, int]] = []

    _answer_next_box(qtbot, "Edit the text", seen, queued_now())
    before = queued_now()
    edit.setPlainText(CARD)
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # the shop's send key
    assert len(seen) == 1
    title, text, queued_while_open = seen[0]
    assert title == "Sensitive data in this text?" and "card" in text.lower()
    assert queued_while_open == 0
    assert queued_now() == before, "Edit the text: nothing queued"
    assert w.thread.composer.text() == CARD, "the text stays for editing"

    _answer_next_box(qtbot, "Send anyway", seen, queued_now())
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert len(seen) == 2 and seen[1][2] == 0
    desk.wait(lambda: any(e.get("to") == "+12025550121" for e in desk.submitted))


def test_plain_text_goes_out_without_a_warning(desk: Desk, qtbot) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550121")
    assert w.list.select(cid)
    qtbot.keyClicks(w.thread.composer.edit, "Your order is ready.")
    qtbot.keyClick(w.thread.composer.edit, Qt.Key.Key_Return)
    assert QApplication.activeModalWidget() is None
    desk.wait(lambda: any(e.get("to") == "+12025550121" for e in desk.submitted))


def test_the_window_will_not_load_without_the_privacy_check() -> None:
    # A bundle missing desk.compliance.privacy must fail at start, not lose the warning.
    code = "import sys; sys.modules['desk.compliance.privacy'] = None\nimport ui.main_window\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(("ImportError", "ModuleNotFoundError")), done.stderr
    assert "desk.compliance.privacy" in last


def test_counter_says_as_many_sms_as_the_modem_receives(desk: Desk, qtbot) -> None:
    w = desk.window
    number = "+12025550102"
    assert w.list.select(queries.conversation_for_number(number))
    composer = w.thread.composer
    text = "Your crown is ready 🙂 " + "we open at nine tomorrow and close at five. " * 3
    composer.edit.setPlainText(text)
    counter = composer.counter.text()
    assert "Unicode" in counter and "“🙂”" in counter
    parts = int(counter.split(" SMS")[0])
    assert parts >= 3
    desk.drain()
    already = len(desk.submitted)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    desk.wait(lambda: len([e for e in desk.submitted[already:] if e.get("to") == number]) == parts)
    sent = next(r for r in reversed(w.thread.model.messages()) if r.outgoing)
    desk.wait(lambda: queries.message_row(sent.id).state in (m.SENT, m.DELIVERED))
    assert len([e for e in desk.submitted[already:] if e.get("to") == number]) == parts


def test_settings_are_saved_on_the_core_thread_and_audited(desk: Desk, monkeypatch) -> None:
    w = desk.window

    def fill_and_save(dlg: SettingsDialog) -> int:
        dlg.fields["shop_name"].setText("Main Street Repairs")
        dlg.save()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", fill_and_save)
    w.open_settings()
    desk.wait(lambda: w.windowTitle().endswith("TextDesk — Main Street Repairs"))
    assert w.settings.get("shop_name") == "Main Street Repairs"
    row = m.AuditLog.select().where(m.AuditLog.action == "settings").order_by(m.AuditLog.id.desc())
    assert "shop_name changed in the window" in row.get().detail


def test_probe_off_the_gui_thread_never_takes_the_engines_port(
    desk: Desk, qtbot, tmp_path: Path
) -> None:
    answers: list[tuple[ProbeResult | None, str | None]] = []
    owner = desk.window.status
    ports.probe_async(owner, str(tmp_path / "ttyUSB9"), lambda r, e: answers.append((r, e)))
    qtbot.waitUntil(lambda: len(answers) == 1, timeout=20000)
    ok, text = ports.describe_probe(*answers[0])
    assert not ok and "does not exist" in text

    # The engine holds the virtual modem's port: a probe must not take it away.
    ports.probe_async(owner, desk.vm.device or "", lambda r, e: answers.append((r, e)))
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=20000)
    ok, text = ports.describe_probe(*answers[1])
    assert not ok and desk.vm.device in text
    desk.result(desk.engine.send("+12025550102", "Still connected?"))
    desk.wait(lambda: any(e.get("text", "").startswith("Still connected?") for e in desk.submitted))


def test_port_list_arrives_on_the_gui_thread_and_reads_plainly(desk: Desk, qtbot) -> None:
    got: list[tuple[list[PortInfo], str | None]] = []
    ports.list_ports_async(desk.window.status, lambda found, err: got.append((found, err)))
    qtbot.waitUntil(lambda: bool(got), timeout=20000)
    assert got[0][1] is None
    stick = PortInfo("/dev/ttyUSB0", "HUAWEI Mobile", vid=0x12D1, maker="Huawei")
    assert ports.port_label(stick) == "/dev/ttyUSB0 — Huawei · HUAWEI Mobile"
    assert ports.port_label(PortInfo("/dev/ttyACM0", "n/a")) == "/dev/ttyACM0"


def test_the_reminders_page_is_always_a_tab_of_the_window(desk: Desk, qtbot) -> None:
    from datetime import timedelta

    from desk.reminders.manage import create_reminder

    w = desk.window
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == ["Conversations", "Reminders"]
    assert w.tabs.widget(1) is w.reminders and w.reminders.bridge is w.bridge
    reminder = desk.result(
        desk.engine.call(
            create_reminder,
            recipients=["+12025550102"],
            text="Your crown fitting is tomorrow, {first_name}.",
            at=desk.engine.clock.now() + timedelta(days=2),
            settings=desk.engine.settings,
            clock=desk.engine.clock,
        )
    )
    w.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: w.reminders.select_reminder(reminder.id), timeout=20000)
    assert not w.reminders.status.text().startswith("Could not")
