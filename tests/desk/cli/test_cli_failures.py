"""The command line when things go wrong outside it: a full disk (a real 4 MB tmpfs), another
process holding the write lock, text that is not UTF-8. Always one plain line, never a
traceback; a command waits for a busy database rather than fail."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base.paths import resolve_profile
from modem.sim import VirtualModem
from tests.helpers.small_disk import fill, small_disk

ROOT = Path(__file__).resolve().parents[3]
CUSTOMER = "+12025550143"


def textdesk_bytes(
    *argv: str | bytes, stdin: bytes | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "desk.cli.main", *argv],
        cwd=ROOT, capture_output=True, input=stdin, timeout=timeout,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"},
    )  # fmt: skip


def one_line(err: bytes) -> str:
    text = err.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("textdesk: "), text
    return lines[0]


def queued(profile_dir: Path) -> list[str]:
    con = sqlite3.connect(resolve_profile(profile_dir).db_path)
    try:
        return [r[0] for r in con.execute("SELECT body FROM message WHERE direction='out'")]
    finally:
        con.close()


@pytest.fixture
def prof(tmp_path: Path) -> Path:
    path = tmp_path / "profile"
    done = textdesk_bytes("config", "--profile", str(path))
    assert done.returncode == 0, done.stderr
    return path


# --- text that is not UTF-8 -----------------------------------------------------------------


def test_send_with_bytes_that_are_not_utf8_on_the_command_line_says_so_plainly(prof: Path) -> None:
    # The shell passes raw bytes; Python turns the invalid ones into lone surrogates.
    done = textdesk_bytes("send", "--profile", str(prof), CUSTOMER, b"Your car is \xff\xfe ready")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "codec" not in line and "surrogate" not in line
    assert "cannot read after “Your car is ”" in line
    assert "nothing was queued" in line
    assert queued(prof) == []


def test_send_with_stdin_that_is_not_utf8_says_so_plainly(prof: Path) -> None:
    done = textdesk_bytes(
        "send", "--profile", str(prof), CUSTOMER, "-", stdin=b"Caf\xe9 opens at 9\n"
    )
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "codec" not in line and "0xe9" not in line
    assert "cannot read after “Caf”" in line
    assert queued(prof) == []
    good = textdesk_bytes("send", "--profile", str(prof), CUSTOMER, "-", stdin="Café ✓\n".encode())
    assert good.returncode == 0, good.stderr
    assert queued(prof) == ["Café ✓"]


# --- another process holds the write lock ---------------------------------------------------


def test_send_waits_while_another_process_holds_the_write_lock_and_says_why(prof: Path) -> None:
    profile = resolve_profile(prof)
    holder = sqlite3.connect(profile.db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    note = {"pid": os.getpid(), "at": time.time(), "words": "importing appointments (41%)"}
    (profile.data_dir / "busy.json").write_text(json.dumps(note), encoding="utf-8")
    release = threading.Timer(4.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        done = textdesk_bytes("send", "--profile", str(prof), CUSTOMER, "Ready at 5")
        took = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert err.strip() == "TextDesk is busy (importing appointments (41%)); waiting…", err
    assert took >= 3.5
    assert queued(prof) == ["Ready at 5"]


def test_a_wait_longer_than_the_limit_ends_in_one_line(prof: Path) -> None:
    profile = resolve_profile(prof)
    holder = sqlite3.connect(profile.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = subprocess.run(
            [sys.executable, "-c",
             "import sys; import desk.cli.busy as b; b.WAIT_LIMIT = 2.0; "
             "from desk.cli.main import main; sys.exit(main(sys.argv[1:]))",
             "send", "--profile", str(prof), CUSTOMER, "Later"],
            cwd=ROOT, capture_output=True, timeout=60,
        )  # fmt: skip
    finally:
        holder.close()
    assert proc.returncode == 1
    lines = proc.stderr.decode().strip().splitlines()
    assert lines[0] == (
        "TextDesk is busy (another TextDesk program is writing to the database); waiting…"
    )
    assert "Traceback" not in proc.stderr.decode()
    assert re.fullmatch(r"textdesk: TextDesk was still busy after \d+ minutes \(.*\); nothing "
                        r"was changed\. Try again later\.", lines[1]), lines  # fmt: skip
    assert queued(prof) == []


# --- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as path:
        yield path


def test_send_on_a_full_disk_is_one_line_and_works_again_with_space(disk: Path) -> None:
    prof = disk / "profile"
    assert textdesk_bytes("config", "--profile", str(prof)).returncode == 0
    filler = fill(disk)
    long_text = "We found a second issue with the brakes. " * 30
    for _ in range(3):  # each try must fail cleanly, the next the same way
        done = textdesk_bytes("send", "--profile", str(prof), CUSTOMER, long_text)
        assert done.returncode == 1
        line = one_line(done.stderr)
        assert line == (
            "textdesk: The disk is full, so nothing was saved; free some space and try again."
        ), line
    filler.unlink()
    done = textdesk_bytes("send", "--profile", str(prof), CUSTOMER, long_text)
    assert done.returncode == 0, done.stderr
    assert queued(prof) == [long_text]


def test_serve_on_a_full_disk_says_it_once_and_stores_everything_when_space_returns(
    disk: Path,
) -> None:
    prof = disk / "profile"
    assert textdesk_bytes("config", "--profile", str(prof)).returncode == 0
    with VirtualModem(report_delay=0.05) as vm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desk.cli.main", "serve", "--profile", str(prof), "--port", vm.device],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 60
            while not any("modem ready" in line for line in lines):
                assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
                time.sleep(0.1)
            filler = fill(disk)
            texts = [f"Text {i} on a full disk " + "y" * 100 for i in range(5)]
            for text in texts:
                vm.deliver(CUSTOMER, text)
            time.sleep(5.0)  # many retries
            # Nothing could be stored; the texts wait outside TextDesk: on the SIM when the modem
            # stores them, with the network (refused with AT+CNMA=2) when it routes them inline.
            status = vm.control({"cmd": "status"})
            assert status is not None and status["storage"]["SM"]["used"] <= len(texts)
            assert not [x for x in lines if re.search(r"message \d+ received", x)]
            filler.unlink()
            deadline = time.monotonic() + 15
            while len([x for x in lines if re.search(r"message \d+ received", x)]) < len(texts):
                assert time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            reader.join(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = "".join(lines)
    assert proc.returncode == 0, output
    full = [
        x for x in lines if "The disk is full: new texts stay on the SIM until there is space" in x
    ]
    assert len(full) == 1, output
    assert "TextDesk can save again" in output
    assert "Traceback" not in output, output
    assert "no transaction is active" not in output
    con = sqlite3.connect(resolve_profile(prof).db_path)
    try:
        got = [
            r[0] for r in con.execute("SELECT body FROM message WHERE direction='in' ORDER BY id")
        ]
    finally:
        con.close()
    assert got == texts
