"""Fixtures for tests against the virtual modem (modem.sim) on a real pseudo-terminal.

* ``virtual_modem``: a started ``VirtualModem`` (generic vendor), stopped after the test.
* ``make_modem(**kwargs)``: start one with any ``VirtualModem`` options (vendor="huawei", pin=...);
  all are stopped after the test.
* ``at_client(device_or_modem)``: a small pyserial AT client (``AtClient``) for poking the modem
  by hand; closed after the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from modem.sim import VirtualModem
from tests.helpers import waits

FINAL = re.compile(rb"(\r\n(OK|ERROR|\+CME ERROR: [^\r\n]*|\+CMS ERROR: [^\r\n]*)\r\n)|(\r\n> )")


class AtClient:
    """Plain pyserial: write a command, read up to the final result code. Nothing clever."""

    def __init__(self, device: str, *, timeout: float = 10.0) -> None:
        self.device = device
        self.timeout = timeout
        self.port = serial.Serial(device, 115200, timeout=0.05)
        self.buf = b""

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # the device may already be gone (unplug tests)
            pass

    def _fill(self) -> None:
        chunk = self.port.read(self.port.in_waiting or 1)
        if chunk:
            self.buf += chunk

    def read_until(self, pattern: bytes | re.Pattern[bytes], timeout: float | None = None) -> bytes:
        """Everything up to the end of the first match; TimeoutError with what came so far."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            match = regex.search(self.buf)
            if match:
                out, self.buf = self.buf[: match.end()], self.buf[match.end() :]
                return out
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited for {regex.pattern!r}, got {self.buf!r}")
            self._fill()

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def raw(self, command: str | bytes, timeout: float | None = None) -> bytes:
        """Send one line (CR added) and return the raw bytes up to its final result / prompt."""
        data = command.encode("latin-1") if isinstance(command, str) else command
        self.port.write(data + b"\r")
        return self.read_until(FINAL, timeout)

    def cmd(self, command: str, timeout: float | None = None) -> list[str]:
        """Send a command; the non-empty response lines without the echo, final result last."""
        out = self.raw(command, timeout).decode("latin-1")
        lines = [ln for ln in out.replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln]
        if lines and lines[0] == command:
            lines = lines[1:]
        return lines

    def ok(self, command: str, timeout: float | None = None) -> list[str]:
        """Like ``cmd`` but asserts the final OK and returns only the information lines."""
        lines = self.cmd(command, timeout)
        assert lines and lines[-1] == "OK", f"{command!r} -> {lines!r}"
        return lines[:-1]

    def send_prompt_text(self, text: str | bytes, end: bytes = b"\x1a") -> list[str]:
        data = text.encode("latin-1") if isinstance(text, str) else text
        self.port.write(data + end)
        out = self.read_until(FINAL).decode("latin-1")
        return [ln for ln in out.replace("\r\n", "\n").split("\n") if ln and ln != text]

    def read_until_line(self, prefix: str, timeout: float | None = None) -> str:
        """The next complete line starting with ``prefix``; what came before it is dropped."""
        regex = re.compile(rb"(?:^|\n)(" + re.escape(prefix.encode("latin-1")) + rb"[^\r\n]*)\r\n")
        out = self.read_until(regex, timeout)
        return regex.search(out).group(1).decode("latin-1")


def wait_for(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """Poll until ``condition()`` is truthy; returns its value (tests.helpers.waits)."""
    return waits.wait_until(condition, timeout, what)


@pytest.fixture
def make_modem() -> Iterator[Callable[..., VirtualModem]]:
    started: list[VirtualModem] = []

    def make(**kwargs: object) -> VirtualModem:
        vm = VirtualModem(**kwargs)  # type: ignore[arg-type]
        vm.start()
        started.append(vm)
        return vm

    yield make
    for vm in started:
        vm.stop()


@pytest.fixture
def virtual_modem(make_modem: Callable[..., VirtualModem]) -> VirtualModem:
    return make_modem()


@pytest.fixture
def at_client() -> Iterator[Callable[..., AtClient]]:
    clients: list[AtClient] = []

    def connect(target: str | VirtualModem, **kwargs: object) -> AtClient:
        device = target if isinstance(target, str) else target.device
        assert device, "modem not started"
        client = AtClient(device, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()
