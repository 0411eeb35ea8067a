"""``SimConfig``: how one virtual modem is set up (SIM PIN, pacing, delays, transport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modem.sim.tcp_port import split_address

TRANSPORTS = ("pty", "tcp", "rfc2217")


@dataclass
class SimConfig:
    pin: str | None = None  # a PIN the SIM asks for at power-on (None: PIN lock off)
    puk: str = "12345678"
    baud: int | None = None
    cmgs_delay: float = 0.0
    report_delay: float = 0.2
    link: str | None = None
    trace: bool = False
    customer: bool = False
    customer_delay: float = 1.0
    cnma_timeout: float = 5.0  # +CMT not acknowledged (AT+CSMS=1) within this: 27.005 3.4.1
    redeliver_delay: float = 2.0  # the network tries an unacknowledged / rejected SMS again
    ussd_text: str = "Your balance is 12.34 USD. Valid until 31/12."
    ussd_delay: float = 0.3
    sim_busy: float | None = None  # override the vendor's SIM-busy seconds after power-on
    seed: int | None = None
    transport: str = "pty"  # pty | tcp | rfc2217
    listen: str = "127.0.0.1:0"  # HOST:PORT for tcp / rfc2217 (port 0: any free port)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport is one of {', '.join(TRANSPORTS)}, not {self.transport!r}")
        if self.transport != "pty":
            split_address(self.listen)
