"""Bringing a modem up and asking how it is: init sequence, PIN state, identity, network status.

Everything here runs on the modem thread over an AtChannel. Optional commands a model refuses
are skipped; SIM busy (+CME ERROR: 14 / +CMS ERROR: 314, or an empty answer while the SIM is
read) is waited out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from modem.at.channel import AtChannel, AtTimeout, CommandError, Response

T = TypeVar("T")

REGISTRATION = {
    0: "not registered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
    6: "home",  # SMS only (E-UTRAN)
    7: "roaming",
}
# +CNMI <mode>,<mt>,<bm>,<ds>,<bfr> in the order tried. Without AT+CSMS=1 the modem acks what
# it routes to us itself, so a +CMT or +CDS the consumer fails to store would be gone: storing
# (mt=1, ds=2) comes first, a +CDS (ds=1) only when reports cannot be stored.
CNMI_CHOICES = ("2,1,0,2,0", "2,1,0,1,0", "1,1,0,2,0", "1,1,0,1,0", "2,1,0,0,0", "1,1,0,0,0")
# With AT+CSMS=1 nothing routed to us counts as received until our +CNMA: direct routing is as
# safe as storing and costs no read and no delete. Reports direct first (ds=1), then SMS (mt=2).
CNMI_REPORTS_DIRECT = ("2,1,0,1,0", "1,1,0,1,0")
CNMI_DIRECT = ("2,2,0,1,0", "1,2,0,1,0", "2,2,0,2,0", "1,2,0,2,0")


class SimBusy(Exception):
    """The SIM is still being read; try again shortly."""


@dataclass(frozen=True)
class PinState:
    ready: bool
    kind: str | None  # "SIM PIN", "SIM PUK", ... when not ready
    error: str | None = None  # "no SIM" and similar, in plain words
    unknown: bool = False  # the modem did not say (taken as ready; later answers tell)


def is_sim_busy(exc: CommandError) -> bool:
    return (exc.kind == "cme" and exc.code == 14) or (exc.kind == "cms" and exc.code == 314)


def optional(ch: AtChannel, cmd: str, timeout: float) -> Response | None:
    """Run a command a model may refuse; None when refused."""
    try:
        return ch.command(cmd, timeout)
    except CommandError as exc:
        if is_sim_busy(exc):
            raise SimBusy(cmd) from exc
        return None


def wake(ch: AtChannel, timeout: float, attempts: int = 3) -> None:
    """Get a first answer (echo off). The first bytes after opening may meet leftovers."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            ch.command("ATE0", timeout)
            return
        except CommandError:
            return  # it answers: ATE0 refused is odd but harmless
        except AtTimeout as exc:
            last = exc
            ch.dirty = False
    raise last or AtTimeout("ATE0", [])


_CME_PIN = {11: "SIM PIN", 12: "SIM PUK", 17: "SIM PIN2", 18: "SIM PUK2"}
_KNOWN_PIN = re.compile(
    r"^(READY|NOT READY|(PH[-_ ])?(SIM|NET|NETSUB|SP|CORP|FSIM)[ _]P(IN|UK)2?)$"
)


def pin_asked(exc: CommandError) -> str | None:
    """ "SIM PIN" / "SIM PUK" ... when ``exc`` is the modem saying it needs that first."""
    return _CME_PIN.get(exc.code or -1) if exc.kind == "cme" else None


def pin_state(ch: AtChannel, timeout: float) -> PinState:
    """What the SIM wants. Only a readable answer counts: a bare OK, a plain ERROR or a line we
    cannot read is "unknown" and taken as ready (``unknown=True``), so setting up goes on and
    the modem's answers to the next commands tell the truth (+CME ERROR: 11 asks for the PIN)."""
    try:
        resp = ch.command("AT+CPIN?", timeout, final_on_info=True)
    except CommandError as exc:
        if is_sim_busy(exc):
            raise SimBusy("AT+CPIN?") from exc
        if exc.kind == "cme" and exc.code == 10:
            return PinState(False, None, "No SIM card is inserted in the modem.")
        if exc.kind == "cme" and exc.code == 13:
            return PinState(False, None, "The SIM card failed or is blocked.")
        if exc.kind == "cme" and exc.code in _CME_PIN:
            return PinState(False, _CME_PIN[exc.code])
        return PinState(True, None, unknown=True)
    value = " ".join((resp.first("+CPIN") or "").strip().strip('"').upper().split())
    if value == "READY":
        return PinState(True, None)
    if value == "NOT READY":
        raise SimBusy("AT+CPIN?")
    if not _KNOWN_PIN.match(value):
        return PinState(True, None, unknown=True)
    return PinState(False, value)


def send_pin(ch: AtChannel, pin: str, timeout: float) -> None:
    ch.command(f'AT+CPIN="{pin}"', timeout)


def _digits(resp: Response | None) -> str | None:
    if resp is None:
        return None
    for line in resp.lines:
        m = re.search(r"(\d{6,22}[0-9A-Fa-f]?)", line)
        if m:
            return m.group(1)
    return None


def _plain(resp: Response | None) -> str | None:
    if resp is None:
        return None
    for line in resp.lines:
        value = line.split(":", 1)[1] if line.startswith(("+", "^")) and ":" in line else line
        value = value.strip().strip('"').strip()
        if value:
            return value
    return None


def identity(ch: AtChannel, timeout: float) -> dict[str, str | None]:
    """Manufacturer, model, IMEI, IMSI, ICCID (whichever the modem tells)."""
    out: dict[str, str | None] = {
        "manufacturer": _plain(optional(ch, "AT+CGMI", timeout)),
        "model": _plain(optional(ch, "AT+CGMM", timeout)),
        "imei": _digits(optional(ch, "AT+CGSN", timeout)),
        "imsi": _digits(optional(ch, "AT+CIMI", timeout)),
        "iccid": None,
    }
    for cmd in ("AT+CCID", "AT^ICCID?", "AT+QCCID", "AT+ZGETICCID", "AT+ICCID"):
        found = _digits(optional(ch, cmd, timeout))
        if found:
            out["iccid"] = found
            break
    return out


@dataclass(frozen=True)
class SmsSetup:
    """What ``set_up_sms`` chose: the storage that took (None: none did), the +CNMI values set
    (None: the modem took none), AT+CSMS 0 or 1, and the +CPMS answer with its counts."""

    storage: str | None
    cnmi: str | None
    csms: int
    counts: str | None


def parse_cnmi_test(value: str) -> list[set[int]] | None:
    """The values each +CNMI parameter takes, from ``AT+CNMI=?``:
    ``(0-2),(0-3),(0,2),(0-2),(0,1)`` -> [{0,1,2}, {0,1,2,3}, {0,2}, {0,1,2}, {0,1}]; None when
    the answer cannot be read (then every choice is simply tried)."""
    groups = re.findall(r"\(([^)]*)\)", value)
    if len(groups) < 4:
        return None
    out: list[set[int]] = []
    for group in groups:
        values: set[int] = set()
        for part in group.split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
            if m:
                values.update(range(int(m.group(1)), int(m.group(2)) + 1))
            elif part.isdigit():
                values.add(int(part))
            elif part:
                return None
        out.append(values)
    return out


def cnmi_candidates(csms: int, direct: bool, allowed: list[set[int]] | None) -> list[str]:
    """The +CNMI settings to try, best first, without those ``AT+CNMI=?`` says it lacks."""
    order: tuple[str, ...] = ()
    if csms == 1:
        order = (CNMI_DIRECT if direct else ()) + CNMI_REPORTS_DIRECT
    order = tuple(dict.fromkeys(order + CNMI_CHOICES))
    if allowed is None:
        return list(order)

    def fits(choice: str) -> bool:
        values = [int(v) for v in choice.split(",")]
        return all(i >= len(allowed) or v in allowed[i] for i, v in enumerate(values))

    fitting = [c for c in order if fits(c)]
    return fitting or list(order)  # an answer that fits none is not believed


def set_up_sms(ch: AtChannel, storage: str, timeout: float, *, direct: bool) -> SmsSetup:
    """PDU mode, storage, new-message indications. Returns what was chosen.

    With ``direct`` and a modem that takes AT+CSMS=1 (phase 2+: +CMT and +CDS wait for our
    +CNMA, 27.005 §3.2.1), messages and reports are routed to us (mt=2, ds=1) as far as
    ``AT+CNMI=?`` allows; otherwise they are stored and announced (+CMTI, +CDSI)."""
    try:
        ch.command("AT+CMGF=0", timeout)  # required: PDU mode
    except CommandError as exc:
        if is_sim_busy(exc) or (exc.kind == "cms" and exc.code in (302, 500, 515)):
            raise SimBusy("AT+CMGF=0") from exc
        raise
    chosen: str | None = None
    counts: str | None = None
    for mem in dict.fromkeys((storage, "SM", "ME")):
        resp = optional(ch, f'AT+CPMS="{mem}","{mem}","{mem}"', timeout)
        if resp is not None:
            chosen, counts = mem, resp.first("+CPMS")
            break
    csms = 0
    if direct:
        csms = 1 if optional(ch, "AT+CSMS=1", timeout) is not None else 0
    allowed: list[set[int]] | None = None
    test = optional(ch, "AT+CNMI=?", timeout)
    if test is not None:
        allowed = parse_cnmi_test(test.first("+CNMI") or "")
    cnmi: str | None = None
    for choice in cnmi_candidates(csms, direct, allowed):
        if optional(ch, f"AT+CNMI={choice}", timeout) is not None:
            cnmi = choice
            break
    return SmsSetup(chosen, cnmi, csms, counts)


def set_up_network(ch: AtChannel, timeout: float, manufacturer: str | None) -> None:
    """Optional: registration URCs, long operator names, the caller's number with each ring
    (+CLIP) and the kind of call (+CRING: VOICE) for missed calls, plain-text USSD on Huawei.
    A modem that refuses one still works (no caller ID: a missed call without a number)."""
    if optional(ch, "AT+CREG=2", timeout) is None:
        optional(ch, "AT+CREG=1", timeout)
    optional(ch, "AT+COPS=3,0", timeout)
    optional(ch, "AT+CMMS=0", timeout)
    optional(ch, "AT+CLIP=1", timeout)
    optional(ch, "AT+CRC=1", timeout)
    if manufacturer and "huawei" in manufacturer.lower():
        optional(ch, "AT^USSDMODE=0", timeout)


def cnmi_values(ch: AtChannel, timeout: float) -> list[str] | None:
    """The modem's +CNMI values (``["2", "1", "0", "2", "0"]``), or None when it does not say:
    a bare OK, ERROR, or a line without numbers."""
    resp = optional(ch, "AT+CNMI?", timeout)
    if resp is None:
        return None
    values = [v.strip() for v in (resp.first("+CNMI") or "").split(",")]
    if not values or not all(v.isdigit() for v in values):
        return None
    return values


def signal(ch: AtChannel, timeout: float) -> int | None:
    resp = optional(ch, "AT+CSQ", timeout)
    if resp is None:
        return None
    m = re.match(r"\s*(\d+)", resp.first("+CSQ") or "")
    if not m or int(m.group(1)) == 99:
        return None
    return int(m.group(1))


def registration(ch: AtChannel, timeout: float) -> int | None:
    """The best registration stat of +CREG / +CEREG (1/5 registered), None if unknown."""
    best: int | None = None
    for cmd, prefix in (("AT+CREG?", "+CREG"), ("AT+CEREG?", "+CEREG")):
        resp = optional(ch, cmd, timeout)
        if resp is None:
            continue
        nums = [int(x) for x in re.findall(r"\d+", (resp.first(prefix) or "").split('"')[0])]
        if len(nums) >= 2:
            stat = nums[1]
            if stat in (1, 5, 6, 7):
                return stat
            best = stat if best is None else best
        if cmd == "AT+CREG?" and best is not None and best != 4:
            break
    return best


def operator(ch: AtChannel, timeout: float) -> str | None:
    resp = optional(ch, "AT+COPS?", timeout)
    if resp is None:
        return None
    m = re.search(r'"([^"]*)"', resp.first("+COPS") or "")
    return m.group(1) if m and m.group(1) else None


def wait_sim(fn: Callable[[], T], deadline: float, pause: float = 0.3) -> T:
    """Call ``fn()`` until it stops raising SimBusy or ``deadline`` passes (then re-raise)."""
    while True:
        try:
            return fn()
        except SimBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)
