"""Support for the service tests (no tests in here): a ModemService wired to a VirtualModem on a
real pty, with the waits of tests.helpers.waits.

Shared by tests/modem/test_service*.py and test_gsmmodem_bugs.py. Timeouts are generous; nothing
asserts on speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemEvent,
    ModemState,
    StatusChanged,
)
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from tests.helpers.waits import EventLog, wait_until

FAST = {
    "command_timeout": 3.0,
    "send_timeout": 5.0,
    "poll_interval": 30.0,
    "sweep_interval": 600.0,
    "backoff_initial": 0.05,
    "backoff_max": 0.5,
    "sim_busy_wait": 15.0,
    "ussd_timeout": 10.0,
    # the stored way (+CMTI / +CDSI, read and deleted) unless a test asks for direct delivery
    "direct_delivery": False,
}


class Harness(EventLog):
    def __init__(
        self,
        *,
        vendor: str = "generic",
        auto_ack: bool = True,
        start: bool = True,
        sim: dict[str, Any] | None = None,
        on_sim_event: Callable[[dict[str, Any]], None] | None = None,
        use_link: str | None = None,
        **service_kw: Any,
    ) -> None:
        self.vm = VirtualModem(vendor, on_event=on_sim_event, link=use_link, **(sim or {}))
        self.device = self.vm.start()
        super().__init__()
        self.auto_ack = auto_ack
        kw = {**FAST, **service_kw}
        port = use_link or self.device
        self.svc = ModemService(port, self._sink, **kw)
        if start:
            self.svc.start()

    def _sink(self, event: ModemEvent) -> None:
        self.record(event)
        if self.auto_ack and isinstance(event, IncomingSms | DeliveryReport) and event.token:
            self.svc.ack_incoming(event.token)

    def close(self) -> None:
        self.svc.stop()
        self.vm.stop()

    def wait_until(self, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        wait_until(cond, timeout, what or "condition", detail=lambda: f"now {self.svc.status}")

    def ready(self, timeout: float = 20.0) -> Harness:
        self.wait_until(lambda: self.svc.status.state == ModemState.READY, timeout, "READY")
        return self

    def stored(self, memory: str = "SM") -> list[dict[str, Any]]:
        answer = self.vm.control({"cmd": "storage", "memory": memory})
        assert answer is not None, "the virtual modem did not answer"
        messages: list[dict[str, Any]] = answer["messages"]
        return messages


# --- a scripted modem: a fake serial port that answers from a table --------------------------

Answer = str | Callable[[str], str] | None
"""A scripted answer: the lines to send back (``"\\n"`` separates them, each is framed with
CR LF; ``"> "`` as the whole answer is the SMS prompt), a function of the command giving them,
or None for silence."""


def _default_answers(port: ScriptedPort) -> dict[str, Answer]:
    return {
        "AT": "OK",
        "ATE0": "OK",
        "AT+CMEE=1": "OK",
        "AT+CGMI": "Scripted\nOK",
        "AT+CGMM": "Terse 1\nOK",
        "AT+CGSN": "490154203237518\nOK",
        "AT+CIMI": "001010123456789\nOK",
        "AT+CCID": "+CCID: 8901260123456789012\nOK",
        "AT+CPIN?": "+CPIN: READY\nOK",
        "AT+CMGF=0": "OK",
        'AT+CPMS="SM","SM","SM"': "+CPMS: 0,30,0,30,0,30\nOK",
        'AT+CPMS="SM"': "+CPMS: 0,30,0,30,0,30\nOK",
        "AT+CPMS?": '+CPMS: "SM",0,30,"SM",0,30,"SM",0,30\nOK',
        "AT+CPMS=?": '+CPMS: ("SM"),("SM"),("SM")\nOK',
        "AT+CNMI?": lambda _c: f"+CNMI: {port.cnmi}\nOK",
        "AT+CREG=2": "OK",
        "AT+CREG?": "+CREG: 2,1\nOK",
        "AT+CEREG?": "ERROR",
        "AT+COPS=3,0": "OK",
        "AT+COPS?": '+COPS: 0,0,"Scripted Net",2\nOK',
        "AT+CMMS=0": "OK",
        "AT+CSQ": "+CSQ: 20,99\nOK",
        "AT+CMGL=4": "OK",
    }


class ScriptedPort:
    """A serial port (``modem.at.channel.SerialLike``) in front of a scripted modem: every
    command written (CR-terminated) is answered from ``answers`` (exact command first, then
    the longest key the command starts with), defaults being a sane registered modem. AT+CNMI=
    sets what AT+CNMI? reports; AT+CMGS=<n> prompts, takes the PDU up to Ctrl-Z and answers
    ``cmgs_answer``. ``commands`` records every command, ``pdus`` every PDU sent. Given to
    ModemService through its ``opener``; nothing global is patched."""

    def __init__(
        self,
        answers: dict[str, Answer] | None = None,
        *,
        cmgs_answer: str = "+CMGS: 7\nOK",
        echo: bool = False,
    ) -> None:
        self.cnmi = "0,0,0,0,0"
        self.answers: dict[str, Answer] = {**_default_answers(self), **(answers or {})}
        self.cmgs_answer = cmgs_answer
        self.echo = echo
        self.commands: list[str] = []
        self.pdus: list[str] = []
        self._out = bytearray()
        self._in = bytearray()
        self._in_pdu = False
        self._lock = threading.Condition()
        self.closed = False

    # --- SerialLike ---------------------------------------------------------------------------

    @property
    def in_waiting(self) -> int:
        with self._lock:
            self._check()
            return len(self._out)

    def read(self, size: int = 1) -> bytes:
        with self._lock:
            self._check()
            if not self._out:
                self._lock.wait(0.05)
            data = bytes(self._out[:size])
            del self._out[:size]
            return data

    def write(self, data: bytes) -> int | None:
        with self._lock:
            self._check()
            self._in += data
            self._process()
        return len(data)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._lock.notify_all()

    # --- scripting ----------------------------------------------------------------------------

    def _check(self) -> None:
        if self.closed:
            raise OSError(5, "scripted port closed")

    def urc(self, text: str) -> None:
        """Print ``text`` (lines separated by "\\n") unasked, as a URC."""
        with self._lock:
            self._send(text)

    def _send(self, text: str) -> None:
        if text == "> ":
            self._out += b"\r\n> "
        else:
            for line in text.split("\n"):
                self._out += b"\r\n" + line.encode("latin-1") + b"\r\n"
        self._lock.notify_all()

    def _answer_for(self, cmd: str) -> Answer:
        if cmd in self.answers:
            return self.answers[cmd]
        keys = [k for k in self.answers if cmd.startswith(k) and k != "AT"]
        if keys:
            return self.answers[max(keys, key=len)]
        if cmd.startswith("AT+CNMI="):
            self.cnmi = cmd[8:]
            return "OK"
        if cmd.startswith("AT+CMGS="):
            self._in_pdu = True
            return "> "
        return "ERROR"

    def _process(self) -> None:
        while True:
            if self._in_pdu:
                end = self._in.find(b"\x1a")
                if end < 0:
                    if b"\x1b" in self._in:  # ESC: cancelled
                        self._in_pdu = False
                        self._in.clear()
                    return
                self.pdus.append(self._in[:end].decode("ascii", "replace"))
                del self._in[: end + 1]
                self._in_pdu = False
                self._send(self.cmgs_answer)
                continue
            self._in = self._in.lstrip(b"\x1b\n")
            end = self._in.find(b"\r")
            if end < 0:
                return
            cmd = self._in[:end].decode("ascii", "replace").strip()
            del self._in[: end + 1]
            if not cmd:
                continue
            self.commands.append(cmd)
            if self.echo:
                self._out += cmd.encode() + b"\r"
            answer = self._answer_for(cmd)
            text = answer(cmd) if callable(answer) else answer
            if text is not None:
                self._send(text)


class ScriptedHarness(EventLog):
    """ModemService on a ScriptedPort (through its ``opener``), with the Harness's waiting."""

    URL = "socket://scripted.invalid:1"  # a network-style name: never discovered, never opened

    def __init__(self, port: ScriptedPort, *, start: bool = True, **service_kw: Any) -> None:
        self.port = port
        self.opened = 0
        super().__init__()
        kw = {**FAST, "command_timeout": 1.0, **service_kw}
        self.svc = ModemService(self.URL, self.record, opener=self._open, **kw)
        if start:
            self.svc.start()

    def _open(self, path: str, baudrate: int) -> ScriptedPort:
        self.opened += 1
        self.port.closed = False
        return self.port

    def close(self) -> None:
        self.svc.stop()

    def states(self) -> list[ModemState]:
        return [e.status.state for e in self.of(StatusChanged)]

    def wait_until(self, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        wait_until(cond, timeout, what or "condition", detail=lambda: f"now {self.svc.status}")

    def ready(self, timeout: float = 20.0) -> ScriptedHarness:
        self.wait_until(lambda: self.svc.status.state == ModemState.READY, timeout, "READY")
        return self
