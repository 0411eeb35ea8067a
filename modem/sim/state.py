"""The modem's settings (volatile: reset by ATZ, AT&F and power-on), SIM card and fault switches."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Settings:
    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    cmgf: int = 0
    cnmi: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # mode, mt, bm, ds, bfr
    csms: int = 0
    cscs: str = "IRA"
    csmp: list[int] = field(default_factory=lambda: [17, 167, 0, 0])  # fo, vp, pid, dcs
    csdh: int = 0
    creg: int = 0
    cgreg: int = 0
    cops_format: int = 0
    cops_mode: int = 0
    cmms: int = 0
    cusd: int = 0
    ussd_plain: bool = False  # Huawei AT^USSDMODE=0
    curc: int = 1  # Huawei periodic URCs on
    stubs: dict[str, str] = field(default_factory=dict)  # values of settings we only store
    sregs: dict[int, int] = field(default_factory=lambda: {0: 0, 3: 13, 4: 10, 5: 8, 7: 60})
    cpms: list[str] = field(default_factory=lambda: ["SM", "SM", "SM"])
    cpms_set: bool = False


@dataclass
class SimCard:
    state: str = "ready"  # ready | pin | puk | blocked | absent
    pin: str = "1234"
    puk: str = "12345678"
    lock_enabled: bool = False
    pin_attempts: int = 3
    puk_attempts: int = 10
    imsi: str = "310260000000001"
    iccid: str = "89012600000000000017"
    msisdn: str = "+15550001111"

    def power_on(self) -> None:
        if self.state in ("absent", "blocked", "puk"):
            return
        self.state = "pin" if self.lock_enabled else "ready"


@dataclass
class Faults:
    slow_seconds: float = 0.0
    slow_count: int | None = None  # None: every command until cleared
    cms_code: int = 0
    cms_count: int = 0
    garbage_in_reply: bytes | None = None
    split_pause: float | None = None
    late_after: float | None = None  # armed: the next answer comes late (fallback seconds)
    late_stash: bytes | None = None
    report_mode: str = "normal"  # normal | fail | delay | drop
    report_delay: float | None = None
    report_status: int = 0x40 | 0x01  # permanent error: incompatible destination
    report_count: int | None = None  # None: until changed
