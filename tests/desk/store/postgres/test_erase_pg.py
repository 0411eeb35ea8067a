"""``textdesk erase`` on a profile whose database is the shop's PostgreSQL server (issue 15): the
demo shop moved there with ``textdesk database move``, then erase run as its own process, as
staff run it: one plain line, the customer gone from the server with their search rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from desk.base.paths import resolve_profile
from desk.cli.main import main
from desk.demo import shop
from desk.store.db import close_database, open_database
from desk.store.models import Contact, Conversation, Message

ROOT = Path(__file__).resolve().parents[4]


def textdesk(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk.cli.main", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_erase_on_a_server_profile_prints_one_plain_line(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    prof = str(tmp_path / "profile")
    open_database(resolve_profile(prof).ensure().db_path)
    shop.populate()
    contact, n = max(
        (
            (c, Message.select().join(Conversation).where(Conversation.contact == c.id).count())
            for c in Contact.select()
            if c.name
        ),
        key=lambda cn: cn[1],
    )
    number, name = str(contact.number), str(contact.name)
    close_database()
    assert n > 0
    assert main(["--profile", prof, "database", "move", pg_url]) == 0
    capsys.readouterr()
    close_database()

    asked = textdesk("--profile", prof, "erase", number)
    assert asked.returncode == 1 and asked.stdout == ""
    assert asked.stderr.strip() == (
        f"textdesk: This erases {number} and {n} messages for good; run again with --yes to confirm."
    )

    done = textdesk("--profile", prof, "erase", number, "--yes")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith(f"erased {number}: {n} messages") and "pg_dump backups" in line
    assert "Traceback" not in done.stdout + done.stderr

    with psycopg.connect(pg_url) as con:
        assert (
            con.execute("SELECT count(*) FROM contact").fetchone()
            == con.execute("SELECT count(*) FROM contact_search").fetchone()
        )  # her search row went with her
        assert con.execute(
            "SELECT count(*) FROM contact WHERE number = %s", (number,)
        ).fetchone() == (0,)
        (left,) = con.execute(
            "SELECT count(*) FROM contact_search "
            "WHERE doc @@ plainto_tsquery('simple', unaccent(%s))",
            (name,),
        ).fetchone() or (None,)
        assert left == 0
        (detail,) = con.execute(
            "SELECT detail FROM audit_log WHERE action = 'erased'"
        ).fetchone() or ("",)
        assert detail.startswith("customer ") and number not in detail and name not in detail

    again = textdesk("--profile", prof, "erase", number, "--yes")
    assert (
        again.returncode == 1
        and again.stderr.strip() == f"textdesk: No customer with the number {number}."
    )
