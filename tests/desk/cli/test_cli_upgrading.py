"""A ``textdesk`` command that meets a database another process is upgrading (the step's
transaction holding the write lock) waits for it; past the busy timeout it says in one plain line
that TextDesk is upgrading the database, exits 1, leaves no copy behind and no traceback. A file
locked outright (locking_mode EXCLUSIVE) is said to be locked, never "not a TextDesk database"."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desk.base.paths import resolve_profile
from desk.store.migrations import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[3]
CUSTOMER = "+12025550143"
ENV = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
UPGRADING = "textdesk: TextDesk is upgrading the database; try again in a moment."

# Another process in the middle of a migration step: the step's transaction (BEGIN IMMEDIATE,
# as desk.store.migrations.runner runs each step) has set the new version and not committed yet.
HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    con.execute("PRAGMA locking_mode = EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
    con.execute("UPDATE setting SET value = value")
else:
    con.execute("BEGIN IMMEDIATE")
    con.execute("PRAGMA user_version = VERSION")
print("held", flush=True)
if float(sys.argv[3]) > 0:
    time.sleep(float(sys.argv[3]))  # an upgrade of a moment
else:
    sys.stdin.readline()  # until the test lets go
con.execute("COMMIT")
""".replace("VERSION", str(SCHEMA_VERSION))


def textdesk(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk.cli.main", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=ENV,
    )  # fmt: skip


@pytest.fixture
def prof(tmp_path: Path) -> Path:
    path = tmp_path / "profile"
    done = textdesk("config", "--profile", str(path))
    assert done.returncode == 0, done.stderr
    db = resolve_profile(path).db_path
    con = sqlite3.connect(db)  # committed: one schema behind, as before an upgrade
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    con.commit()
    con.close()
    return path


@contextmanager
def held(db: Path, how: str, seconds: float = 0.0) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), how, str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.stdin is not None and proc.poll() is None:
            proc.stdin.write("\n")
            proc.stdin.close()
        proc.wait(timeout=30)


def copies(prof: Path) -> list[str]:
    return sorted(p.name for p in prof.glob("*.bak"))


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_commands_meeting_an_upgrade_in_progress_say_so_in_one_line(prof: Path) -> None:
    db = resolve_profile(prof).db_path
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    commands = {
        "status": ("status", "--profile", str(prof)),
        "send": ("send", "--profile", str(prof), CUSTOMER, "are you open today?"),
    }
    with held(db, "migrating"):
        threads = [
            threading.Thread(target=lambda k=k, a=a: results.__setitem__(k, textdesk(*a)))
            for k, a in commands.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for name, done in results.items():
            assert done.returncode == 1, (name, done.stdout, done.stderr)
            assert one_line(done) == UPGRADING, name
        assert copies(prof) == []  # the copies they began are gone: the file is as it was
    # The upgrade done (its transaction committed), the same commands work.
    sent = textdesk(*commands["send"])
    assert sent.returncode == 0 and "queued message" in sent.stdout, sent.stderr
    status = textdesk(*commands["status"])
    assert status.returncode == 0 and "outgoing: queued 1" in status.stdout, status.stderr


def test_an_upgrade_of_a_moment_is_waited_for(prof: Path) -> None:
    db = resolve_profile(prof).db_path
    with held(db, "migrating", seconds=1.5):
        done = textdesk("status", "--profile", str(prof))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "outgoing: queued 0" in done.stdout, done


def test_a_file_locked_outright_is_said_to_be_locked(prof: Path) -> None:
    db = resolve_profile(prof).db_path
    with held(db, "exclusive"):
        done = textdesk("status", "--profile", str(prof))
    assert done.returncode == 1
    line = one_line(done)
    assert "locked by another program" in line and "Try again in a moment" in line, line
    assert "not a TextDesk database" not in line
