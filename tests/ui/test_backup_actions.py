"""File › Back up now… and Restore from a backup… in the real window (offscreen) on the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desk.base.events import ModemState
from desk.base.paths import resolve_profile, write_database_url
from tests.ui.conftest import Desk
from ui import backup_actions


def test_back_up_now_writes_the_file_and_says_what_erasure_means(
    desk: Any, monkeypatch, tmp_path
) -> None:
    target = tmp_path / "shop.sqlite3"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _w, _t, text: said.append(text))
    backup_actions.backup_now(desk.window)
    desk.wait(lambda: said)
    assert target.exists() and target.stat().st_mode & 0o077 == 0
    assert said[0].startswith(f"Backup written to {target}.")
    assert "a customer erased later is still in this file" in said[0]


def test_restore_asks_then_closes_and_hands_over_to_textdesk_restore(
    desk: Any, monkeypatch, tmp_path
) -> None:
    target = tmp_path / "shop.sqlite3"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QMessageBox, "information", lambda *a: None)
    backup_actions.backup_now(desk.window)
    desk.wait(target.exists)
    asked: list[str] = []

    def question(_w, _t, text):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    spawned: list[list[str]] = []
    quit_calls: list[bool] = []
    monkeypatch.setattr(desk.window, "quit_app", lambda: quit_calls.append(True))
    backup_actions.restore_from(desk.window, spawn=spawned.append, path=str(target))
    desk.wait(lambda: spawned)
    assert "Customers erased since the backup come back" in asked[0]
    argv = spawned[0]
    assert argv[-7:] == [
        "restore", str(target), "--profile", str(desk.engine.profile.data_dir), "--wait", "30",
        "--then-open",
    ]  # fmt: skip
    assert quit_calls == [True]


def test_a_file_that_is_not_a_backup_is_refused_in_one_sentence(
    desk: Any, monkeypatch, tmp_path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, _t, text: warned.append(text))
    backup_actions.restore_from(desk.window, spawn=lambda argv: None, path=str(bad))
    desk.wait(lambda: warned)
    assert warned[0].startswith("This file cannot be restored:")


@pytest.fixture
def server_desk(qtbot: Any, tmp_path: Path, pg_url: str) -> Iterator[Desk]:
    """The real window on a profile whose database is the shop's PostgreSQL server."""
    from ui import session

    write_database_url(tmp_path / "profile", pg_url)
    profile = resolve_profile(tmp_path / "profile").ensure()
    s = session.start(profile, virtual=True, customer=False, demo_data=True)
    qtbot.addWidget(s.window)
    s.window.show()
    d = Desk(s, qtbot)
    try:
        d.wait(lambda: s.engine.modem_status.state == ModemState.READY, timeout=30)
        yield d
    finally:
        s.close()


def test_on_the_server_back_up_now_says_pg_dump_and_vacuum_and_writes_no_file(
    server_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = server_desk.window
    assert w.engine.profile.on_server
    asked: list[object] = []

    def pick(*a: object, **_k: object) -> tuple[str, str]:
        asked.append(a)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _w, _t, text: said.append(text))
    backup_actions.backup_now(w)
    server_desk.wait(lambda: said)
    assert asked == []  # no SQLite file to pick: the data is the server's
    assert "pg_dump -Fc -f shop.dump" in said[0]
    assert backup_actions.SERVER_ERASURE_NOTE in said[0]
    assert "pg_dump backups" in said[0] and "VACUUM" in said[0]
    assert "still in this file" not in said[0]  # the SQLite words would not be true here
    assert backup_actions.erasure_note(w) == backup_actions.SERVER_ERASURE_NOTE
    assert not w.engine.profile.db_path.exists()


def test_on_the_server_restore_points_to_pg_restore(
    server_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _w, _t, text: said.append(text))
    spawned: list[list[str]] = []
    backup_actions.restore_from(server_desk.window, spawn=spawned.append, path="/tmp/x.sqlite3")
    assert "pg_restore" in said[0] and "erase them again" in said[0]
    assert spawned == []


def test_on_the_sqlite_file_the_note_speaks_of_the_file(desk: Any) -> None:
    assert backup_actions.erasure_note(desk.window) == backup_actions.ERASURE_NOTE
