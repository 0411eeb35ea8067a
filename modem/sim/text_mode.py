"""SMS text mode (AT+CMGF=1) and the TE character set (AT+CSCS): how texts and headers look.

27.005 chapter 3/4 text-mode formats. Characters cross the line in the +CSCS character set:
"IRA" (ASCII, others become "?"), "GSM" (one byte per GSM 7-bit septet, extension characters as
ESC + code) or "UCS2" (hex of UTF-16 big-endian). A UCS-2 or 8-bit message body is shown as hex.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from modem.codec import gsm7
from modem.codec.pdu import Pdu, PduError, decode

if TYPE_CHECKING:
    from modem.sim.core import ModemCore

CHARSETS = ("GSM", "IRA", "UCS2", "8859-1")


def to_te(text: str, cscs: str) -> str:
    """Text as the TE expects it on the line (a latin-1 string: one char per byte)."""
    if cscs == "UCS2":
        return text.encode("utf-16-be").hex().upper()
    if cscs == "GSM":
        out = []
        for ch in text:
            try:
                out.append(gsm7.encode(ch).decode("latin-1"))
            except ValueError:
                out.append("?")
        return "".join(out)
    if cscs == "8859-1":
        return text.encode("latin-1", "replace").decode("latin-1")
    return gsm7.to_ira(text)


def from_te(raw: str, cscs: str) -> str:
    """Text the TE sent (latin-1 string of the bytes) in its +CSCS character set. ValueError."""
    if cscs == "UCS2":
        cleaned = "".join(raw.split())
        return bytes.fromhex(cleaned).decode("utf-16-be")
    if cscs == "GSM":
        return gsm7.decode(raw.encode("latin-1"))
    return raw


def scts(when: datetime | None) -> str:
    """27.005 time-string "yy/MM/dd,hh:mm:ss±zz" (zz in quarter hours)."""
    if when is None:
        return ""
    offset = when.utcoffset()
    quarters = int(offset.total_seconds() // 900) if offset is not None else 0
    sign = "+" if quarters >= 0 else "-"
    return when.strftime("%y/%m/%d,%H:%M:%S") + f"{sign}{abs(quarters):02d}"


def toa(pdu: Pdu) -> int:
    return {"international": 145, "alphanumeric": 208}.get(pdu.number_type, 129)


def tpdu_length(hex_pdu: str) -> int:
    """Octets after the SMSC part, as +CMGL/+CMT <length> in PDU mode (best effort if malformed)."""
    try:
        raw = bytes.fromhex(hex_pdu)
    except ValueError:
        return len(hex_pdu) // 2
    if not raw:
        return 0
    n = len(raw) - 1 - raw[0]
    return n if n >= 0 else len(raw)


def try_decode(hex_pdu: str) -> Pdu | None:
    try:
        return decode(hex_pdu)
    except (PduError, ValueError):
        return None


def body(pdu: Pdu, cscs: str) -> tuple[str, int]:
    """(data as shown, <length>) of a message body in text mode."""
    if pdu.encoding == "8bit":
        data = pdu.data or b""
        return data.hex().upper(), len(data)
    text = pdu.text or ""
    if pdu.encoding == "ucs2":
        raw = text.encode("utf-16-be")
        return raw.hex().upper(), len(raw)
    return to_te(text, cscs), len(text)


def _q(value: str) -> str:
    return f'"{value}"'


def message_lines(
    m: ModemCore, hex_pdu: str, *, head: str, stat: str | None, listing: bool
) -> list[str]:
    """Header and data lines for +CMGL (listing) / +CMGR / +CMT (stat None) in text mode."""
    s = m.settings
    pdu = try_decode(hex_pdu)
    pre = [] if stat is None else [_q(stat)]
    if pdu is None:  # the sim keeps malformed PDUs as given; text mode cannot show them
        return [f"{head}: " + ",".join([*pre, '""', "", '""']), ""]
    number = _q(to_te(pdu.number, s.cscs))
    if pdu.kind == "status-report":
        fields = [
            *pre,
            "6",
            str(pdu.reference or 0),
            number,
            str(toa(pdu)),
            _q(scts(pdu.timestamp)),
            _q(scts(pdu.discharge_time)),
            str(pdu.status or 0),
        ]
        return [f"{head}: " + ",".join(fields)]
    data, length = body(pdu, s.cscs)
    when = _q(scts(pdu.timestamp)) if pdu.kind == "deliver" else ""
    if listing:
        fields = [*pre, number, "", when]
        if s.csdh:
            fields += [str(toa(pdu)), str(length)]
    else:
        fields = [*pre, number, ""]
        if pdu.kind == "deliver":
            fields.append(when)
        if s.csdh:
            first = int(hex_pdu[2 + 2 * int(hex_pdu[:2], 16) :][:2], 16)
            sca = pdu.smsc or ""
            fields += [str(toa(pdu)), str(first), str(pdu.pid or 0), str(pdu.dcs or 0)]
            fields += [_q(sca), "145" if sca.startswith("+") else "129", str(length)]
    return [f"{head}: " + ",".join(fields), data]
