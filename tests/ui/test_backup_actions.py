"""File › Back up now… and Restore from a backup… in the real window (offscreen) on the real engine."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox

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
