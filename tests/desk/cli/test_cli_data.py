"""``textdesk export / backup / restore / erase / search / retention`` through desk.cli.main.main."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.base.clock import to_db
from desk.cli.main import main
from desk.store.db import close_database, open_database
from desk.store.models import AuditLog, ConsentEvent, Contact, Conversation, Message

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime.now(UTC)


@pytest.fixture
def profile_dir(tmp_path) -> Path:
    """A profile with two customers and a few messages (the database closed again)."""
    root = tmp_path / "p"
    open_database(root / "textdesk.sqlite3")
    anna = Contact.create(number="+12025550101", name="Anna Park", created_at=to_db(NOW))
    bob = Contact.create(
        number="+12025550102", name="Bob Ray", opted_out=True, created_at=to_db(NOW)
    )
    ca = Conversation.create(contact=anna, last_activity_at=to_db(NOW))
    cb = Conversation.create(contact=bob, last_activity_at=to_db(NOW - timedelta(days=1)))
    Message.create(conversation=ca, direction="in", body="Is the bike fixed?", state="received",
                   created_at=to_db(NOW - timedelta(days=400)))  # fmt: skip
    Message.create(conversation=ca, direction="out", body="Yes, pick it up anytime", state="delivered",
                   created_at=to_db(NOW - timedelta(hours=1)))  # fmt: skip
    Message.create(conversation=cb, direction="in", body="STOP", state="received",
                   created_at=to_db(NOW - timedelta(days=1)))  # fmt: skip
    Message.create(conversation=cb, direction="out", body="queued long ago", state="queued",
                   created_at=to_db(NOW - timedelta(days=500)))  # fmt: skip
    ConsentEvent.create(contact=bob, number=bob.number, kind="opt_out", method="keyword",
                        text="STOP", at=to_db(NOW - timedelta(days=1)))  # fmt: skip
    close_database()
    return root


@pytest.fixture
def run(profile_dir, capsys):
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--profile", str(profile_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    close_database()


def test_export_json_to_stdout(run) -> None:
    code, out, err = run("export", "--json")
    assert code == 0, err
    data = json.loads(out)
    convs = {c["contact"]["number"]: c for c in data["conversations"]}
    assert [m["state"] for m in convs["+12025550101"]["messages"]] == ["received", "delivered"]
    assert convs["+12025550102"]["contact"]["opted_out"] is True
    assert all(m["created_utc"].endswith("Z") for c in convs.values() for m in c["messages"])
    assert AuditLog.select().where(AuditLog.action == "exported").count() == 1


def test_export_one_conversation_by_national_number(run) -> None:
    code, out, _ = run("export", "--conversation", "(202) 555-0102")
    assert code == 0
    data = json.loads(out)
    assert [c["contact"]["name"] for c in data["conversations"]] == ["Bob Ray"]
    code, _, err = run("export", "--conversation", "+12025550199")
    assert code == 1 and err.strip() == "textdesk: No customer with the number +12025550199."
    code, _, err = run("export", "--conversation", "not a number")
    assert code == 1 and err.startswith("textdesk: ") and len(err.strip().splitlines()) == 1


def test_export_csv_file_and_stdout(run, tmp_path) -> None:
    target = tmp_path / "all.csv"
    code, out, err = run("export", "--csv", str(target))
    assert code == 0 and out == "" and "wrote 4 messages" in err
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert {r["body"] for r in rows} >= {"Is the bike fixed?", "STOP"}
    code, out, _ = run("export", "--csv", "-", "--conversation", "+12025550101")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["state"] for r in rows] == ["received", "delivered"]


def test_export_without_a_profile_is_one_clear_line(tmp_path, capsys) -> None:
    code = main(["--profile", str(tmp_path / "empty"), "export", "--json"])
    _, err = capsys.readouterr()
    assert code == 1 and "There is no TextDesk data" in err and len(err.strip().splitlines()) == 1


def test_search(run) -> None:
    code, out, _ = run("search", "bike")
    assert code == 0 and "[bike]" in out and "Anna Park" in out and "message" in out
    code, out, _ = run("search", "555 0102")
    assert code == 0 and "Bob Ray" in out and "[contact]" in out
    code, out, _ = run("search", '"unbalanced', "AND", "*")
    assert code == 0 and "nothing found" in out


def test_backup_and_restore(run, profile_dir, tmp_path) -> None:
    code, out, err = run("backup")
    assert code == 0, err
    path = Path(out.strip().removeprefix("backup written to "))
    assert path.parent == profile_dir / "backups" and path.exists()
    code, out, _ = run("backup", str(tmp_path / "mine.sqlite3"))
    assert code == 0 and (tmp_path / "mine.sqlite3").exists()
    code, _, err = run("backup", str(tmp_path / "mine.sqlite3"))
    assert code == 1 and "already exists" in err

    code, _, _ = run("erase", "+12025550101", "--yes")
    assert code == 0
    code, out, err = run("restore", str(tmp_path / "mine.sqlite3"))
    assert code == 0, err
    assert "previous database was kept" in out
    code, out, _ = run("search", "bike")
    assert "Anna Park" in out  # she is back

    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("nope")
    code, _, err = run("restore", str(bogus))
    assert code == 1 and "not an SQLite database" in err and len(err.strip().splitlines()) == 1


def test_restore_refused_while_engine_runs(run, profile_dir, tmp_path) -> None:
    from desk.base.lock import ProfileLock

    run("backup", str(tmp_path / "b.sqlite3"))
    with ProfileLock(profile_dir / "engine.lock", mode="serve"):
        code, _, err = run("restore", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "running for this profile" in err


def test_erase_needs_yes(run) -> None:
    code, _, err = run("erase", "+12025550102")
    assert code == 1 and "--yes" in err and "2 messages" in err
    assert Contact.select().count() == 2
    code, out, _ = run("erase", "+12025550102", "--yes")
    assert code == 0 and "opt-out is kept" in out
    assert Contact.select().count() == 1
    (fact,) = ConsentEvent.select()
    assert fact.method == "erasure" and fact.number == "+12025550102"
    code, _, err = run("erase", "+12025550102", "--yes")
    assert code == 1 and "No customer" in err


def test_retention_preview_and_apply(run) -> None:
    code, out, _ = run("retention")
    assert code == 0 and "off" in out
    code, out, _ = run("retention", "--days", "365")
    assert code == 0 and out.startswith("1 messages are older than 365 days")
    assert Message.select().count() == 4
    code, out, _ = run("config", "retention_days", "365")
    code, out, _ = run("retention", "--apply")
    assert code == 0 and "deleted 1 messages" in out
    states = sorted(m.state for m in Message.select())
    assert states == ["delivered", "queued", "received"]  # the old queued one is never deleted
    code, _, err = run("retention", "--days", "-3")
    assert code == 2 and "0 or more" in err


def test_real_entry_point_prints_json(profile_dir) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "desk.cli.main", "--profile", str(profile_dir), "export", "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["conversations"]) == 2
