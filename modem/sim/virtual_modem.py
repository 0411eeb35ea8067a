"""``VirtualModem``: the in-process API tests use (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from modem.sim.control import Control
from modem.sim.core import ModemCore, SimConfig
from modem.sim.customer import Reassembler, reply_for
from modem.sim.event_log import Event, EventLog
from modem.sim.vendors import get_vendor

log = logging.getLogger(__name__)


class VirtualModem(EventLog):
    """A GSM modem on a real pseudo-terminal (or a TCP socket), run on threads of this process.

    ``start()`` returns the device to open with pyserial (``serial.serial_for_url`` takes all
    three): a pty path, or ``socket://HOST:PORT`` with ``tcp="HOST:PORT"``, or
    ``rfc2217://HOST:PORT`` with ``rfc2217="HOST:PORT"`` (port 0: any free port).
    ``control(Event)`` takes the JSON channel's commands; ``events`` is a queue of the event
    dicts (also kept for ``wait_event``).
    """

    def __init__(
        self,
        vendor: str = "generic",
        *,
        pin: str | None = None,
        puk: str = "12345678",
        baud: int | None = None,
        cmgs_delay: float = 0.0,
        customer: bool = False,
        link: str | None = None,
        report_delay: float = 0.2,
        trace: bool = False,
        sim_busy: float | None = None,
        cnma_timeout: float = 5.0,
        redeliver_delay: float = 2.0,
        ussd_text: str | None = None,
        customer_delay: float = 1.0,
        seed: int | None = None,
        on_event: Callable[[Event], None] | None = None,
        record: bool = True,
        tcp: str | None = None,
        rfc2217: str | None = None,
    ) -> None:
        super().__init__(record=record)
        if tcp is not None and rfc2217 is not None:
            raise ValueError("choose tcp or rfc2217, not both")
        self.profile = get_vendor(vendor)
        self.config = SimConfig(
            pin=pin,
            puk=puk,
            baud=baud,
            cmgs_delay=cmgs_delay,
            report_delay=report_delay,
            link=str(link) if link else None,
            trace=trace,
            customer=customer,
            customer_delay=customer_delay,
            cnma_timeout=cnma_timeout,
            redeliver_delay=redeliver_delay,
            sim_busy=sim_busy,
            seed=seed,
            transport="tcp" if tcp is not None else "rfc2217" if rfc2217 is not None else "pty",
            listen=tcp or rfc2217 or "127.0.0.1:0",
        )
        if ussd_text is not None:
            self.config.ussd_text = ussd_text
        self._on_event = on_event
        self._core: ModemCore | None = None
        self._control: Control | None = None
        self._reassembler = Reassembler()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        if self._core is not None:
            raise RuntimeError("already started")
        self._core = ModemCore(self.profile, self.config, self._emit)
        self._control = Control(self._core)
        device = self._core.plug()
        self._emit({"event": "ready", "device": device})
        return device

    def stop(self) -> None:
        if self._core is not None:
            self._core.shutdown()

    def __enter__(self) -> VirtualModem:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def device(self) -> str | None:
        core = self._core
        return core.port.device if core is not None and core.port is not None else None

    @property
    def core(self) -> ModemCore:
        if self._core is None:
            raise RuntimeError("not started")
        return self._core

    # ------------------------------------------------------------------ control
    def control(self, cmd: Event) -> Event | None:
        if self._control is None:
            raise RuntimeError("not started")
        return self._control.handle(cmd)

    def deliver(self, sender: str, text: str, **extra: Any) -> Event | None:
        return self.control({"cmd": "deliver", "from": sender, "text": text, **extra})

    # ------------------------------------------------------------------ events
    def _emit(self, event: Event) -> None:
        self._record(event)
        if self._on_event is not None:
            self._on_event(event)
        if event.get("event") == "submitted" and self.config.customer:
            self._customer_reply(event)

    def _customer_reply(self, event: Event) -> None:
        whole = self._reassembler.add(event)
        if whole is None:
            return
        answer = reply_for(whole)
        if answer is None or self._core is None:
            return
        sender = str(event["to"])
        control = self._control

        def reply() -> None:
            if control is not None:
                control.handle({"cmd": "deliver", "from": sender, "text": answer})

        self._core.call_later(self.config.customer_delay, reply)
