"""Another process wakes the engine on one PC (desk.engine.poke): `textdesk send` goes out at
once, not at the engine's next data_version look; the poke is best effort and never the only way.

The engine tests run with the data_version look put off to 30 s, so only the poke can explain a
text going out within a second."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base.paths import Profile
from desk.engine import poke, wake
from desk.engine.api import Engine
from desk.store.models import Message
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import CUSTOMER, Recorder, start_engine, updated_to, wait_ready

ROOT = Path(__file__).resolve().parents[3]


class Items(list[poke.Poked]):
    def wait(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self) < n:
            assert time.monotonic() < deadline, f"{len(self)} of {n} pokes arrived"
            time.sleep(0.005)


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[tuple[poke.Listener, Items]]:
    items = Items()
    listener = poke.Listener(tmp_path, items.append)
    listener.start()
    yield listener, items
    listener.stop()


def test_a_poke_reaches_the_listener_and_many_at_once_are_one_item(
    listening: tuple[poke.Listener, Items], tmp_path: Path
) -> None:
    _, items = listening
    assert poke.poke(tmp_path) is True
    items.wait(1)
    for _ in range(50):  # before the core took the first: nothing more is queued
        poke.poke(tmp_path)
    time.sleep(0.2)
    assert len(items) == 1
    items[0].taken()  # the core looks now: a poke from here on queues the next cycle
    poke.poke(tmp_path)
    items.wait(2)
    time.sleep(0.1)
    assert len(items) == 2


def test_datagrams_without_the_token_are_ignored(
    listening: tuple[poke.Listener, Items], tmp_path: Path
) -> None:
    listener, items = listening
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for junk in (b"", b"wake up", os.urandom(32), os.urandom(2000), b"\xff" * 32):
            sock.sendto(junk, (poke.HOST, listener.port))
    time.sleep(0.3)
    assert items == []
    assert poke.poke(tmp_path)  # still listening after the junk
    items.wait(1)


def test_the_wake_file_is_the_owners_and_stop_removes_it(tmp_path: Path) -> None:
    listener = poke.Listener(tmp_path, lambda item: None)
    listener.start()
    path = tmp_path / poke.WAKE_FILE
    found = json.loads(path.read_text(encoding="utf-8"))
    assert found["port"] == listener.port and len(found["token"]) == 32
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0, "other users may not read the token"
    listener.stop()
    assert not path.exists()
    assert poke.poke(tmp_path) is False  # nobody listens: said, not raised


def test_stop_leaves_a_newer_engines_file_alone(tmp_path: Path) -> None:
    first = poke.Listener(tmp_path, lambda item: None)
    first.start()
    second = poke.Listener(tmp_path, lambda item: None)
    second.start()  # an engine started since (the first was killed, say): the file is its now
    first.stop()
    assert json.loads((tmp_path / poke.WAKE_FILE).read_text())["port"] == second.port
    second.stop()
    assert not (tmp_path / poke.WAKE_FILE).exists()


@pytest.mark.parametrize(
    "content",
    ["", "{", "[1, 2]", '{"port": 0, "token": "x"}', '{"port": 70000, "token": "x"}',
     '{"port": "x", "token": "y"}', '{"token": "abc"}', '{"port": 9, "token": "\\u00ff"}'],
)  # fmt: skip
def test_poke_never_raises_on_a_broken_or_stale_file(tmp_path: Path, content: str) -> None:
    (tmp_path / poke.WAKE_FILE).write_text(content, encoding="utf-8")
    assert poke.poke(tmp_path) is False


def test_poke_on_a_stale_file_costs_nothing(tmp_path: Path) -> None:
    """An engine killed with its file left: the datagram goes to a port nobody holds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((poke.HOST, 0))
        port = sock.getsockname()[1]
    (tmp_path / poke.WAKE_FILE).write_text(json.dumps({"port": port, "token": "ab" * 16}))
    assert poke.poke(tmp_path) is True  # sent; nobody hears it, nothing fails


# --- a real engine and a real `textdesk send` ---------------------------------------------------


@pytest.fixture
def running(
    profile: Profile, modem: VirtualModem, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, Recorder]]:
    Settings().set("quiet_hours", "off")
    monkeypatch.setattr(wake, "WATCH_EVERY", 30.0)  # only a poke can wake it within a second
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        time.sleep(0.3)  # the first look at data_version is behind it
        yield engine, rec
    finally:
        engine.stop()


def textdesk_send(profile: Profile, text: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-m", "desk.cli.main", "send", "--profile", str(profile.data_dir),
         CUSTOMER, text],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = re.search(r"queued message (\d+)", proc.stdout)
    assert found, proc.stdout
    return int(found.group(1))


def test_textdesk_send_goes_out_at_once(running: tuple[Engine, Recorder], profile: Profile) -> None:
    _, rec = running
    assert (profile.data_dir / poke.WAKE_FILE).exists()
    mid = textdesk_send(profile, "Your order is ready")
    done = time.monotonic()
    rec.wait(updated_to(mid, "sent"), timeout=10)
    took = time.monotonic() - done
    assert took < 1.0, f"sent {took:.2f} s after textdesk send returned"


def test_without_the_poke_it_waits_for_the_look(
    running: tuple[Engine, Recorder], profile: Profile
) -> None:
    """The control: with the wake file gone, the same command's text waits (here up to the 30 s
    look), which is what the poke saves."""
    _, rec = running
    (profile.data_dir / poke.WAKE_FILE).unlink()
    mid = textdesk_send(profile, "Your order is ready")
    time.sleep(1.5)
    assert Message.get_by_id(mid).state == "queued"
    assert not any(updated_to(mid, "sent")(e) for e in rec.events)


def test_the_engine_removes_its_wake_file_when_it_stops(
    running: tuple[Engine, Recorder], profile: Profile
) -> None:
    engine, _ = running
    assert (profile.data_dir / poke.WAKE_FILE).exists()
    engine.stop()
    assert not (profile.data_dir / poke.WAKE_FILE).exists()
