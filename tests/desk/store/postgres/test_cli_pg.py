"""The command line on the shop's PostgreSQL server (the real one, tests/helpers/postgres.py):
``database move`` of the demo shop, then status, search, report and export reading the server,
``--database`` for one run, backup/restore refused in plain words, the password in the keyring."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from desk.base.paths import resolve_profile
from desk.base.secrets import DATABASE_PASSWORD, SERVICE
from desk.cli.main import is_subcommand, main
from desk.demo import shop
from desk.store.db import close_database, open_database
from tests.helpers.keyring_memory import MemoryKeyring


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    close_database()
    return code, out, err


@pytest.fixture
def moved(tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """A demo shop's profile moved to the server with ``textdesk database move``."""
    prof = str(tmp_path / "profile")
    open_database(resolve_profile(prof).ensure().db_path)
    shop.populate()
    close_database()
    code, out, err = run(capsys, "--profile", prof, "database", "move", pg_url)
    assert (code, err) == (0, ""), err
    assert "every row verified" in out and "database use" in out
    return prof


def test_move_points_the_profile_at_the_server(moved: str, pg_url: str, capsys) -> None:
    profile = resolve_profile(moved)
    assert profile.database_url == pg_url
    assert stat.S_IMODE(os.stat(profile.database_file).st_mode) == 0o600
    assert json.loads(profile.database_file.read_text()) == {"url": pg_url}
    code, out, _ = run(capsys, "database", "--profile", moved)
    assert code == 0 and "the shop's server 127.0.0.1" in out
    code, _, err = run(capsys, "--profile", moved, "database", "move", pg_url)
    assert code == 1 and "already on a server" in err


def test_status_search_report_and_export_read_the_server(moved: str, capsys) -> None:
    code, out, err = run(capsys, "--profile", moved, "status")
    assert code == 0, err
    assert "(the shop's server)" in out and "incoming:" in out and "last messages:" in out
    code, out, err = run(capsys, "--profile", moved, "search", "appointment")
    assert code == 0 and "[message" in out and "[appointment" in out.lower(), err
    code, out, err = run(capsys, "--profile", moved, "report", "--csv")
    assert code == 0, err
    assert out.splitlines()[0].startswith("day,texts_in,texts_out")
    assert sum(int(line.split(",")[1]) for line in out.splitlines()[1:]) > 0
    code, out, err = run(capsys, "--profile", moved, "report")
    assert code == 0 and "First reply: median" in out, err
    code, out, err = run(capsys, "--profile", moved, "export")
    assert code == 0, err
    assert len(json.loads(out)["conversations"]) > 3


def test_backup_and_restore_say_to_use_pg_dump(moved: str, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "--profile", moved, "backup")
    assert code == 1 and "pg_dump" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--profile", moved, "restore", str(tmp_path / "x.sqlite3"))
    assert code == 1 and "pg_restore" in err and "Traceback" not in err


def test_database_for_one_run_and_use_sqlite_again(tmp_path: Path, pg_url: str, capsys) -> None:
    prof = str(tmp_path / "counter2")
    assert is_subcommand(["--database", pg_url, "status"])
    code, out, err = run(capsys, "--profile", prof, "--database", pg_url, "status")
    assert code == 0 and "(the shop's server)" in out and "outgoing:" in out, err
    assert not resolve_profile(prof).database_file.exists()  # one run only
    code, out, err = run(capsys, "--profile", prof, "database", "use", pg_url)
    assert code == 0 and resolve_profile(prof).database_url == pg_url, err
    code, out, _ = run(capsys, "--profile", prof, "database", "use", "--sqlite")
    assert code == 0 and resolve_profile(prof).database_url is None
    code, _, err = run(capsys, "--profile", prof, "database", "use",
                       pg_url.replace("textdesk@", "textdesk:secret@"))  # fmt: skip
    assert code == 1 and "password store" in err


def test_the_password_goes_to_the_keyring(
    keyring_memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    code, out, _ = run(capsys, "database-password")
    assert code == 0 and "Stored" in out and "s3cret" not in out
    assert keyring_memory.store[(SERVICE, DATABASE_PASSWORD)] == "s3cret pass"
    code, out, _ = run(capsys, "database-password", "--forget")
    assert code == 0 and (SERVICE, DATABASE_PASSWORD) not in keyring_memory.store


def test_send_and_config_write_to_the_server(tmp_path: Path, pg_url: str, capsys) -> None:
    """Their db.atomic("IMMEDIATE") (SQLite's lock type) is a plain transaction on the server."""
    prof = str(tmp_path / "counter3")
    code, out, err = run(capsys, "--profile", prof, "--database", pg_url, "config", "shop_name",
                         "Smile")  # fmt: skip
    assert (code, out.strip()) == (0, "shop_name = Smile"), err
    code, out, err = run(capsys, "--profile", prof, "--database", pg_url, "send", "+12025550143",
                         "Your car is ready")  # fmt: skip
    assert code == 0 and "queued message 1" in out, err
    code, out, _ = run(capsys, "--profile", prof, "--database", pg_url, "status")
    assert "queued 1" in out and "Your car is ready" in out
