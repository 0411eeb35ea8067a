"""``textdesk contacts / keywords / automations / report`` through desk.cli.main.main on a real
profile: one plain line for every refusal, nothing changed without --yes."""

from __future__ import annotations

import csv
import io

import pytest

from desk.cli.main import main
from desk.store.db import close_database
from desk.store.models import AuditLog, Contact


@pytest.fixture
def run(tmp_path, capsys):
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--profile", str(tmp_path / "p"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert invoke("config", "timezone", "America/New_York")[0] == 0
    yield invoke
    close_database()


def test_contacts_import_previews_then_merges_only_with_yes(run, tmp_path):
    path = tmp_path / "phone.csv"
    path.write_text("Name,Mobile,Groups\nAnna,2015550123,VIP\nBob,12,\n", encoding="utf-8")
    code, out, err = run("contacts", "import", str(path))
    assert code == 1 and "Nothing changed: add --yes" in err
    assert "! line 3: Bob: “12” is not a phone number." in out
    assert Contact.select().count() == 0
    code, out, _ = run("contacts", "import", str(path), "--yes")
    assert code == 0 and "1 added" in out
    assert Contact.get().tag_list == ["vip"]
    vcf = tmp_path / "out.vcf"
    code, out, _ = run("contacts", "export", str(vcf))
    assert code == 0 and out.strip() == f"1 contact(s) written to {vcf}"
    assert "TEL;TYPE=CELL:+12015550123" in vcf.read_text()
    assert vcf.stat().st_mode & 0o077 == 0  # customer data: owner only


def test_contacts_import_of_a_bad_file_is_one_line(run, tmp_path):
    path = tmp_path / "photo.vcf"
    path.write_bytes(b"\x89PNG\x00\x00\x00")
    code, out, err = run("contacts", "import", str(path), "--yes")
    assert code == 1 and err.count("\n") == 1 and "not a text file" in err
    assert "Traceback" not in out + err


def test_keywords_add_list_switch_and_reserved(run):
    assert run("keywords", "add", "Hours", "Open", "Mon-Fri", "9-5")[0] == 0
    code, _, err = run("keywords", "add", "STOP", "no")
    assert code == 1 and "is reserved" in err
    assert run("keywords", "off", "HOURS")[1].strip() == "HOURS is off"
    assert run("keywords")[1].strip() == "off  HOURS            Open Mon-Fri 9-5"
    code, _, err = run("keywords", "delete", "prices")
    assert code == 1 and "There is no keyword answer for “prices”." in err
    assert run("keywords", "delete", "hours")[0] == 0


def _keyword_lines() -> list[tuple[str, str | None]]:
    query = (
        AuditLog.select().where(AuditLog.detail.startswith("keyword answer")).order_by(AuditLog.id)
    )
    return [(line.detail, line.staff) for line in query]


def test_keywords_audit_lines_carry_the_staff_option_else_the_staff_name_setting(run):
    assert run("keywords", "add", "Hours", "Open", "9-5", "--staff", "Ben")[0] == 0
    assert run("keywords", "off", "hours", "--staff", "Anna")[0] == 0
    assert run("keywords", "on", "hours")[0] == 0  # nobody named, no staff_name set: nobody
    assert run("config", "staff_name", "Front desk")[0] == 0
    assert run("keywords", "delete", "hours")[0] == 0  # the setting, as textdesk send does
    assert _keyword_lines() == [
        ("keyword answer added: hours", "Ben"),
        ("keyword answer changed: hours", "Anna"),
        ("keyword answer changed: hours", None),
        ("keyword answer deleted: hours", "Front desk"),
    ]
    code, out, err = run("keywords", "add", "prices", "See", "us", "--staff", "B\udcffn")
    assert code == 1 and err.count("\n") == 1 and "--staff" in err and "not UTF-8" in err
    assert "Traceback" not in out + err
    assert len(_keyword_lines()) == 4


def test_contacts_import_audit_line_carries_the_staff_option_else_the_setting(run, tmp_path):
    path = tmp_path / "phone.csv"
    path.write_text("Name,Mobile\nAnna,2015550123\n", encoding="utf-8")
    assert run("contacts", "import", str(path), "--yes", "--staff", "Ben")[0] == 0
    path.write_text("Name,Mobile\nBob,2015550124\n", encoding="utf-8")
    assert run("contacts", "import", str(path), "--yes")[0] == 0
    assert run("config", "staff_name", "Front desk")[0] == 0
    path.write_text("Name,Mobile\nCara,2015550125\n", encoding="utf-8")
    assert run("contacts", "import", str(path), "--yes")[0] == 0
    lines = AuditLog.select().where(AuditLog.action == "imported").order_by(AuditLog.id)
    assert [(line.detail, line.staff) for line in lines] == [
        ("contacts from csv: 1 added, 0 named, 0 tagged, 0 rejected", "Ben"),
        ("contacts from csv: 1 added, 0 named, 0 tagged, 0 rejected", None),
        ("contacts from csv: 1 added, 0 named, 0 tagged, 0 rejected", "Front desk"),
    ]


def test_automations_and_report(run):
    run("config", "opening_hours", "mon-fri 09:00-17:00")
    run("config", "away_reply", "on")
    code, out, _ = run("automations")
    assert code == 0
    assert out.splitlines()[:2] == [
        "Opening hours: mon-fri 09:00-17:00",
        "on   Away reply            0 this week",
    ]
    code, out, _ = run("report", "--from", "2026-11-01", "--to", "2026-11-30", "--csv")
    assert code == 0
    assert next(csv.reader(io.StringIO(out)))[:3] == ["day", "texts_in", "texts_out"]
    code, _, err = run("config", "opening_hours", "someday 9-5")
    assert code != 0 and "should start with a day" in err


def test_restore_waits_for_a_closing_textdesk_to_let_go(run, tmp_path):
    """The window's Restore closes TextDesk and runs `restore --wait`: it restores once the
    lock is free instead of refusing."""
    import subprocess
    import sys
    import time

    from desk.base.paths import resolve_profile

    run("config", "shop_name", "Before")
    profile = resolve_profile(tmp_path / "p")
    assert run("backup", str(tmp_path / "b.sqlite3"))[0] == 0
    run("config", "shop_name", "After")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from desk.base.lock import ProfileLock\n"
         "with ProfileLock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(1.5)",
         str(profile.lock_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    code, _, err = run("restore", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "TextDesk is running for this profile" in err  # no --wait: refused
    started = time.monotonic()
    code, out, err = run("restore", str(tmp_path / "b.sqlite3"), "--wait", "20")
    assert code == 0, err
    assert time.monotonic() - started < 15 and "restored" in out
    holder.wait(10)
    assert run("config", "shop_name")[1].strip() == "Before"
