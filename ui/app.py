"""``textdesk``: subcommands go to desk.cli.main; otherwise open the desk window.

textdesk [--profile DIR] [--database URL] [--modem at|hilink|android] [--port DEVICE|URL] [--demo]
         [--self-test]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desk.base.lock import ProfileLocked
from desk.base.paths import Profile
from desk.cli.commands import is_subcommand

if TYPE_CHECKING:  # Qt is imported when the window opens, not for a CLI subcommand
    from PySide6.QtWidgets import QWidget

    from ui.session import Session

log = logging.getLogger("textdesk")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="textdesk", description="TextDesk: customer service by SMS.")
    p.add_argument("--profile", metavar="DIR", help="keep all data, logs and backups under DIR")
    p.add_argument(
        "--modem",
        choices=("at", "hilink", "android"),
        help="the kind of modem: at (USB modem), hilink (HiLink stick), android (phone app); "
        "default: the modem_kind setting (with --demo: the virtual device of that kind)",
    )
    p.add_argument(
        "--port",
        metavar="DEVICE|URL",
        help="the modem's serial port or ser2net URL, or the stick's or phone's address "
        "(default: the settings, else find it)",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="the shop's PostgreSQL server for this run, postgresql://user@host/db (default: "
        "the profile's database.json, else this PC's own file)",
    )
    p.add_argument(
        "--demo", action="store_true", help="sample customers and a virtual modem (throwaway)"
    )
    p.add_argument(
        "--self-test", action="store_true", help="check the whole app end to end, offscreen"
    )
    # For the build's start-time budget: quit once the window is shown and idle.
    p.add_argument("--quit-when-shown", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if is_subcommand(argv):
        from desk.cli import main as cli  # the parser and its handlers: not for the window

        return int(cli.main(argv) or 0)
    args = parse_args(argv)
    if args.self_test:
        from ui.selftest import run

        return run()
    return run_window(args)


def run_window(args: argparse.Namespace) -> int:
    from ui import qtlog

    previous = qtlog.install()  # Qt's messages go to our log (a windowed build has no stderr)
    try:
        return _run_window(args)
    finally:
        qtlog.restore(previous)


def _run_window(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desk.base import logs as logsetup
    from desk.base.paths import resolve_profile
    from ui import resources, session
    from ui.crash import CrashHandler
    from ui.single_instance import InstanceServer, ask_running

    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] if sys.argv else "textdesk"])
    )
    app.setApplicationName("TextDesk")
    app.setDesktopFileName("textdesk")
    app.setWindowIcon(resources.app_icon())

    demo = bool(args.demo)
    tmp = None
    if demo:
        profile, tmp = session.temp_profile("textdesk-demo-")
    else:
        profile = resolve_profile(args.profile, database=args.database).ensure()
    logsetup.configure(profile)
    crash = CrashHandler(profile.log_path, profile.crash_path)
    previous = crash.previous_crash()
    crash.install()
    log.info("TextDesk starting, profile %s%s", profile.data_dir, " (demo)" if demo else "")

    if not demo and ask_running(profile.data_dir):
        print(
            "TextDesk is already open: its window was brought forward.",
            file=sys.stderr or sys.__stderr__,
        )
        return 0

    wizard_choice = None
    first_settings: dict[str, str] | None = None
    if not demo and args.port and not profile.db_path.exists() and not args.quit_when_shown:
        # The modem is given, so the wizard is skipped; the shop's name is still asked, or
        # every STOP and HELP reply would be signed "Our shop".
        first_settings = _ask_shop_name()
    if not demo and not args.port and not profile.on_server and not profile.db_path.exists():
        from ui.first_run import FirstRunWizard
        from ui.modem_work import Keyring

        wizard = FirstRunWizard(secret_store=Keyring())
        if not wizard.exec():
            return 0
        wizard_choice = wizard
        if wizard.mode == "demo":
            demo = True
            profile, tmp = session.temp_profile("textdesk-demo-")

    try:
        s = session.start(
            profile,
            port=None if demo else args.port,
            virtual=demo,
            customer=True,
            demo_data=demo,
            tmp=tmp,
            modem=args.modem,
            # The wizard's modem is saved before the engine starts, so it starts on that one.
            first_settings=wizard_choice.changes()
            if wizard_choice is not None and wizard_choice.mode == "modem"
            else first_settings,
        )
    except Exception as exc:
        log.exception("could not start")
        QMessageBox.critical(None, "TextDesk cannot start", _start_error(exc, profile))
        crash.uninstall()
        return 1

    server = InstanceServer(profile.data_dir)
    if not demo:
        server.listen()
    server.showRequested.connect(s.window.bring_forward)
    window = s.window
    # Closing the window keeps TextDesk running (ui.keep_running); File › Quit stops it.
    app.setQuitOnLastWindowClosed(False)
    window.quitRequested.connect(app.quit)
    if demo:
        window.title_suffix = "  [demo]"  # kept when the unread count changes the title
        window.update_counts()
        QTimer.singleShot(6000, lambda: _demo_incoming(s))
    window.show()
    if args.quit_when_shown:
        QTimer.singleShot(0, app.quit)
    if previous:
        QTimer.singleShot(0, lambda: _show_previous_crash(window, previous, profile.crash_path))
    try:
        return int(app.exec())
    finally:
        server.close()
        s.close()
        crash.uninstall()


def _start_error(exc: Exception, profile: Profile) -> str:
    if isinstance(exc, ProfileLocked):
        return (
            f"{exc}\n\nTextDesk is already running for this shop's data — maybe as the background "
            "service (“textdesk serve”). Stop that first, or use the window that is already open."
        )
    return f"{exc}\n\nDetails are in the log: {profile.log_path}"


def _show_previous_crash(parent: QWidget, text: str, path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("TextDesk stopped unexpectedly last time")
    box.setText("TextDesk crashed the last time it ran. Your messages are safe.")
    box.setInformativeText(f"The crash report was kept next to {path}.")
    box.setDetailedText(text)
    box.open()


def _demo_incoming(s: Session) -> None:
    if s.vm is None or s.closed:
        return
    try:
        s.vm.control(
            {
                "cmd": "deliver",
                "from": "+12025550102",
                "text": "Also – can my wife come along at 10:30? 🙂",
            }
        )
    except Exception:
        log.exception("demo delivery failed")


def _ask_shop_name() -> dict[str, str] | None:
    """One question at a first start without the wizard: the name customers will read."""
    from PySide6.QtWidgets import QInputDialog

    name, ok = QInputDialog.getText(
        None,
        "TextDesk",
        "Your shop's name, as customers will see it in TextDesk's replies\n"
        "(“You will get no more texts from Smile Dental…”):",
    )
    name = name.strip()
    return {"shop_name": name} if ok and name else None


if __name__ == "__main__":
    sys.exit(main())
