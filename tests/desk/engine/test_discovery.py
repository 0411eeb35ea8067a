"""desk.engine.discovery.discover: finds the virtual HiLink stick (``python -m modem.sim --kind
hilink`` in its own process) and the virtual Android gateway from their URLs, and explains a
stick still in storage mode from a fake sysfs tree."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.engine.discovery import FoundModem, discover
from tests.modem.links.http_sim import HttpSim
from tests.modem.test_discovery import fake_sysfs


@pytest.fixture(scope="module")
def stick() -> Iterator[HttpSim]:
    sim = HttpSim("hilink").start()
    yield sim
    sim.stop()


def test_discovery_finds_the_virtual_hilink_stick(stick: HttpSim, tmp_path: Path) -> None:
    found = discover(
        [stick.url], timeout=2.0, sysfs_root=tmp_path, probe_ports=False, include_defaults=False
    )
    assert found == [
        FoundModem("hilink", stick.url, f"HiLink stick found at {stick.url}", needs_password=True)
    ]


def test_discovery_finds_the_virtual_android_gateway(tmp_path: Path) -> None:
    phone = HttpSim("android").start()
    try:
        found = discover([phone.url], sysfs_root=tmp_path, probe_ports=False,
                         include_defaults=False)  # fmt: skip
    finally:
        phone.stop()
    assert [(f.kind, f.address, f.needs_password) for f in found] == [("android", phone.url, True)]
    assert "Android phone" in found[0].label


def test_a_stick_in_storage_mode_is_explained(tmp_path: Path) -> None:
    fake_sysfs(tmp_path, "1-2", "12d1", "1f01", ["08"])
    found = discover(sysfs_root=tmp_path, probe_ports=False, include_defaults=False,
                     platform="linux")  # fmt: skip
    assert len(found) == 1
    assert found[0].kind == "storage_mode" and found[0].address == "12d1:1f01"
    assert "storage" in found[0].label
    assert "usb-modeswitch" in found[0].explanation


def test_a_hilink_stick_on_usb_not_answering_yet_is_still_offered(tmp_path: Path) -> None:
    fake_sysfs(tmp_path, "1-2", "12d1", "14dc", ["02", "0a"])
    found = discover(sysfs_root=tmp_path, probe_ports=False, include_defaults=False)
    assert [(f.kind, f.address) for f in found] == [("hilink", "http://192.168.8.1")]
    assert "not answering yet" in found[0].label


def test_the_stick_on_the_network_is_reported_once(stick: HttpSim, tmp_path: Path) -> None:
    fake_sysfs(tmp_path, "1-2", "12d1", "14dc", ["02", "0a"])
    found = discover([stick.url], sysfs_root=tmp_path, probe_ports=False, include_defaults=False)
    assert [f.address for f in found] == [stick.url]


def test_discovery_keeps_its_time_budget_with_nothing_there(tmp_path: Path) -> None:
    routes = tmp_path / "route"
    routes.write_text("Iface\tDestination\tGateway\tFlags\neth9\t00000000\t010200C0\t0003\n")
    start = time.monotonic()
    found = discover(["http://192.0.2.7"], timeout=1.0, sysfs_root=tmp_path / "none",
                     route_file=routes, probe_ports=True)  # fmt: skip
    assert time.monotonic() - start < 2.5
    assert all(f.kind == "at" for f in found)  # no stick and no phone on this machine
