"""desk.engine.links in the engine: the SIM PIN read from the keyring first, a PIN left in the
older ``modem_pin`` setting moved into the keyring once (and the setting cleared) without
restarting the link, kept in the setting where there is no keyring; the link chosen by kind."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desk.base import secrets
from desk.base.paths import Profile, resolve_profile
from desk.engine import links
from desk.store.models import AuditLog
from desk.store.settings import Settings
from modem.events import ModemEvent
from modem.hilink.link import HiLinkLink
from modem.link import ModemLink
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from tests.desk.engine.harness import prepare, start_engine, wait_ready
from tests.helpers.keyring_memory import MemoryKeyring, memory_keyring, unavailable_keyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    yield memory_keyring()
    unavailable_keyring()


class Factory:
    """Builds the real ModemService and records the PIN each link was built with."""

    def __init__(self) -> None:
        self.pins: list[str | None] = []

    def __call__(self, *, port: str | None, sink: Any, pin: str | None) -> ModemLink:
        self.pins.append(pin)
        return ModemService(port, sink, pin=pin)


def test_a_pin_in_the_old_setting_moves_to_the_keyring_once(
    tmp_path: Path, ring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    vm = VirtualModem(pin="4321", report_delay=0.05)
    vm.start()
    profile = resolve_profile(tmp_path / "p")
    prepare(profile, modem_pin="4321")
    factory = Factory()
    caplog.set_level(logging.DEBUG)
    engine, rec = start_engine(profile, vm.device, modem_factory=factory)
    try:
        wait_ready(rec)  # the SIM took the PIN
        time.sleep(2.5)  # a settings check goes by: the link is not restarted for the move
        assert factory.pins == ["4321"]
        assert ring.store[(secrets.SERVICE, secrets.SIM_PIN)] == "4321"
        assert Settings().get("modem_pin") == ""
        assert AuditLog.select().where(AuditLog.detail.contains("SIM PIN moved")).count() == 1
    finally:
        engine.stop()
        vm.stop()
    assert "4321" not in caplog.text


def test_a_pin_set_in_the_old_setting_later_restarts_the_link_with_it(
    profile: Profile, modem: VirtualModem, ring: MemoryKeyring
) -> None:
    factory = Factory()
    engine, rec = start_engine(profile, modem.device, modem_factory=factory)
    try:
        wait_ready(rec)
        engine.call(lambda: Settings().set("modem_pin", "1111")).result(10)
        deadline = time.monotonic() + 10
        while len(factory.pins) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert factory.pins == [None, "1111"]
        assert ring.store[(secrets.SERVICE, secrets.SIM_PIN)] == "1111"
        assert Settings().get("modem_pin") == ""
    finally:
        engine.stop()


def test_without_a_keyring_the_old_setting_stays_and_is_used(
    profile: Profile, modem: VirtualModem, caplog: pytest.LogCaptureFixture
) -> None:
    unavailable_keyring()
    Settings().set("modem_pin", "2468")
    factory = Factory()
    caplog.set_level(logging.INFO, logger="desk.engine.links")
    engine, rec = start_engine(profile, modem.device, modem_factory=factory)
    try:
        wait_ready(rec)
        time.sleep(2.5)
        assert factory.pins == ["2468"]  # built once: nothing to restart for
        assert Settings().get("modem_pin") == "2468"
    finally:
        engine.stop()
    stays = [r for r in caplog.records if "stays in the settings" in r.getMessage()]
    assert len(stays) == 1
    assert "2468" not in caplog.text


def test_the_keyring_pin_comes_first(ring: MemoryKeyring, profile: Profile) -> None:
    secrets.put(secrets.SIM_PIN, "9999")
    Settings().set("modem_pin", "1234")
    assert links.sim_pin(Settings()) == "9999"
    mover = links.PinMover()
    assert mover.watch(Settings()) == "pin moved 1"  # the setting is the newer word: it moves
    assert links.sim_pin(Settings()) == "1234"
    assert mover.watch(Settings()) == "pin moved 1"  # and nothing changes after


def test_make_link_builds_each_kind(ring: MemoryKeyring, profile: Profile) -> None:
    events: list[ModemEvent] = []
    s = Settings()
    s.set("modem_kind", "hilink")
    s.set("hilink_url", "http://192.168.8.1")
    choice = links.choose(s)
    assert choice.key()[:2] == ("hilink", "http://192.168.8.1")
    link = links.make_link(choice, events.append, settings=s)
    assert isinstance(link, HiLinkLink) and not link.running
    with pytest.raises(links.LinkNotReady, match="android_listen_host"):
        links.make_link(links.choose(s, kind="android", address="http://p:8080"), events.append,
                        settings=s)  # fmt: skip
    with pytest.raises(links.LinkNotReady, match="not a kind"):
        links.choose(s, kind="pigeon")
    unavailable_keyring()
    with pytest.raises(links.LinkNotReady, match="password store"):
        links.make_link(choice, events.append, settings=s)
