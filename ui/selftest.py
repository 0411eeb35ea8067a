"""``textdesk --self-test``: the real window, offscreen, on a throwaway profile with the virtual
modem. A customer texts in; the test waits for it in the list, replies from the composer, checks
the virtual modem received the reply and the window shows it delivered. Exit 0, or 1 with why."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

CUSTOMER = "+12025550142"
INCOMING = "Self-test: is my repair ready?"
REPLY = "Yes - it's ready at the counter. See you soon!"


class SelfTestFailed(RuntimeError):
    pass


def say(text: str) -> None:
    out = sys.stdout or sys.__stdout__
    if out is not None:
        print(f"self-test: {text}", file=out, flush=True)


def wait_for(
    app: Any, cond: Callable[[], Any], what: str, timeout: float = 20.0, on_poll=None
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        app.processEvents()
        if on_poll is not None:
            on_poll()
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SelfTestFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def run(timeout: float = 20.0) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desk.base import logs as logsetup
    from ui import qtlog, session

    app = QApplication.instance()
    if app is None:  # run from the command line: Qt's messages go to the log
        qtlog.install()
        app = QApplication(["textdesk-self-test"])
    profile, tmp = session.temp_profile("textdesk-selftest-")
    logsetup.configure(profile)
    started = time.monotonic()
    s = None
    try:
        s = session.start(profile, virtual=True, customer=False, tmp=tmp)
        s.window.resize(1280, 800)
        s.window.show()
        check(app, s, timeout)
    except SelfTestFailed as exc:
        say(f"FAILED: {exc}")
        say(f"log: {profile.log_path}")
        return 1
    except Exception as exc:
        say(f"FAILED: {type(exc).__name__}: {exc}")
        return 1
    finally:
        if s is not None:
            s.close()
        else:
            tmp.cleanup()
    say(f"passed in {time.monotonic() - started:.1f} s")
    return 0


def check(app: Any, s: Any, timeout: float) -> None:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from desk.read import queries
    from desk.store import models as m
    from modem.events import ModemState

    w = s.window
    submitted: list[dict] = []

    def drain() -> None:
        while True:
            try:
                ev = s.vm.events.get_nowait()
            except Exception:
                return
            if isinstance(ev, dict) and ev.get("event") == "submitted":
                submitted.append(ev)

    wait_for(
        app,
        lambda: s.engine.modem_status.state == ModemState.READY,
        "the modem to be ready",
        timeout * 1.5,
        drain,
    )
    say("modem ready")
    s.vm.control({"cmd": "deliver", "from": CUSTOMER, "text": INCOMING})

    def listed() -> int | None:
        cid = queries.conversation_for_number(CUSTOMER)
        if cid is None or w.list.model.row_of(cid) is None:
            return None
        row = queries.conversation_row(cid)
        return cid if row and row.unread and row.preview.startswith("Self-test") else None

    cid = wait_for(app, listed, "the incoming text to show unread in the list", timeout, drain)
    say("incoming text listed as unread")
    if not w.list.select(cid):
        raise SelfTestFailed("could not select the conversation")
    wait_for(
        app,
        lambda: w.thread.conversation and w.thread.conversation.id == cid,
        "the thread to open",
        timeout,
        drain,
    )
    if not any(r.body == INCOMING for r in w.thread.model.messages()):
        raise SelfTestFailed("the incoming text is not in the thread")
    edit = w.thread.composer.edit
    edit.setFocus()
    # Real key events, as a person types them (QtTest is not shipped in the built app).
    no_mod = Qt.KeyboardModifier.NoModifier
    for ch in REPLY:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(edit, QKeyEvent(kind, 0, no_mod, ch))
    ctrl = Qt.KeyboardModifier.ControlModifier
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(kind, Qt.Key.Key_Return, ctrl))
    say("reply sent from the composer")
    wait_for(
        app,
        lambda: any(
            e.get("to") == CUSTOMER and REPLY.startswith(str(e.get("text", ""))[:20])
            for e in submitted
        ),
        "the virtual modem to receive the reply",
        timeout,
        drain,
    )
    say("virtual modem received the reply")

    def delivered() -> bool:
        rows = [
            r for r in w.thread.model.messages() if r.outgoing and r.body.startswith(REPLY[:20])
        ]
        return bool(rows) and rows[-1].state == m.DELIVERED

    wait_for(app, delivered, "the reply to be shown delivered", timeout, drain)
    if edit.toPlainText():
        raise SelfTestFailed("the composer was not cleared after sending")
    say("reply shown delivered")
