"""V.250 basics, identity, functionality level, SIM PIN/PUK and other 27.007 general commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modem.sim.at_parser import Command, Form
from modem.sim.errors import AtError, CmeError
from modem.sim.registry import REGISTRY, Handler, NoFinal, command
from modem.sim.state import Settings
from modem.sim.text_mode import CHARSETS

if TYPE_CHECKING:
    from modem.sim.core import ModemCore


def _flag(c: Command, lo: int = 0, hi: int = 1) -> int:
    try:
        value = int(c.raw) if c.raw else 0
    except ValueError:
        raise AtError() from None
    if not lo <= value <= hi:
        raise AtError()
    return value


# ---------------------------------------------------------------------- V.250 basic commands
@command("E")
def echo(m: ModemCore, c: Command) -> list[str]:
    m.settings.echo = bool(_flag(c))
    return []


@command("V")
def verbose(m: ModemCore, c: Command) -> list[str]:
    m.settings.verbose = bool(_flag(c))
    return []


@command("Q")
def quiet(m: ModemCore, c: Command) -> list[str]:
    m.settings.quiet = bool(_flag(c))
    return []


@command("Z", "&F")
def reset(m: ModemCore, c: Command) -> list[str]:
    """Back to the default profile. The chosen message storages survive (kept in NV memory)."""
    cpms, cpms_set = m.settings.cpms, m.settings.cpms_set
    m.settings = Settings()
    m.settings.cpms, m.settings.cpms_set = cpms, cpms_set
    m.inbound.ta_buffer.clear()
    return []


@command("X", "L", "M", "&C", "&D", "&W", "&K", "&S")
def accepted(m: ModemCore, c: Command) -> list[str]:
    return []


@command("I")
def identify(m: ModemCore, c: Command) -> list[str]:
    p = m.profile
    return [p.manufacturer, p.model, f"Revision: {p.revision}"]


def sreg(m: ModemCore, c: Command) -> list[str]:
    reg = int(c.name[1:])
    if c.form is Form.READ:
        return [f"{m.settings.sregs.get(reg, 0):03d}"]
    try:
        m.settings.sregs[reg] = int(c.raw or 0)
    except ValueError:
        raise AtError() from None
    return []


for _reg in range(0, 13):
    command(f"S{_reg}")(sreg)


# ---------------------------------------------------------------------- identity
def _ident(value_of: Callable[[ModemCore], str]) -> Handler:
    def handler(m: ModemCore, c: Command) -> list[str]:
        if c.form is Form.TEST:
            return []
        if c.form is not Form.EXEC:
            raise AtError()
        return [value_of(m)]

    return handler


command("+CGMI", "+GMI")(_ident(lambda m: m.profile.manufacturer))
command("+CGMM", "+GMM")(_ident(lambda m: m.profile.model))
command("+CGMR", "+GMR")(_ident(lambda m: m.profile.revision))
command("+CGSN", "+GSN")(_ident(lambda m: m.profile.imei))
command("+CIMI", sim=True)(_ident(lambda m: m.sim.imsi))


@command("+CCID", "^ICCID", "+QCCID", "+ZGETICCID", vendor=True)
def iccid(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    if m.sim.state == "absent":
        raise CmeError(10)
    return [m.profile.iccid[c.name] + m.sim.iccid]


@command("+CNUM", sim=True)
def cnum(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    num = m.sim.msisdn
    return [f'+CNUM: "","{num}",{145 if num.startswith("+") else 129}']


@command("+CLAC")
def clac(m: ModemCore, c: Command) -> list[str]:
    if not m.profile.clac:
        raise AtError()
    names = sorted(
        n
        for n, spec in REGISTRY.items()
        if n[0] in "+^" and (not spec.vendor or n in m.profile.iccid)
    )
    names += [n for n in m.profile.extra_commands if n not in names]
    return ["AT" + n for n in names]


# ---------------------------------------------------------------------- error reporting, charset
@command("+CMEE")
def cmee(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CMEE: (0-2)"]
    if c.form is Form.READ:
        return [f"+CMEE: {m.settings.cmee}"]
    value = 0 if c.form is Form.EXEC else c.int_arg(0, 0)
    if value not in (0, 1, 2):
        raise CmeError(4)
    m.settings.cmee = value
    return []


@command("+CSCS")
def cscs(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSCS: (" + ",".join(f'"{x}"' for x in CHARSETS) + ")"]
    if c.form is Form.READ:
        return [f'+CSCS: "{m.settings.cscs}"']
    value = (c.arg(0) or "").upper()
    if value not in CHARSETS:
        raise CmeError(4)
    m.settings.cscs = value
    return []


# ---------------------------------------------------------------------- functionality level
@command("+CFUN")
def cfun(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CFUN: (0,1,4),(0-1)"]
    if c.form is Form.READ:
        return [f"+CFUN: {m.cfun}"]
    if c.form is not Form.SET:
        raise AtError()
    try:
        fun, rst = c.int_arg(0), c.int_arg(1, 0)
    except ValueError:
        raise CmeError(4) from None
    if fun not in (0, 1, 4) or rst not in (0, 1):
        raise CmeError(4)
    if rst == 1:  # reset: answer OK, then the modem restarts
        m.call_later(0.05, lambda: m.reboot(0.5))
        return []
    from modem.sim.commands_network import set_radio

    set_radio(m, fun)
    return []


# ---------------------------------------------------------------------- SIM PIN / PUK
def _cpin_text(m: ModemCore) -> str:
    return {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}[m.sim.state]


def _sim_present(m: ModemCore) -> None:
    import time

    if m.sim.state == "absent":
        raise CmeError(10)
    if m.sim.state == "blocked":
        raise CmeError(13)
    if time.monotonic() < m.sim_busy_until:
        raise CmeError(14)


def _wrong_pin(m: ModemCore) -> None:
    m.sim.pin_attempts -= 1
    if m.sim.pin_attempts <= 0:
        m.sim.state = "puk"
        m.emit({"event": "sim_state", "state": "puk"})
    raise CmeError(16)


def _unlocked(m: ModemCore) -> None:
    from modem.sim.commands_network import announce_registration

    m.sim.state = "ready"
    m.sim.pin_attempts = 3
    m.sim.puk_attempts = 10
    m.emit({"event": "sim_state", "state": "ready"})
    if m.profile.cpin_ready_urc:
        m.call_later(0.1, lambda: m.urc("+CPIN: READY"))
        follow = {"simcom": "SMS Ready", "quectel": "+QIND: SMS DONE"}.get(m.profile.name)
        if follow:
            m.call_later(0.4, lambda: m.urc(follow))
    m.call_later(0.2, lambda: announce_registration(m) if m.sim.state == "ready" else None)


@command("+CPIN")
def cpin(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    _sim_present(m)
    if c.form is Form.READ:
        line = f"+CPIN: {_cpin_text(m)}"
        return NoFinal([line]) if m.profile.cpin_no_ok else [line]
    if c.form is not Form.SET:
        raise AtError()
    code, new = c.arg(0), c.arg(1)
    if not code:
        raise CmeError(4)
    sim = m.sim
    if sim.state == "ready":
        raise CmeError(3)
    if sim.state == "pin":
        if code != sim.pin:
            _wrong_pin(m)
        _unlocked(m)
        return []
    # SIM PUK: AT+CPIN="<puk>","<new pin>"
    if not new:
        raise CmeError(12)
    if code != sim.puk:
        sim.puk_attempts -= 1
        if sim.puk_attempts <= 0:
            sim.state = "blocked"
            m.emit({"event": "sim_state", "state": "blocked"})
        raise CmeError(16)
    sim.pin = new
    sim.lock_enabled = True
    _unlocked(m)
    return []


@command("+CPINR")
def cpinr(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    _sim_present(m)
    return [f"+CPINR: SIM PIN,{m.sim.pin_attempts},3", f"+CPINR: SIM PUK,{m.sim.puk_attempts},10"]


@command("+CLCK")
def clck(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ['+CLCK: ("SC")']
    if c.form is not Form.SET:
        raise AtError()
    fac = (c.arg(0) or "").upper()
    try:
        mode = c.int_arg(1)
    except ValueError:
        raise CmeError(4) from None
    if fac != "SC" or mode not in (0, 1, 2):
        raise CmeError(4)
    m.require_sim()
    if mode == 2:
        return [f"+CLCK: {int(m.sim.lock_enabled)}"]
    if c.arg(2) != m.sim.pin:
        _wrong_pin(m)
    m.sim.pin_attempts = 3
    m.sim.lock_enabled = mode == 1
    return []


@command("+CPWD")
def cpwd(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ['+CPWD: ("SC",8)']
    if c.form is not Form.SET or (c.arg(0) or "").upper() != "SC":
        raise CmeError(4)
    m.require_sim()
    if c.arg(1) != m.sim.pin:
        _wrong_pin(m)
    new = c.arg(2) or ""
    if not (4 <= len(new) <= 8 and new.isdigit()):
        raise CmeError(4)
    m.sim.pin = new
    m.sim.pin_attempts = 3
    return []


# ---------------------------------------------------------------------- settings we only keep
STUB_DEFAULTS = {
    "+CLIP": "0,1",
    "+CRC": "0",
    "+CVHU": "0",
    "+COLP": "0,1",
    "+CLIR": "0,4",
    "+IPR": "115200",
    "+IFC": "2,2",
    "+ICF": "3,3",
    "+CTZU": "0",
    "+CTZR": "0",
    "+CSCB": '0,"",""',
    "+CMER": "0,0,0,0,0",
    "+CGEREP": "0,0",
}


def stub(m: ModemCore, c: Command) -> list[str]:
    stubs = m.settings.stubs
    if c.form is Form.SET:
        stubs[c.name] = c.raw
    elif c.form is Form.READ:
        return [f"{c.name}: {stubs.get(c.name, STUB_DEFAULTS.get(c.name, '0'))}"]
    return []


for _name in STUB_DEFAULTS:
    command(_name)(stub)


@command("+CPAS")
def cpas(m: ModemCore, c: Command) -> list[str]:
    return ["+CPAS: (0-5)"] if c.form is Form.TEST else ["+CPAS: 0"]


@command("+CBC")
def cbc(m: ModemCore, c: Command) -> list[str]:
    return [] if c.form is Form.TEST else ["+CBC: 0,100,5000"]


@command("+CCLK")
def cclk(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [datetime.now(UTC).strftime('+CCLK: "%y/%m/%d,%H:%M:%S+00"')]
    return []


@command("+CPBS", sim=True)
def cpbs(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return ['+CPBS: "SM",0,250']
    if c.form is Form.TEST:
        return ['+CPBS: ("SM","ON")']
    return []


@command("+CPBR", sim=True)
def cpbr(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CPBR: (1-250),40,16"]
    raise CmeError(22)  # the sim's phone book is empty


# ---------------------------------------------------------------------- vendor specials
@command("+ZPAS", vendor=True)
def zpas(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [m.vendor_line('+ZPAS: "{zpas}","CS_PS"')]
    return []


@command("+WIND", vendor=True)
def wind(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [f"+WIND: {m.settings.stubs.get('+WIND', '63')}"]
    if c.form is Form.SET:
        m.settings.stubs["+WIND"] = c.raw
    return []


@command("^USSDMODE", vendor=True)
def ussdmode(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [f"^USSDMODE: {0 if m.settings.ussd_plain else 1}"]
    if c.form is Form.SET:
        m.settings.ussd_plain = c.arg(0) == "0"
    return []


@command("^CURC", vendor=True)
def curc(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [f"^CURC: {m.settings.curc}"]
    if c.form is Form.SET:
        m.settings.curc = 1 if c.arg(0) == "1" else 0
    return []
