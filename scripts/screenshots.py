"""Screenshots of the real window for the README: ``./dev screenshots`` (runs under xvfb-run).

Starts the demo shop (sample customers, the virtual modem, the real engine), drives the window
to each screen and saves docs/screenshots/*.png at 1366×768; then runs itself again with the
text at 200 % to check the layout holds. Works offscreen too (QT_QPA_PLATFORM=offscreen).

``--only main-window,staff`` writes only the named screenshots (the file names without .png or
the -200-percent ending; the rest are driven but not written): regenerate what a change alters.
``staff.png`` is the shop with two staff members, Anna signed in, a conversation assigned to her
and an internal note of hers, the Mine / Unassigned filters showing.

``--modem-dialogs`` shoots only the first-run wizard finding the virtual HiLink stick (the real
discovery, asked at the stick's address) and the settings dialog's modem kinds, no engine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wait(app, cond, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: timed out waiting for the window")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


ONLY: set[str] = set()  # --only: the screenshots to write (empty: all)


def save(widget, path: Path) -> None:
    if ONLY and path.stem.removesuffix("-200-percent") not in ONLY:
        return
    widget.grab().save(str(path))
    print(path)


def staff_scene(app, s, out: Path, suffix: str = "") -> None:
    """Two staff members added (File › Staff…), Anna signed in through the picker, Olivia's
    conversation assigned to her with a note of hers, Ahmed's to Ben: staff{suffix}.png."""
    from desk.read import queries
    from ui import staff_actions, window_actions

    w = s.window
    staff_dialog = staff_actions.open_staff(w)
    for name in ("Anna", "Ben"):
        staff_dialog.add(name)
        wait(app, lambda name=name: name in staff_dialog.names())
    staff_dialog.accept()
    picker = staff_actions.ask(w)
    assert picker is not None
    picker.choose("Anna")
    picker.buttons.accepted.emit()
    wait(app, lambda: w.signed_in == "Anna")
    for number, who in (("+12025550106", "Ben"), ("+12025550112", "Anna")):
        w.list.select(queries.conversation_for_number(number))
        wait(app, lambda: w.thread.conversation is not None and w.assign_box is not None)
        settle(app)
        w.assign_box.assign(who)
        wait(app, lambda who=who: w.thread.conversation.assigned_to == who)
    window_actions.add_note(w, "Wants the 9:30 slot on Thursday; I said I would confirm today.")
    wait(app, lambda: "Note added" in w.status.currentMessage())
    w.update_counts()
    settle(app, 1.0)
    save(w, out / f"staff{suffix}.png")


def modem_dialogs(app, out: Path, suffix: str = "", *, kinds: bool = True) -> None:
    """The wizard on the virtual HiLink stick; with ``kinds`` the settings dialog on each kind
    of modem too (for looking at them, not kept in docs/)."""
    from desk.base import secrets
    from desk.demo.virtual import virtual_http_device
    from desk.store.settings import SPECS
    from ui.first_run import SIGN_IN, FirstRunWizard
    from ui.settings_dialog import PAGES, SettingsDialog

    stick = virtual_http_device("hilink")
    try:
        wiz = FirstRunWizard(timeout=1.0)
        wiz.shop.setText("Smile Dental")
        wiz.show()
        wait(app, wiz.again.isEnabled, 15)
        wiz.next()
        wiz.address.setText(stick.url)
        wiz.look_at_address()
        wait(app, lambda: (f := wiz.chosen()) is not None and f.kind == "hilink", 15)
        settle(app)
        save(wiz, out / f"wizard-hilink{suffix}.png")
        wiz.next()
        wait(app, lambda: wiz.currentId() == SIGN_IN)
        wiz.form.secret_fields[secrets.HILINK_PASSWORD].setText("not-the-real-one")
        settle(app)
        save(wiz, out / f"wizard-hilink-password{suffix}.png")
        wiz.close()
    finally:
        stick.stop()
    values = {k: spec.default for k, spec in SPECS.items()}
    for kind in ("at", "hilink", "android") if kinds else ():
        sd = SettingsDialog(
            {**values, "modem_kind": kind, "android_url": "http://192.168.1.50:8080"},
            apply=lambda _c, done: done(None),
        )
        sd.tabs.setCurrentIndex(list(PAGES).index("Modem"))
        sd.show()
        wait(app, lambda sd=sd: "Looking" not in sd.probe_result.text(), 15)
        settle(app)
        save(sd, out / f"settings-{kind}{suffix}.png")
        sd.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--text-scale", type=float, default=1.0, help="2.0: text at 200 %%")
    parser.add_argument("--only-big", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--modem-dialogs", action="store_true", help="only the modem dialogs")
    parser.add_argument("--only", default="", help="write only these (comma-separated names)")
    args = parser.parse_args(argv)
    ONLY.update(n.strip().removesuffix(".png") for n in args.only.split(",") if n.strip())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from desk.base import logs as logsetup
    from desk.read import queries
    from modem.events import ModemState
    from ui import qtlog, session

    qtlog.install()
    app = QApplication.instance() or QApplication(["textdesk"])
    app.setApplicationName("TextDesk")
    if args.text_scale != 1.0:
        font = app.font()
        font.setPointSizeF(font.pointSizeF() * args.text_scale)
        app.setFont(font)
    if args.modem_dialogs:
        modem_dialogs(app, out, "-200-percent" if args.text_scale != 1.0 else "")
        return 0
    profile, tmp = session.temp_profile("textdesk-shots-")
    logsetup.configure(profile)
    s = session.start(profile, virtual=True, customer=False, demo_data=True, tmp=tmp)
    w = s.window
    try:
        w.resize(1366, 768)
        w.show()
        wait(app, lambda: s.engine.modem_status.state == ModemState.READY)
        s.engine.query_balance()
        wait(app, lambda: w.status.balance.text() not in ("SIM balance", "Asking…"), 10)
        settle(app)

        def open_number(number: str) -> None:
            cid = queries.conversation_for_number(number)
            w.list.select(cid)
            settle(app)

        if args.only_big or args.text_scale != 1.0:
            open_number("+12025550106")
            save(w, out / "main-window-200-percent.png")
            staff_scene(app, s, out, "-200-percent")
            return 0

        open_number("+12025550112")  # Olivia: an ordinary open conversation
        save(w, out / "main-window.png")

        open_number("+12025550106")  # Ahmed: delivered, sent, and one that may not have gone out
        save(w, out / "thread-states.png")

        open_number("+12025550105")  # Chloé: French reply with an emoji -> Unicode warning
        w.thread.composer.edit.setPlainText(
            "Parfait Chloé, jeudi 14h c’est noté – à bientôt ! Anna"
        )
        settle(app)
        save(w.thread, out / "composer-unicode.png")
        w.thread.composer.clear()

        open_number("+12025550108")  # Greg: opted out
        w.toggle_contact()
        settle(app)
        save(w, out / "opted-out-and-customer.png")
        w.toggle_contact()

        from desk.store.settings import Settings
        from ui.new_conversation import NewConversationDialog
        from ui.settings_dialog import SettingsDialog

        dlg = NewConversationDialog(country="US", parent=w)
        dlg.input.setText("202 555 0147")
        dlg.show()
        settle(app)
        save(dlg, out / "new-conversation.png")
        dlg.close()

        st = s.engine.modem_status
        connected = " · ".join(x for x in (st.port, st.manufacturer, st.model) if x)
        sd = SettingsDialog(
            Settings().all(), apply=lambda _c, done: done(None), connected=connected, parent=w
        )
        sd.tabs.setCurrentIndex(1)
        sd.show()
        wait(app, lambda: "Looking" not in sd.probe_result.text(), 15)
        settle(app)
        save(sd, out / "settings.png")
        sd.close()

        from desk.automations import keywords
        from ui import automation_actions

        s.engine.call(
            keywords.add, "Hours", "We are open Mon-Fri 9-6, Sat 10-2. {shop}", clock=s.engine.clock
        ).result(10)
        s.engine.call(
            keywords.add, "Address", "12 High Street, next to the pharmacy.", clock=s.engine.clock
        ).result(10)
        page = automation_actions.open_automations(w)
        page.hours.setText("mon-fri 09:00-18:00; sat 10:00-14:00")
        page.closed.setText("2026-12-25, 2026-12-26")
        page.away_on.setChecked(True)
        page.call_on.setChecked(True)
        page.resize(980, 760)
        settle(app, 1.0)
        save(page, out / "automations.png")
        page.reject()
        insight = automation_actions.open_insight(w)
        insight.resize(1366, 768)
        wait(app, lambda: insight.report is not None, 15)
        settle(app, 0.5)
        save(insight, out / "insight.png")
        insight.reject()
        modem_dialogs(app, out, kinds=False)
        staff_scene(app, s, out)  # last: with staff the window shows their filters from here on
    finally:
        s.close()

    env = dict(os.environ)
    big = subprocess.run(
        [sys.executable, __file__, "--out", str(out), "--text-scale", "2", "--only-big"]
        + (["--only", ",".join(sorted(ONLY))] if ONLY else []),
        env=env,
        check=False,
    )
    return big.returncode


if __name__ == "__main__":
    sys.exit(main())
