"""A full disk (a real 4 MB tmpfs holding the profile): the engine keeps every unacknowledged text
on the SIM, says so once in plain words, and stores everything within seconds once there is
space again, without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desk.base import events as ev
from desk.base.paths import Profile, resolve_profile
from desk.engine.api import Engine
from desk.store.models import IN, Message
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from tests.desk.engine.harness import (
    CUSTOMER,
    Recorder,
    prepare,
    start_engine,
    stored_path_modem,
    wait_ready,
    wait_until,
)
from tests.helpers.small_disk import fill, small_disk


def sim_used(vm: VirtualModem) -> int:
    reply = vm.control({"cmd": "status"})
    assert reply is not None
    return sum(s["used"] for s in reply["storage"].values())


def bodies() -> list[str]:
    return [m.body for m in Message.select().where(Message.direction == IN).order_by(Message.id)]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as path:
        yield path


@pytest.fixture
def running(disk: Path, modem: VirtualModem) -> Iterator[tuple[Engine, Recorder, Profile]]:
    profile = resolve_profile(disk / "profile")
    prepare(profile)
    engine, rec = start_engine(profile, modem.device, modem_factory=stored_path_modem)
    try:
        wait_ready(rec)
        yield engine, rec, profile
    finally:
        engine.stop()


def test_texts_wait_on_the_sim_while_the_disk_is_full_and_are_stored_when_space_returns(
    running: tuple[Engine, Recorder, Profile], modem: VirtualModem, disk: Path
) -> None:
    engine, rec, _profile = running
    modem.deliver(CUSTOMER, "Before the disk filled")
    wait_until(lambda: bodies() == ["Before the disk filled"], what="the first text stored")
    wait_until(lambda: sim_used(modem) == 0, what="the first text deleted from the SIM")

    filler = fill(disk)
    texts = [f"Text {i} while the disk is full " + "x" * 120 for i in range(4)]
    for text in texts:
        modem.deliver(CUSTOMER, text)
    trouble = rec.wait(lambda e: isinstance(e, ev.StorageTrouble), timeout=30)
    assert trouble.reason == "disk_full"
    assert trouble.text.startswith("The disk is full: new texts stay on the SIM")
    time.sleep(2.0)  # several retries
    assert bodies() == ["Before the disk filled"]
    assert sim_used(modem) == len(texts)  # the SIM keeps every unacknowledged text
    assert len(rec.of(ev.StorageTrouble)) == 1  # said once, not per batch or retry

    filler.unlink()
    started = time.monotonic()
    wait_until(lambda: len(bodies()) == 1 + len(texts), timeout=15, what="the texts stored")
    assert time.monotonic() - started < 10
    assert bodies() == ["Before the disk filled", *texts]
    wait_until(lambda: sim_used(modem) == 0, timeout=15, what="the SIM emptied")
    rec.wait(lambda e: isinstance(e, ev.StorageRecovered), timeout=5)

    # the engine works as before: a send goes out
    mid = engine.send(CUSTOMER, "Space again").result(timeout=30)
    assert Message.get_by_id(mid).body == "Space again"
    assert not [p for p in rec.of(ev.Problem) if "no transaction is active" in p.text]


def test_beyond_the_hold_limit_texts_are_given_back_to_the_modem_and_still_all_stored(
    disk: Path, modem: VirtualModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk.engine import storage_guard

    monkeypatch.setattr(storage_guard, "HOLD_LIMIT", 2)
    released: list[str] = []

    class Recording(ModemService):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(direct_delivery=False, **kwargs)

        def release_incoming(self, token: str) -> None:
            released.append(token)
            super().release_incoming(token)

    profile = resolve_profile(disk / "profile")
    prepare(profile)
    engine, rec = start_engine(profile, modem.device, modem_factory=Recording)
    try:
        wait_ready(rec)
        filler = fill(disk)
        texts = [f"Held or given back {i} " + "z" * 100 for i in range(5)]
        for text in texts:
            modem.deliver(CUSTOMER, text)
        rec.wait(lambda e: isinstance(e, ev.StorageTrouble), timeout=30)
        wait_until(lambda: released, timeout=20, what="texts given back to the modem")
        time.sleep(1.0)
        assert sim_used(modem) == len(texts)  # given back or held: all still on the SIM
        filler.unlink()
        wait_until(lambda: len(bodies()) == len(texts), timeout=90, what="every text stored")
        assert sorted(bodies()) == sorted(texts)  # each once
        wait_until(lambda: sim_used(modem) == 0, timeout=30, what="the SIM emptied")
    finally:
        engine.stop()
