"""``textdesk --self-test``: the real window, offscreen, on a throwaway profile with the virtual
modem; exit 0, or 1 with one line saying what failed.

Run from source and inside the built bundle (packaging/smoke.py), where a module PyInstaller missed
shows up as an ImportError. So the test imports every module a safety feature needs by name, and
then exercises each feature end to end:

- the conversation: a customer texts in, the text shows unread in the list, a reply typed in the
  composer reaches the virtual modem and is shown delivered;
- privacy: a card number typed in the composer brings up the warning (answered "Edit the text":
  nothing is sent); a card number texted in is flagged sensitive, masked as it is stored and kept
  out of the list preview;
- STOP: the opt-out is recorded and the confirmation goes out to the modem;
- reminders: a reminder due now is materialised by the scheduler and sent through the modem;
- retention: a message older than retention_days, written before the engine starts, is deleted
  by the engine's first housekeeping turn.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from desk.base import events as ev
from desk.base import logs as logsetup
from desk.base.clock import SystemClock, to_db
from desk.base.paths import Profile
from desk.read import queries
from desk.reminders.manage import create_reminder
from desk.store import models as m
from desk.store.db import close_database, open_database
from desk.store.settings import Settings
from ui import qtlog, session

T = TypeVar("T")

CUSTOMER = "+12025550142"
OPTING_OUT = "+12025550166"
INCOMING = "Self-test: is my repair ready?"
REPLY = "Yes - it's ready at the counter. See you soon!"
CARD = "4111 1111 1111 1111"
CARD_REPLY = f"Your card on file is {CARD}, is that right?"
CARD_INCOMING = f"Self-test: pay with my card {CARD} exp 12/28"
REMINDER = "Self-test reminder: your check-up is tomorrow at 9:00."
OLD_TEXT = "Self-test: a text from long ago"
RETENTION_DAYS = 365

# What the safety features are made of: imported by name first, so a module the bundle lacks is
# named in the failure instead of surfacing as some later symptom.
SAFETY_MODULES = (
    "desk.compliance.privacy",
    "desk.compliance.consent",
    "desk.compliance.retention",
    "desk.compliance.erase",
    "desk.reminders.scheduler",
    "desk.reminders.appointments",
    "desk.reminders.manage",
    "desk.engine.incoming_rules",
    "desk.engine.core_loop",
    "desk.messaging.inbox",
    "desk.messaging.outbox",
    "desk.cli.main",
    "desk.cli.data",
    "desk.cli.reminders",
    "ui.main_window",
    "ui.reminders_view",
)


class SelfTestFailed(RuntimeError):
    pass


def say(text: str) -> None:
    out = sys.stdout or sys.__stdout__
    if out is not None:
        print(f"self-test: {text}", file=out, flush=True)


def check_modules() -> None:
    """Every module a safety feature needs is in this build, then imports cleanly: a missing one
    fails the test by name; one that fails to import fails it with its own error."""
    missing = [name for name in SAFETY_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise SelfTestFailed("this build lacks " + ", ".join(missing))
    for name in SAFETY_MODULES:
        importlib.import_module(name)


def seed(profile: Profile) -> int:
    """Before the engine starts (it is the one writer once it runs): the settings the checks
    need and one message older than the retention period. Returns that message's id."""
    database = open_database(profile.db_path)
    try:
        settings = Settings()
        settings.set("retention_days", RETENTION_DAYS)
        settings.set("quiet_hours", "off")  # the reminder goes out whatever the time of day
        settings.set("rate_per_minute", 60)
        old = to_db(SystemClock().now() - timedelta(days=RETENTION_DAYS + 30))
        contact = m.Contact.create(number="+12025550177", created_at=old)
        conversation = m.Conversation.create(
            contact=contact, last_activity_at=old, last_preview=OLD_TEXT
        )
        message = m.Message.create(
            conversation=conversation, direction=m.IN, body=OLD_TEXT, state=m.RECEIVED,
            created_at=old, read=True,
        )  # fmt: skip
        old_id: int = message.id
        return old_id
    finally:
        database.close()
        close_database()


class Probe:
    """Waits on the running window while collecting what the virtual modem sent and what the
    engine reported."""

    def __init__(self, app: QApplication, s: session.Session, timeout: float) -> None:
        self.app = app
        self.s = s
        self.timeout = timeout
        self.submitted: list[dict[str, Any]] = []
        self.events: list[ev.DeskEvent] = []
        self._lock = threading.Lock()
        s.engine.subscribe(self._record)  # called on the engine's core thread

    def _record(self, event: ev.DeskEvent) -> None:
        with self._lock:
            self.events.append(event)

    def problems(self) -> list[ev.Problem]:
        with self._lock:
            return [e for e in self.events if isinstance(e, ev.Problem)]

    def drain(self) -> None:
        while True:
            try:
                item = self.s.vm.events.get_nowait()
            except Exception:
                return
            if isinstance(item, dict) and item.get("event") == "submitted":
                self.submitted.append(item)

    def wait(self, cond: Callable[[], T | None], what: str, factor: float = 1.0) -> T:
        timeout = self.timeout * factor
        deadline = time.monotonic() + timeout
        while True:
            self.app.processEvents()
            self.drain()
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                raise SelfTestFailed(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.02)

    def sent_to(self, number: str, text: str) -> dict[str, Any] | None:
        for item in self.submitted:
            if item.get("to") == number and text.startswith(str(item.get("text", ""))[:20]):
                return item
        return None

    def type_and_send(self, text: str) -> None:
        """Real key events, as a person types them (QtTest is not shipped in the built app)."""
        edit = self.s.window.thread.composer.edit
        edit.setFocus()
        no_mod = Qt.KeyboardModifier.NoModifier
        for ch in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(edit, QKeyEvent(kind, 0, no_mod, ch))
        ctrl = Qt.KeyboardModifier.ControlModifier
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(edit, QKeyEvent(kind, Qt.Key.Key_Return, ctrl))


def run(timeout: float = 20.0) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:  # run from the command line: Qt's messages go to the log
        qtlog.install()
        app = QApplication(["textdesk-self-test"])
    profile, tmp = session.temp_profile("textdesk-selftest-")
    logsetup.configure(profile)
    started = time.monotonic()
    s = None
    try:
        check_modules()
        say(f"all {len(SAFETY_MODULES)} safety modules present")
        old_id = seed(profile)
        s = session.start(profile, virtual=True, customer=False, tmp=tmp)
        s.window.resize(1280, 800)
        s.window.show()
        probe = Probe(app, s, timeout)
        cid = check_conversation(probe)
        check_privacy(probe, cid)
        check_stop(probe)
        check_reminder(probe)
        check_retention(probe, old_id)
        check_no_problems(probe)
    except SelfTestFailed as exc:
        say(f"FAILED: {exc}")
        say(f"log: {profile.log_path}")
        return 1
    except Exception as exc:
        say(f"FAILED: {type(exc).__name__}: {exc}")
        say(f"log: {profile.log_path}")
        return 1
    finally:
        if s is not None:
            s.close()
        else:
            tmp.cleanup()
    say(f"passed in {time.monotonic() - started:.1f} s")
    return 0


# --- the conversation ---------------------------------------------------------------------------


def check_conversation(p: Probe) -> int:
    w = p.s.window
    p.wait(lambda: p.s.engine.modem_status.state == ev.ModemState.READY, "the modem", 1.5)
    say("modem ready")
    p.s.vm.control({"cmd": "deliver", "from": CUSTOMER, "text": INCOMING})

    def listed() -> int | None:
        cid = queries.conversation_for_number(CUSTOMER)
        if cid is None or w.list.model.row_of(cid) is None:
            return None
        row = queries.conversation_row(cid)
        return cid if row and row.unread and row.preview.startswith("Self-test") else None

    cid: int = p.wait(listed, "the incoming text to show unread in the list")
    say("incoming text listed as unread")
    if not w.list.select(cid):
        raise SelfTestFailed("could not select the conversation")
    p.wait(
        lambda: w.thread.conversation is not None and w.thread.conversation.id == cid,
        "the thread to open",
    )
    if not any(r.body == INCOMING for r in w.thread.model.messages()):
        raise SelfTestFailed("the incoming text is not in the thread")
    p.type_and_send(REPLY)
    say("reply sent from the composer")
    p.wait(lambda: p.sent_to(CUSTOMER, REPLY), "the virtual modem to receive the reply")
    say("virtual modem received the reply")

    def delivered() -> bool:
        rows = [
            r for r in w.thread.model.messages() if r.outgoing and r.body.startswith(REPLY[:20])
        ]
        return bool(rows) and rows[-1].state == m.DELIVERED

    p.wait(delivered, "the reply to be shown delivered")
    if w.thread.composer.edit.toPlainText():
        raise SelfTestFailed("the composer was not cleared after sending")
    say("reply shown delivered")
    return cid


# --- privacy ------------------------------------------------------------------------------------


def check_privacy(p: Probe, cid: int) -> None:
    """The composer's card-number warning (answered "Edit the text"), then an incoming card
    number flagged sensitive."""
    warnings: list[str] = []

    def answer() -> None:  # runs inside the warning's own event loop
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            warnings.append(box.text())
            edit = next((b for b in box.buttons() if "Edit" in b.text()), None)
            if edit is None:
                box.reject()
            else:
                edit.click()
            return
        if len(warnings) == 0 and time.monotonic() < give_up:
            QTimer.singleShot(50, answer)

    give_up = time.monotonic() + p.timeout
    QTimer.singleShot(50, answer)
    p.type_and_send(CARD_REPLY)
    if not warnings:
        raise SelfTestFailed("no warning when a card number was about to be sent")
    if "card number" not in warnings[0]:
        raise SelfTestFailed(f"the privacy warning does not name the card number: {warnings[0]!r}")
    edit = p.s.window.thread.composer.edit
    if edit.toPlainText() != CARD_REPLY:
        raise SelfTestFailed("the composer lost the text after the privacy warning")
    outgoing = m.Message.select().where(
        (m.Message.direction == m.OUT) & (m.Message.body == CARD_REPLY)
    )
    if outgoing.exists():
        raise SelfTestFailed("a text with a card number was queued although staff chose to edit")
    edit.clear()
    say("privacy warning shown for a card number; nothing sent")

    p.s.vm.control({"cmd": "deliver", "from": CUSTOMER, "text": CARD_INCOMING})
    message = p.wait(
        lambda: m.Message.get_or_none(
            (m.Message.direction == m.IN)
            & (m.Message.body.startswith("Self-test: pay with my card"))
        ),
        "the incoming card number to be stored",
    )
    if "sensitive" not in message.flag_list:
        raise SelfTestFailed("an incoming card number was not flagged sensitive")
    if not message.masked or CARD.replace(" ", "") in message.body.replace(" ", ""):
        raise SelfTestFailed("an incoming card number was stored in clear")
    row = queries.conversation_row(cid)  # touched in the transaction that stored the message
    if row is None or CARD.replace(" ", "") in row.preview.replace(" ", ""):
        raise SelfTestFailed("the list preview shows the incoming card number")
    say("incoming card number flagged sensitive, masked as stored, kept out of the preview")


# --- STOP ---------------------------------------------------------------------------------------


def check_stop(p: Probe) -> None:
    p.s.vm.control({"cmd": "deliver", "from": OPTING_OUT, "text": "STOP"})
    confirmation = p.wait(
        lambda: next((i for i in p.submitted if i.get("to") == OPTING_OUT), None),
        "the STOP confirmation to reach the modem",
    )
    shop = str(Settings().get("shop_name"))
    expected = str(Settings().get("optout_confirmation")).replace("{shop}", shop)
    if not expected.startswith(str(confirmation.get("text", ""))[:20]):
        raise SelfTestFailed(f"the STOP confirmation reads {confirmation.get('text')!r}")
    contact = m.Contact.get_or_none(m.Contact.number == OPTING_OUT)
    if contact is None or not contact.opted_out:
        raise SelfTestFailed("STOP did not opt the customer out")
    recorded = m.ConsentEvent.select().where(
        (m.ConsentEvent.number == OPTING_OUT) & (m.ConsentEvent.kind == "opt_out")
    )
    if not recorded.exists():
        raise SelfTestFailed("the opt-out was not recorded")
    say("STOP recorded as an opt-out and the confirmation sent")


# --- reminders ----------------------------------------------------------------------------------


def check_reminder(p: Probe) -> None:
    engine = p.s.engine
    future = engine.call(
        create_reminder, recipients=[CUSTOMER], text=REMINDER, at=engine.clock.now(),
        settings=engine.settings, clock=engine.clock,
    )  # fmt: skip
    p.wait(future.done, "the reminder to be saved")
    reminder = future.result()
    p.wait(lambda: p.sent_to(CUSTOMER, REMINDER), "the reminder to reach the modem")
    run_row = m.ReminderRun.get_or_none(m.ReminderRun.reminder == reminder.id)
    if run_row is None or run_row.state != "queued" or run_row.message is None:
        raise SelfTestFailed("the reminder went out without its run being recorded")
    say("reminder materialised by the scheduler and sent")


# --- retention ----------------------------------------------------------------------------------


def check_retention(p: Probe, old_id: int) -> None:
    """The engine's first housekeeping turn ran before the window showed: by now the old message
    is gone (its id may have been reused since, hence the body) and the audit log says so."""

    def gone() -> bool:
        row = m.Message.get_or_none(m.Message.id == old_id)
        return row is None or row.body != OLD_TEXT

    p.wait(gone, f"the message older than {RETENTION_DAYS} days to be deleted")
    audit = m.AuditLog.select().where(m.AuditLog.action == "retention")
    if not any(f"older than {RETENTION_DAYS} days" in a.detail for a in audit):
        raise SelfTestFailed("retention deleted the old message without an audit entry")
    say(f"retention deleted the message older than {RETENTION_DAYS} days")


def check_no_problems(p: Probe) -> None:
    """A rule that failed on the way (a STOP not handled, a scan that broke) is a Problem event."""
    bad = [e.text for e in p.problems() if e.severity == "error" or "could not" in e.text]
    if bad:
        raise SelfTestFailed("the engine reported: " + " | ".join(bad))
