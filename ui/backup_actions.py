"""File › Back up now… and Restore from a backup…: what ``textdesk backup`` / ``restore`` do, from
the window, with what they mean for erased customers said plainly.

A backup is an online copy (SQLite's backup API on its own connection) written off the GUI
thread. A restore replaces the database, which the running engine holds: TextDesk closes, a
``textdesk restore --wait --then-open`` started just before waits for it to let go, restores
(keeping the current database as a copy next to it) and opens the window again.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from desk.base import autostart
from desk.base.clock import SystemClock
from desk.data import backup
from desk.store.db import server_params
from ui import ports

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ERASURE_NOTE = (
    "A backup keeps everything as it is now: a customer erased later is still in this file. "
    "Keep backups where only the shop can read them, and erase that customer again after "
    "restoring an older backup."
)
# The shop's PostgreSQL server (desk.compliance.erase.backup_note): its backups are pg_dump
# files made on the server, and the server keeps a deleted row's old version until VACUUM.
SERVER_ERASURE_NOTE = (
    "The server's pg_dump backups keep everything as it was when they were made: a customer "
    "erased later is still in them, and the server keeps the erased rows' old copies until "
    "VACUUM reuses the space. Keep pg_dump files where only the shop can read them, and erase "
    "that customer again after restoring an older one."
)
WAIT_SECONDS = 30


def erasure_note(w: MainWindow) -> str:
    """What an erasure leaves in backups, for this window's database: SQLite backup files, or
    the shop server's pg_dump backups."""
    return SERVER_ERASURE_NOTE if w.engine.profile.on_server else ERASURE_NOTE


def _server_name(w: MainWindow) -> str:
    url = w.engine.profile.database_url or ""
    params = server_params(url)
    return f"{params.get('host', 'the server')}/{params.get('database', '')}".rstrip("/")


def backup_now(w: MainWindow) -> None:
    profile = w.engine.profile
    if profile.on_server:  # no file here to copy: the data is the server's
        database = server_params(profile.database_url or "").get("database", "DBNAME")
        QMessageBox.information(
            w,
            "Back up",
            f"TextDesk's data is on the shop's server ({_server_name(w)}), not in a file on this "
            f"computer, so it is backed up there: pg_dump -Fc -f shop.dump {database} (whoever "
            f"looks after the server does it).\n\n{SERVER_ERASURE_NOTE}",
        )
        return
    suggested = profile.backup_dir / f"textdesk-{SystemClock().now():%Y%m%d-%H%M}.sqlite3"
    name, _ = QFileDialog.getSaveFileName(
        w, "Back up TextDesk", str(suggested), "TextDesk backup (*.sqlite3)"
    )
    if not name:
        return

    def done(path: Path | None, error: str | None) -> None:
        if path is None:
            QMessageBox.warning(w, "Back up", f"No backup was written: {error}")
            return
        QMessageBox.information(w, "Back up", f"Backup written to {path}.\n\n{erasure_note(w)}")

    ports.run_async(w, lambda: backup.backup(name, source=profile.db_path), done)


def restore_from(
    w: MainWindow, *, spawn: Callable[[list[str]], object] | None = None, path: str | None = None
) -> None:
    """Ask for a backup file, say what restoring it means, then close and restore."""
    if w.engine.profile.on_server:
        QMessageBox.information(
            w,
            "Restore",
            f"TextDesk's data is on the shop's server ({_server_name(w)}): a pg_dump backup is "
            "restored there with pg_restore (into an empty database), not from this window. "
            "Customers erased since that backup come back: erase them again.",
        )
        return
    if path is None:
        path, _ = QFileDialog.getOpenFileName(
            w, "Restore from a backup", str(w.engine.profile.backup_dir),
            "TextDesk backup (*.sqlite3);;All files (*)",
        )  # fmt: skip
    if not path:
        return
    chosen = path

    def checked(version: int | None, error: str | None) -> None:
        if version is None:
            QMessageBox.warning(w, "Restore", f"This file cannot be restored: {error}")
            return
        when = backup.backup_time(Path(chosen))
        made = f" made {when:%d %b %Y %H:%M} UTC" if when else ""
        answer = QMessageBox.question(
            w,
            "Restore",
            f"Replace everything in TextDesk with the backup {Path(chosen).name}{made}?\n\n"
            "Texts and changes since then are kept in a copy of today's database, not in the "
            "window. Customers erased since the backup come back: erase them again. TextDesk "
            "closes, restores and opens again; texts that arrive meanwhile wait on the SIM.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        argv = [
            *autostart.command(), "restore", chosen, "--profile", str(w.engine.profile.data_dir),
            "--wait", str(WAIT_SECONDS), "--then-open",
        ]  # fmt: skip
        (spawn or _spawn)(argv)
        w.quit_app()

    ports.run_async(w, lambda: backup.inspect(chosen), checked)


def _spawn(argv: list[str]) -> None:
    subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL)
