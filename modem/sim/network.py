"""The radio side of the virtual modem: registration, signal, operator, cell, SMSC."""

from __future__ import annotations

from dataclasses import dataclass

# <stat> of +CREG / +CGREG (27.007 7.2)
REG_STATES: dict[str, int] = {
    "none": 0,  # not registered, not searching
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}


@dataclass
class Operator:
    long: str = "TextDesk Mobile"
    short: str = "TDM"
    numeric: str = "31026"


@dataclass
class Network:
    registration: str = "home"
    rssi: int = 23  # +CSQ 0..31, 99 unknown
    ber: int = 99
    operator: Operator = None  # type: ignore[assignment]
    lac: str = "00C3"
    ci: str = "0000A1B2"
    smsc: str = "+15550000000"
    act: int = 2  # access technology for +COPS (0 GSM, 2 UTRAN, 7 E-UTRAN)
    saved_registration: str | None = None  # before lose_network

    def __post_init__(self) -> None:
        if self.operator is None:
            self.operator = Operator()

    @property
    def stat(self) -> int:
        return REG_STATES[self.registration]

    @property
    def registered(self) -> bool:
        return self.registration in ("home", "roaming")

    def creg_urc(self, prefix: str, n: int, stat: int | None = None) -> str | None:
        """The unsolicited +CREG/+CGREG line for mode ``n`` (None when n == 0)."""
        stat = self.stat if stat is None else stat
        if n == 1:
            return f"{prefix}: {stat}"
        if n == 2:
            if stat in (1, 5):
                return f'{prefix}: {stat},"{self.lac}","{self.ci}"'
            return f"{prefix}: {stat}"
        return None

    def creg_read(self, prefix: str, n: int, stat: int | None = None) -> str:
        stat = self.stat if stat is None else stat
        if n == 2 and stat in (1, 5):
            return f'{prefix}: {n},{stat},"{self.lac}","{self.ci}"'
        return f"{prefix}: {n},{stat}"
