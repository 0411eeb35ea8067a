"""The virtual modem's line: raw TCP and RFC 2217 (the Windows and ser2net paths), one client at a
time with the modem's state surviving a client, full-duplex pacing, and the network's delay
before "submitted"."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from modem.codec.pdu import encode_submit
from modem.sim import SimProcess, VirtualModem
from modem.sim.__main__ import run_other_kind
from modem.sim.tcp_port import split_address
from tests.modem.conftest import AtClient, wait_for

ROOT = Path(__file__).resolve().parents[3]


class UrlClient(AtClient):
    """The conftest AtClient, opened with ``serial.serial_for_url`` (socket://, rfc2217://)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.device = url
        self.timeout = timeout
        self.port = serial.serial_for_url(url, 115200, timeout=0.05)
        self.buf = b""


@pytest.fixture(params=["tcp", "rfc2217"])
def net_modem(request: pytest.FixtureRequest) -> Iterator[VirtualModem]:
    vm = VirtualModem(**{request.param: "127.0.0.1:0"}, report_delay=0.05)
    vm.start()
    yield vm
    vm.stop()


def _send(at: AtClient, text: str = "hi", report: bool = False) -> list[str]:
    (part,) = encode_submit("+15551234567", text, request_status_report=report)
    at.raw(f"AT+CMGS={part.tpdu_length}")
    return at.send_prompt_text(part.hex)


def test_split_address() -> None:
    assert split_address("127.0.0.1:0") == ("127.0.0.1", 0)
    assert split_address("[::1]:2000") == ("::1", 2000)
    for bad in ("127.0.0.1", ":80", "host:port", "h:70000"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            split_address(bad)


def test_network_modem_sends_and_receives(net_modem: VirtualModem) -> None:
    device = net_modem.device
    assert device is not None
    scheme = "socket" if net_modem.config.transport == "tcp" else "rfc2217"
    assert device.startswith(f"{scheme}://127.0.0.1:")
    assert net_modem.wait_event("ready")["device"] == device
    at = UrlClient(device)
    try:
        at.ok("ATE0;+CMEE=1")
        assert at.ok("AT+CGMI") == ["TextDesk"]
        assert _send(at, "over the network")[-1] == "OK"
        assert net_modem.wait_event("submitted")["text"] == "over the network"
        at.ok("AT+CNMI=2,1,0,0,0")
        net_modem.deliver("+15557654321", "and back")
        assert at.read_until_line("+CMTI:").startswith('+CMTI: "SM",')
    finally:
        at.close()


def test_a_client_leaving_keeps_the_modem_and_a_second_client_is_turned_away(
    net_modem: VirtualModem,
) -> None:
    device = net_modem.device
    assert device is not None
    first = UrlClient(device)
    first.ok("ATE0;+CMGF=1;+CMEE=2")
    net_modem.wait_event("client_connected")
    # the busy line: the connection is closed at once (an RFC 2217 client notices while it
    # negotiates, a raw one at its first read), and nothing reaches the modem
    with pytest.raises((serial.SerialException, OSError)):
        intruder = serial.serial_for_url(device, 115200, timeout=0.3)
        try:
            for _ in range(20):
                intruder.write(b"AT+CMGF=0\r")
                intruder.read(64)
                time.sleep(0.05)
        finally:
            intruder.close()
    first.close()
    net_modem.wait_event("client_left")
    second = UrlClient(device)
    try:
        # echo still off, text mode still on: the state belongs to the modem, not the client
        assert second.ok("AT+CMGF?") == ["+CMGF: 1"]
        assert second.raw("AT+CMEE?") == b"\r\n+CMEE: 2\r\n\r\nOK\r\n"  # no echo
    finally:
        second.close()


def test_unplug_cuts_the_client_and_replug_listens_on_the_same_address(
    net_modem: VirtualModem,
) -> None:
    device = net_modem.device
    assert device is not None
    at = UrlClient(device)
    at.ok("AT")
    net_modem.control({"cmd": "unplug"})
    with pytest.raises((serial.SerialException, OSError)):
        for _ in range(40):
            at.port.write(b"AT\r")
            at.port.read(16)
            time.sleep(0.05)
    at.close()
    reply = net_modem.control({"cmd": "replug"})
    assert reply is not None and reply["device"] == device and reply["exists"]
    again = UrlClient(device)
    try:
        assert wait_for(lambda: again.cmd("AT")[-1] == "OK", 5, "the replugged modem")
    finally:
        again.close()


def test_rfc2217_passes_0xff_bytes_through() -> None:
    with VirtualModem(rfc2217="127.0.0.1:0") as vm:
        assert vm.device is not None
        port = serial.serial_for_url(vm.device, 115200, timeout=0.1)
        try:
            port.write(b"ATE0\r")
            wait_for(lambda: b"OK" in port.read(64), 5, "OK")
            vm.control({"cmd": "garbage", "data": "FF00FFFE41"})
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < 5 and time.monotonic() < deadline:
                got += port.read(16)
            assert got == b"\xff\x00\xff\xfeA"
        finally:
            port.close()


@pytest.mark.parametrize(("flag", "scheme"), [("--tcp", "socket"), ("--rfc2217", "rfc2217")])
def test_cli_network_ready_line(flag: str, scheme: str) -> None:
    sim = SimProcess(args=[flag, "127.0.0.1:0"])
    device = sim.start()
    try:
        assert device.startswith(f"{scheme}://127.0.0.1:")
        at = UrlClient(device)
        try:
            assert at.ok("AT+CGMM") == ["Virtual GSM Modem"]
        finally:
            at.close()
    finally:
        assert sim.stop() == 0


def test_cli_refuses_a_bad_address_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "modem.sim", "--tcp", "nowhere"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        input="",
    )
    assert proc.returncode != 0
    assert "HOST:PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_default_kind_is_the_at_modem() -> None:
    sim = SimProcess(args=["--kind", "at"])
    try:
        assert sim.start().startswith("/dev/")
    finally:
        sim.stop()


def test_a_missing_device_kind_is_one_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_other_kind("nosuchkind", []) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--kind nosuchkind is not available" in err


# --- pacing ---------------------------------------------------------------------------------


def test_echo_runs_alongside_the_input_full_duplex(make_modem, at_client) -> None:
    vm = make_modem(baud=9600)  # 960 bytes/s each way
    at = at_client(vm)
    assert at.ok("AT") == []  # echo on
    line = "AT" + "E1" * 239  # 480 bytes in, the same 480 echoed
    start = time.monotonic()
    out = at.raw(line)
    took = time.monotonic() - start
    assert out.startswith(line.encode()) and out.endswith(b"OK\r\n")
    one_way = (len(line) + 1) / 960
    assert one_way * 0.9 <= took < one_way * 1.5, took  # half duplex would take twice one_way


def test_submitted_comes_after_the_network_delay(make_modem, at_client) -> None:
    vm = make_modem(cmgs_delay=0.6, report_delay=0.05)
    at = at_client(vm)
    at.ok("ATE0;+CNMI=2,1,0,1,0")
    start = time.monotonic()
    assert _send(at, "take your time", report=True)[-1] == "OK"
    submitting = vm.wait_event("submitting")
    submitted = vm.wait_event("submitted")
    assert submitting["reference"] == submitted["reference"]
    assert submitted["text"] == "take your time"
    # the history is in order: submitting at once, submitted only once the network answered
    kinds = [e["event"] for e in vm.history if e["event"] in ("submitting", "submitted")]
    assert kinds == ["submitting", "submitted"]
    assert time.monotonic() - start >= 0.6
    assert vm.wait_event("report")["reference"] == submitted["reference"]


def test_no_submitted_when_unplugged_during_the_network_delay(make_modem, at_client) -> None:
    vm = make_modem(cmgs_delay=1.0)
    at = at_client(vm)
    at.ok("ATE0")
    (part,) = encode_submit("+15551234567", "cut", request_status_report=False)
    at.raw(f"AT+CMGS={part.tpdu_length}")
    at.write(part.hex.encode() + b"\x1a")
    vm.wait_event("submitting")
    vm.control({"cmd": "unplug"})
    time.sleep(1.3)
    assert vm.submitted() == []


def test_cli_without_pseudo_terminals_serves_tcp() -> None:
    """As on Windows: no os.openpty, no --tcp given: the modem still comes up, on TCP."""
    code = "import os, sys; del os.openpty; from modem.sim.__main__ import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["event"] == "ready" and ready["device"].startswith("socket://127.0.0.1:")
        at = UrlClient(ready["device"])
        try:
            assert at.ok("AT+CGMI") == ["TextDesk"]
        finally:
            at.close()
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None and "serving TCP" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
