"""The profile lock: one engine per profile, a clear sentence about who holds it, no stale locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.base.lock import LockInfo, ProfileLock, ProfileLocked, holder, note_path, read_note

ROOT = Path(__file__).resolve().parents[3]


def test_second_lock_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "engine.lock"
    first = ProfileLock(path, mode="window")
    info = first.acquire()
    assert info.pid == os.getpid()
    with pytest.raises(ProfileLocked) as caught:
        ProfileLock(path, mode="serve").acquire()
    text = str(caught.value)
    assert text.startswith("TextDesk is already running for this profile (")
    assert f"pid {os.getpid()}" in text
    assert "the window" in text
    local = info.started.astimezone().strftime("%H:%M")
    assert f"since {local}" in text
    assert caught.value.info == info
    first.release()
    # Free again: a new owner gets it and the note says so.
    second = ProfileLock(path, mode="serve")
    second.acquire()
    assert read_note(path).mode == "serve"
    second.release()


def test_release_removes_the_note_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "engine.lock"
    with ProfileLock(path) as lock:
        assert lock.held
        assert note_path(path).exists()
        assert holder(path) is not None
    assert not note_path(path).exists()
    assert holder(path) is None
    lock.release()  # twice is fine


def test_holder_is_none_for_a_stale_note_without_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "engine.lock"
    path.touch()
    note_path(path).write_text(json.dumps({"pid": 999999, "mode": "serve"}))
    assert holder(path) is None
    with ProfileLock(path, mode="window"):  # a stale note never blocks a start
        assert read_note(path).pid == os.getpid()


def test_a_corrupt_note_still_refuses_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "engine.lock"
    with ProfileLock(path):
        note_path(path).write_text("{not json")
        with pytest.raises(
            ProfileLocked, match=r"already running for this profile \(details unknown\)"
        ):
            ProfileLock(path).acquire()
        assert holder(path) == LockInfo()


def test_describe_shows_the_date_when_not_today_and_a_foreign_host() -> None:
    started = datetime.now(UTC) - timedelta(days=3)
    text = LockInfo(
        pid=7, host="counter-pc-that-is-not-this-one", started=started, mode="serve"
    ).describe()
    assert text.startswith("pid 7, on counter-pc-that-is-not-this-one, textdesk serve, since ")
    assert started.astimezone().strftime("%Y-%m-%d") in text


def test_the_os_drops_the_lock_when_the_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "engine.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from desk.base.lock import ProfileLock\n"
        f"lock = ProfileLock(Path({str(path)!r}), mode='serve')\n"
        "lock.acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(ProfileLocked, match=f"pid {proc.pid}, textdesk serve"):
            ProfileLock(path).acquire()
        who = holder(path)
        assert who is not None and who.pid == proc.pid
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while holder(path) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        with ProfileLock(path, mode="window") as lock:  # no stale lock after a crash
            assert lock.held
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_acquiring_a_held_lock_again_returns_the_same_holder(tmp_path: Path) -> None:
    lock = ProfileLock(tmp_path / "engine.lock", mode="serve")
    try:
        first = lock.acquire()
        assert lock.acquire() is first and lock.held
        assert holder(tmp_path / "engine.lock") == first
    finally:
        lock.release()
