"""Port discovery and probing: against the virtual modem, a pty nobody answers on, missing and
unreadable paths, and the plain-words explanations."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import serial

from modem import ports
from modem.sim import VirtualModem


@pytest.fixture
def sim() -> Iterator[VirtualModem]:
    vm = VirtualModem("huawei", sim_busy=0.0)
    vm.start()
    yield vm
    vm.stop()


def test_probe_finds_the_virtual_modem(sim: VirtualModem) -> None:
    result = ports.probe(sim.device or "")
    assert result.ok, result
    assert result.manufacturer == "huawei" and result.model == "E173"
    assert result.summary.endswith("huawei E173")


def test_probe_of_a_silent_pty_says_it_does_not_answer() -> None:
    master, slave = os.openpty()
    try:
        result = ports.probe(os.ttyname(slave), timeout=0.3)
        assert not result.ok
        assert result.error and "does not answer" in result.error
    finally:
        os.close(master)
        os.close(slave)


def test_probe_of_a_missing_path(tmp_path: Path) -> None:
    result = ports.probe(str(tmp_path / "ttyUSB9"))
    assert not result.ok and "does not exist" in (result.error or "")


def test_probe_of_an_unreadable_path() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    mode = os.stat(path).st_mode
    try:
        os.chmod(path, 0)
        result = ports.probe(path, timeout=0.3)
        assert not result.ok
        if os.geteuid() == 0:  # root opens it anyway; nobody answers
            assert "does not answer" in (result.error or "")
        else:
            assert "dialout" in (result.error or "")
    finally:
        os.chmod(path, mode & 0o7777)
        os.close(master)
        os.close(slave)


def test_permission_denied_is_explained_with_the_dialout_group() -> None:
    exc = serial.SerialException(
        errno.EACCES, "could not open port /dev/ttyUSB0: [Errno 13] Permission denied"
    )
    text = ports.explain_open_error(exc, "/dev/ttyUSB0", platform="linux")
    assert "dialout" in text and "sudo usermod -aG dialout $USER" in text
    assert "log out" in text
    plain = ports.explain_open_error(
        PermissionError(errno.EACCES, "nope"), "/dev/x", platform="linux"
    )
    assert "dialout" in plain


def test_other_open_errors_in_plain_words() -> None:
    win = serial.SerialException(
        "could not open port 'COM3': PermissionError(13, 'Access is denied.')"
    )
    assert "another program" in ports.explain_open_error(win, "COM3", platform="win32")
    busy = OSError(errno.EBUSY, "Device or resource busy")
    assert "in use" in ports.explain_open_error(busy, "/dev/ttyUSB0", platform="linux")
    gone = FileNotFoundError(errno.ENOENT, "No such file or directory")
    assert "plugged in" in ports.explain_open_error(gone, "/dev/ttyUSB0", platform="linux")


def test_known_modem_makers_are_listed_first() -> None:
    fake = [
        SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, description="n/a"),
        SimpleNamespace(device="/dev/ttyUSB3", vid=0x0403, pid=0x6001, description="FT232R"),
        SimpleNamespace(device="/dev/ttyUSB2", vid=0x12D1, pid=0x1001, description="E173"),
        SimpleNamespace(device="/dev/ttyACM0", vid=0x2C7C, pid=0x0125, description="EC25"),
        SimpleNamespace(device="/dev/ttyUSB7", vid=0x9999, pid=0x0001, description="other"),
    ]
    got = ports.list_candidates(comports=fake, extra_devices=["/dev/ttyUSB9", "/dev/ttyUSB2"])
    assert [p.device for p in got] == [
        "/dev/ttyACM0",
        "/dev/ttyUSB2",
        "/dev/ttyUSB3",
        "/dev/ttyUSB7",
        "/dev/ttyUSB9",
    ]
    assert got[0].maker == "Quectel" and got[1].maker == "Huawei"
    assert got[0].likely_modem and not got[2].likely_modem  # an FTDI adapter: maybe, not surely
    legacy = ports.list_candidates(comports=fake, extra_devices=[], include_legacy=True)
    assert "/dev/ttyS0" in [p.device for p in legacy]


def test_list_candidates_runs_on_this_machine() -> None:
    for info in ports.list_candidates():
        assert info.device


# --- modems on the network (pyserial URLs) ----------------------------------------------------


@pytest.mark.parametrize("transport", ["tcp", "rfc2217"])
def test_probe_finds_a_modem_on_the_network(transport: str) -> None:
    vm = VirtualModem("huawei", sim_busy=0.0, **{transport: "127.0.0.1:0"})
    device = vm.start()
    try:
        assert device.startswith(("socket://", "rfc2217://"))
        assert ports.is_url(device)
        result = ports.probe(device)
        assert result.ok, result
        assert (result.manufacturer, result.model) == ("huawei", "E173")
    finally:
        vm.stop()


def test_probe_of_an_address_where_nothing_listens_says_so_in_plain_words() -> None:
    import socket

    with socket.socket() as s:  # a free port, closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    result = ports.probe(f"socket://127.0.0.1:{free}", timeout=0.3)
    assert not result.ok
    assert result.error and "Nothing answers at socket://127.0.0.1:" in result.error
    assert "ser2net" in result.error


def test_urls_are_told_from_device_paths() -> None:
    assert ports.is_url("socket://192.168.1.1:2000")
    assert ports.is_url("RFC2217://modem.local:4000")
    assert not ports.is_url("/dev/ttyUSB0") and not ports.is_url("COM3")
