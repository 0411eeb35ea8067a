"""Network commands (27.007 chapter 7): signal, registration, operator, USSD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modem.codec import gsm7
from modem.sim.at_parser import Command, Form
from modem.sim.errors import AtError, CmeError
from modem.sim.network import REG_STATES
from modem.sim.registry import Handler, command
from modem.sim.text_mode import from_te, to_te

if TYPE_CHECKING:
    from modem.sim.core import ModemCore


def set_registration(m: ModemCore, state: str) -> None:
    """Change the registration state, with +CREG/+CGREG and vendor URCs as the modes ask."""
    if state not in REG_STATES:
        raise ValueError(f"registration must be one of {', '.join(REG_STATES)}")
    net = m.network
    if net.registration == state:
        return
    net.registration = state
    m.emit({"event": "registration", "state": state})
    if m.sim.state == "ready":  # with the SIM locked the modem is not registered anyway
        announce_registration(m)


def announce_registration(m: ModemCore) -> None:
    """The URCs for the current registration (+CREG/+CGREG per their modes, vendor URCs)."""
    for prefix, n in (("+CREG", m.settings.creg), ("+CGREG", m.settings.cgreg)):
        line = m.network.creg_urc(prefix, n, m.reg_stat())
        if line:
            m.urc(line)
    if m.profile.registration_urc:
        m.urc(m.vendor_line(m.profile.registration_urc))
    if m.registered:
        m.inbound.pump()


def set_radio(m: ModemCore, fun: int) -> None:
    """AT+CFUN=<fun>: 0 minimum and 4 flight mode switch the radio off (deregistered)."""
    if fun == m.cfun:
        return
    m.cfun = fun
    if fun == 1:
        set_registration(m, m.network.saved_registration or "home")
        m.network.saved_registration = None
    else:
        if m.network.saved_registration is None:
            m.network.saved_registration = m.network.registration
        set_registration(m, "none")


def set_signal(m: ModemCore, rssi: int, ber: int = 99) -> None:
    if not (0 <= rssi <= 31 or rssi == 99):
        raise ValueError("rssi must be 0..31 or 99")
    m.network.rssi, m.network.ber = rssi, ber
    if m.profile.signal_urc:
        m.urc(m.vendor_line(m.profile.signal_urc))


@command("+CSQ")
def csq(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSQ: (0-31,99),(0-7,99)"]
    if c.form is not Form.EXEC:
        raise AtError()
    rssi = m.network.rssi if m.cfun == 1 else 99
    ber = m.network.ber if m.cfun == 1 else 99
    return [f"+CSQ: {rssi},{ber}"]


def _reg_command(prefix: str, attr: str) -> Handler:
    def handler(m: ModemCore, c: Command) -> list[str]:
        if c.form is Form.TEST:
            return [f"{prefix}: (0-2)"]
        if c.form is Form.READ:
            return [m.network.creg_read(prefix, getattr(m.settings, attr), m.reg_stat())]
        try:
            n = c.int_arg(0, 0) if c.form is Form.SET else 0
        except ValueError:
            raise CmeError(4) from None
        if n not in (0, 1, 2):
            raise CmeError(4)
        setattr(m.settings, attr, n)
        return []

    return handler


command("+CREG")(_reg_command("+CREG", "creg"))
command("+CGREG")(_reg_command("+CGREG", "cgreg"))


@command("+CGATT")
def cgatt(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CGATT: (0,1)"]
    if c.form is Form.READ:
        return [f"+CGATT: {int(m.registered)}"]
    return []


@command("+COPS")
def cops(m: ModemCore, c: Command) -> list[str]:
    net, s = m.network, m.settings
    op = net.operator
    if c.form is Form.TEST:
        m.reply_delay += 0.2  # a real scan takes many seconds
        return [
            f'+COPS: (2,"{op.long}","{op.short}","{op.numeric}",{net.act}),'
            '(3,"Other Net","OTHER","31027",0),,(0-4),(0-2)'
        ]
    if c.form is Form.READ:
        if not m.registered:
            return [f"+COPS: {s.cops_mode}"]
        name = (op.long, op.short, op.numeric)[s.cops_format]
        return [f'+COPS: {s.cops_mode},{s.cops_format},"{name}",{net.act}']
    if c.form is not Form.SET:
        raise AtError()
    try:
        mode, fmt = c.int_arg(0, 0), c.int_arg(1)
    except ValueError:
        raise CmeError(4) from None
    if mode not in (0, 1, 2, 3, 4) or (fmt is not None and fmt not in (0, 1, 2)):
        raise CmeError(4)
    if mode == 3:
        s.cops_format = fmt or 0
        return []
    if fmt is not None:
        s.cops_format = fmt
    if mode in (1, 4):
        oper = c.arg(2) or ""
        if oper not in (op.long, op.short, op.numeric) and mode == 1:
            raise CmeError(32)
        set_registration(m, net.saved_registration or "home")
    elif mode == 2:
        net.saved_registration = net.saved_registration or net.registration
        set_registration(m, "none")
    elif mode == 0 and net.saved_registration and m.cfun == 1:
        set_registration(m, net.saved_registration)
        net.saved_registration = None
    s.cops_mode = mode
    return []


# ---------------------------------------------------------------------- USSD
def _packed_hex(text: str) -> str:
    septets = gsm7.encode("".join(ch if gsm7.is_gsm7(ch) else "?" for ch in text))
    return gsm7.pack(septets).hex().upper()


def _unpack_hex(text: str) -> str:
    raw = bytes.fromhex(text)
    return gsm7.decode(gsm7.unpack(raw, len(raw) * 8 // 7))


@command("+CUSD", sim=True)
def cusd(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CUSD: (0-2)"]
    if c.form is Form.READ:
        return [f"+CUSD: {m.settings.cusd}"]
    if c.form is Form.EXEC:
        m.settings.cusd = 0
        return []
    try:
        n = c.int_arg(0, 0)
        dcs = c.int_arg(2, 15)
    except ValueError:
        raise CmeError(4) from None
    if n not in (0, 1, 2):
        raise CmeError(4)
    if n == 2:
        m.settings.cusd = 2
        return []
    m.settings.cusd = n
    request = c.arg(1)
    if request is None:
        return []
    if not m.registered:
        raise CmeError(30)
    packed = m.profile.ussd_packed and not m.settings.ussd_plain
    try:
        code = _unpack_hex(request) if packed else from_te(request, m.settings.cscs)
    except ValueError:
        raise CmeError(4) from None
    m.emit({"event": "ussd", "request": code})

    def answer() -> None:
        if m.settings.cusd != 1:  # <n>=0: result presentation disabled (27.007 7.15)
            return
        text = m.config.ussd_text
        if packed:
            shown, out_dcs = _packed_hex(text), 15
        elif m.settings.cscs == "UCS2" or not gsm7.is_gsm7(text):
            shown, out_dcs = text.encode("utf-16-be").hex().upper(), 72
        else:
            shown, out_dcs = to_te(text, m.settings.cscs), dcs if dcs is not None else 15
        m.urc(f'+CUSD: 0,"{shown}",{out_dcs}')

    m.call_later(m.config.ussd_delay, answer)
    return []
