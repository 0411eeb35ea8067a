"""modem.discovery: Huawei USB modes, routes, what a stick or the phone app answers (pure), and
the sysfs reader on a fake tree."""

from __future__ import annotations

import time
from pathlib import Path

from modem import discovery as d

ROUTES = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
enx001e101f0000\t00000000\t0108A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0
wlan0\t00000000\t00000000\t0001\t0\t0\t600\t00000000\t0\t0\t0
garbage line
"""


def usb(pid: int, *classes: int, vid: int = d.HUAWEI) -> d.UsbDevice:
    return d.UsbDevice(vid, pid, "1-2", "HUAWEI", "HUAWEI_MOBILE", tuple(classes))


def test_huawei_modes_from_ids_and_interfaces() -> None:
    assert d.classify_usb(usb(0x14DB, 0x02, 0x0A)) == "hilink"
    assert d.classify_usb(usb(0x14DC)) == "hilink"
    assert d.classify_usb(usb(0x1F01, 0x08)) == "storage"
    assert d.classify_usb(usb(0x1F01)) == "storage"
    assert d.classify_usb(usb(0x1506, 0xFF, 0xFF, 0x02)) == "serial"
    assert d.classify_usb(usb(0x1234, 0x08)) == "storage"  # unknown id, only mass storage
    assert d.classify_usb(usb(0x1234, 0xE0, 0x0A)) == "hilink"  # RNDIS, no serial ports
    assert d.classify_usb(usb(0x1234, 0xFF, 0x08)) == "serial"
    assert d.classify_usb(usb(0x1234)) is None
    assert d.classify_usb(usb(0x1F01, 0x08, vid=0x19D2)) is None  # not Huawei


def test_storage_mode_is_explained_for_each_system() -> None:
    dev = usb(0x1F01, 0x08)
    linux = d.storage_explanation(dev, "linux")
    assert "usb-modeswitch" in linux and "12d1:1f01" in linux
    assert "installer" in d.storage_explanation(dev, "win32")


def test_default_gateways_from_the_route_table() -> None:
    assert d.parse_routes(ROUTES) == [("eth0", "192.168.1.1"), ("enx001e101f0000", "192.168.8.1")]
    assert d.parse_routes("") == []
    assert d.candidate_urls(["http://x:1/"], ["192.168.8.1"]) == [
        "http://x:1", "http://192.168.8.1", "http://192.168.1.1",
    ]  # fmt: skip
    assert d.candidate_urls(["http://x:1"], [], defaults=False) == ["http://x:1"]


WINDOWS = """===========================================================================
IPv4 Route Table
===========================================================================
Active Routes:
Network Destination        Netmask          Gateway       Interface  Metric
          0.0.0.0          0.0.0.0      192.168.1.1    192.168.1.20     25
          0.0.0.0          0.0.0.0      192.168.8.1  192.168.8.100     20
===========================================================================
"""
MACOS = """Routing tables

Internet:
Destination        Gateway            Flags        Netif Expire
default            192.168.8.1        UGScg          en7
default            link#4             UCSIg          en0
127                127.0.0.1          UCS            lo0
"""


def test_default_gateways_on_windows_and_macos() -> None:
    assert d.parse_route_print(WINDOWS) == ["192.168.1.1", "192.168.8.1"]
    assert d.parse_route_print(MACOS) == ["192.168.8.1"]
    assert d.parse_route_print("garbage\n0.0.0.0 0.0.0.0 On-link 1.2.3.4 5") == []


def test_what_counts_as_a_hilink_answer() -> None:
    ses = b"<response><SesInfo>SessionID=abc</SesInfo><TokInfo>tok</TokInfo></response>"
    info = b"<response><DeviceName>E3372h-320</DeviceName></response>"
    login = b"<error><code>100003</code><message></message></error>"
    found = d.read_hilink_answer("http://s", ses, info)
    assert found == d.Answer("http://s", "hilink", False, "E3372h-320")
    assert d.read_hilink_answer("http://s", ses, login) == d.Answer("http://s", "hilink", True)
    assert d.read_hilink_answer("http://s", None, login) == d.Answer("http://s", "hilink", True)
    assert d.read_hilink_answer("http://s", b"<html>router</html>", b"<html/>") is None
    assert d.read_hilink_answer("http://s", b"not xml <", None) is None
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa">]><response><TokInfo>&a;</TokInfo></response>'
    assert d.read_hilink_answer("http://s", bomb, None) is None


def test_what_counts_as_the_phone_app() -> None:
    health = b'{"status": "pass", "checks": {}}'
    assert d.read_android_health("u", 200, health) == d.Answer("u", "android", True)
    assert d.read_android_health("u", 401, b'{"message": "Unauthorized"}') is not None
    assert d.read_android_health("u", 200, b"<html>") is None
    assert d.read_android_health("u", 404, b'{"message": "nope"}') is None


def fake_sysfs(
    root: Path, name: str, vid: str, pid: str, classes: list[str], *, nested: bool = True
) -> None:
    """A USB device the way /sys/bus/usb/devices shows it: its folder, and one folder per
    interface inside it (``nested``) or beside it (the bus listing's links)."""
    dev = root / name
    dev.mkdir(parents=True)
    (dev / "idVendor").write_text(vid + "\n")
    (dev / "idProduct").write_text(pid + "\n")
    (dev / "manufacturer").write_text("HUAWEI\n")
    (dev / "product").write_text("HUAWEI_MOBILE\n")
    for i, cls in enumerate(classes):
        iface = (dev if nested else root) / f"{name}:1.{i}"
        iface.mkdir()
        (iface / "bInterfaceClass").write_text(cls + "\n")


def test_usb_devices_read_from_a_sysfs_tree(tmp_path: Path) -> None:
    fake_sysfs(tmp_path, "1-2", "12d1", "1f01", ["08"])
    fake_sysfs(tmp_path, "1-3", "046d", "c52b", ["03", "03"], nested=False)
    (tmp_path / "usb1").mkdir()  # a root hub without ids readable: skipped
    devices = d.usb_devices(tmp_path)
    assert [(x.ids, x.interface_classes) for x in devices] == [
        ("12d1:1f01", (8,)), ("046d:c52b", (3, 3)),
    ]  # fmt: skip
    assert d.usb_devices(tmp_path / "missing") == []


def test_probing_nothing_stays_within_the_budget() -> None:
    start = time.monotonic()
    # 198.51.100.7 is TEST-NET-2: nothing answers there (refused or silent)
    assert d.probe_all(["http://198.51.100.7", "http://127.0.0.1:9"], timeout=5.0, budget=0.5) == []
    assert time.monotonic() - start < 1.5
