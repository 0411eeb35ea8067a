"""desk.engine.links in the engine: the SIM PIN read from the keyring first, a PIN left in the
older ``modem_pin`` setting moved into the keyring once (and the setting cleared) without
restarting the link, kept in the setting where there is no keyring; the link chosen by kind.
And the engine end to end on a real SQLite profile through each HTTP link (the virtual HiLink
stick, the virtual Android gateway): a text out with its delivery report, a text in stored
and then removed from the device, a device gone mid-send leaving the text uncertain."""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desk.base import events as ev
from desk.base import secrets
from desk.base.paths import Profile, resolve_profile
from desk.cli.main import main as cli_main
from desk.engine import links
from desk.engine.api import Engine
from desk.store.models import AuditLog, Message, RawIncoming
from desk.store.settings import Settings
from modem.events import ModemEvent, ModemState
from modem.hilink.link import HiLinkLink
from modem.link import ModemLink
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from tests.desk.engine import http_devices
from tests.desk.engine.harness import (
    CUSTOMER,
    Recorder,
    prepare,
    start_engine,
    updated_to,
    wait_ready,
    wait_until,
)
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


# --- the engine end to end through the HTTP links ---------------------------------------------


@pytest.fixture(params=http_devices.KINDS)
def device(request: pytest.FixtureRequest) -> Iterator[http_devices.Device]:
    dev = http_devices.Device(str(request.param))
    yield dev
    dev.stop()


def on_device(
    profile: Profile, device: http_devices.Device, ring: MemoryKeyring
) -> tuple[Engine, Recorder]:
    for name, value in device.secrets.items():
        secrets.put(name, value)
    s = Settings()
    for key, value in device.settings.items():
        s.set(key, value)
    engine, rec = start_engine(profile, None)
    wait_ready(rec)
    return engine, rec


def state_of(mid: int) -> str:
    return str(Message.get_by_id(mid).state)


def test_a_text_goes_out_and_its_delivery_report_comes_back(
    profile: Profile, device: http_devices.Device, ring: MemoryKeyring
) -> None:
    engine, rec = on_device(profile, device, ring)
    try:
        mid = engine.send(CUSTOMER, "Your car is ready").result(10)
        rec.wait(updated_to(mid, "delivered"), timeout=20)
        assert [e["text"] for e in device.submitted()] == ["Your car is ready"]
    finally:
        engine.stop()


def test_a_text_comes_in_is_stored_then_removed_from_the_device(
    profile: Profile, device: http_devices.Device, ring: MemoryKeyring
) -> None:
    engine, rec = on_device(profile, device, ring)
    try:
        device.deliver("+12025550178", "Are you open on Sunday?")
        added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == "in", 20)
        assert isinstance(added, ev.MessageAdded)
        assert Message.get_by_id(added.message_id).body == "Are you open on Sunday?"
        wait_until(lambda: device.waiting() == 0, 15, "the device let go of the stored text")
        time.sleep(1.0)  # a poll, a sweep or a webhook retry later: still stored once
        assert Message.select().where(Message.direction == "in").count() == 1
    finally:
        engine.stop()


def test_a_device_gone_mid_send_leaves_the_text_uncertain_never_resent(
    profile: Profile, device: http_devices.Device, ring: MemoryKeyring
) -> None:
    engine, rec = on_device(profile, device, ring)
    try:
        device.cut_next_send()
        mid = engine.send(CUSTOMER, "Your invoice is attached").result(10)
        rec.wait(updated_to(mid, "uncertain"), timeout=30)
        time.sleep(2.5)  # reconnects and polls go by: nobody sends it again
        assert state_of(mid) == "uncertain"
        assert len(device.submitted()) == 1
        later = engine.send(CUSTOMER, "And the receipt").result(10)  # the queue goes on
        rec.wait(lambda e: updated_to(later, "sent")(e) or updated_to(later, "delivered")(e), 30)
        assert [e["text"] for e in device.submitted()] == [
            "Your invoice is attached", "And the receipt",
        ]  # fmt: skip
    finally:
        engine.stop()


def test_an_unreadable_entry_on_the_stick_is_read_again_then_kept_raw(
    profile: Profile, ring: MemoryKeyring
) -> None:
    """The engine gives an unreadable text back (release_incoming) to have it read again; the
    stick lists it again a moment later, the same way, so it is kept raw and deleted."""
    device = http_devices.Device("hilink")
    try:
        engine, _rec = on_device(profile, device, ring)
        try:
            stick = device.dev.stick  # type: ignore[union-attr]
            with stick.lock:  # an entry without its sender
                stick.deliver("+12025550178", "who sent this?")
                stick.inbox[-1].pop("Phone")
            wait_until(lambda: RawIncoming.select().count() == 1, 20, "kept raw")
            wait_until(lambda: device.waiting() == 0, 10, "deleted from the stick")
            assert device.requests("sms/sms-list") >= 2  # read again before it was kept
            assert "who sent this?" in RawIncoming.get().raw_data
        finally:
            engine.stop()
    finally:
        device.stop()


def test_a_password_stored_by_the_command_line_reaches_the_running_engine(
    profile: Profile, ring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    device = http_devices.Device("hilink")
    try:
        s = Settings()
        for key, value in device.settings.items():
            s.set(key, value)
        engine, rec = start_engine(profile, None)  # no password yet: the stick refuses
        try:
            rec.wait(lambda e: isinstance(e, ev.ModemStatusChanged)
                     and e.status.state == ModemState.ERROR, timeout=20)  # fmt: skip
            monkeypatch.setattr(sys, "stdin", io.StringIO("stick-pw\n"))
            assert cli_main(["modem-password", "--profile", str(profile.data_dir)]) == 0
            assert "connects to the modem again with it" in capsys.readouterr().out
            wait_ready(rec)
            mid = engine.send(CUSTOMER, "Ready now").result(10)
            rec.wait(lambda e: updated_to(mid, "sent")(e) or updated_to(mid, "delivered")(e), 20)
        finally:
            engine.stop()
    finally:
        device.stop()
