"""Help › Save modem log…: the AT modem's trace (``modem-trace.log`` in the log folder, masked:
no SIM PIN, no message text) copied to a file the user picks, for support.

The core says where the trace is (``desk.engine.links.trace_path``); it rotates, so the older
files (``.3`` … ``.1``) come first and the current one last. Copying runs on a worker thread.
When there is no trace yet the user gets one plain sentence instead of an empty file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from desk.base.paths import Profile
from desk.engine import links
from ui import ports

if TYPE_CHECKING:  # the window's menus import this module
    from ui.main_window import MainWindow

ROTATIONS = 9  # more than the trace keeps; the missing ones are skipped


def trace_files(profile: Profile) -> list[Path]:
    """The trace's files that exist, oldest first."""
    current = links.trace_path(profile)
    older = [current.with_name(f"{current.name}.{n}") for n in range(ROTATIONS, 0, -1)]
    return [p for p in [*older, current] if p.is_file()]


def copy_trace(files: list[Path], target: Path) -> int:
    """Write ``files`` one after the other to ``target`` (readable by its owner only: the trace
    holds customers' numbers); the number of bytes written."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except (AttributeError, OSError):  # no fchmod on Windows; the file keeps the user's ACL
        pass
    written = 0
    with os.fdopen(fd, "wb") as out:
        for path in files:
            data = path.read_bytes()
            out.write(data)
            written += len(data)
    return written


def no_log_text(kind: str) -> str:
    if kind == "hilink":
        return (
            "There is no modem log: a HiLink stick is driven through its web page, not AT "
            "commands, so there is no modem conversation to keep. TextDesk's own log is under "
            "Help › Where are the logs?"
        )
    if kind == "android":
        return (
            "There is no modem log: the Android phone is driven through its gateway app, not AT "
            "commands, so there is no modem conversation to keep. TextDesk's own log is under "
            "Help › Where are the logs?"
        )
    return (
        "There is no modem log yet. TextDesk starts one as soon as it talks to a USB modem; "
        "plug the modem in, wait until the status bar shows it, then try again."
    )


def save_modem_log(window: QMainWindow, profile: Profile, kind: str) -> None:
    """Ask where to save the modem log and copy it there (off the GUI thread)."""
    files = trace_files(profile)
    if not files:
        QMessageBox.information(window, "Save modem log", no_log_text(kind))
        return
    path, _ = QFileDialog.getSaveFileName(
        window,
        "Save modem log",
        str(Path.home() / "textdesk-modem-log.txt"),
        "Text (*.txt *.log)",
    )
    if not path:
        return
    target = Path(path)

    def copied(size: int | None, err: str | None) -> None:
        if err is not None or size is None:
            QMessageBox.warning(
                window, "Save modem log", f"Could not write {target}: {err or 'unknown error'}"
            )
            return
        window.statusBar().showMessage(f"Modem log saved to {target}", 8000)

    ports.run_async(window, lambda: copy_trace(files, target), copied)


def save_from_window(window: MainWindow) -> None:
    """The menu's action: the window's profile, and the kind of modem it drives now."""
    engine = window.engine
    kind = str(engine.modem_kind or window.settings.get("modem_kind") or "at")
    save_modem_log(window, engine.profile, kind)
