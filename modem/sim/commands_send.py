"""Sending (27.005 3.5): +CMGS, +CMGW, +CMSS in PDU and text mode, TP-MR, status reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modem.codec import gsm7
from modem.codec.pdu import Pdu, PduError, decode, encode_submit
from modem.sim.at_parser import Command, Form
from modem.sim.commands_sms import ints
from modem.sim.errors import AtError, CmsError
from modem.sim.event_log import Event
from modem.sim.registry import Prompt, command
from modem.sim.sms_store import Stat, Storage
from modem.sim.text_mode import from_te

if TYPE_CHECKING:
    from modem.sim.core import ModemCore


def parse_submit(hex_text: str, length: int) -> tuple[str, Pdu]:
    """Check a PDU-mode SMS-SUBMIT as a modem does; +CMS ERROR: 304 for any mismatch."""
    hexs = "".join(hex_text.split())
    try:
        raw = bytes.fromhex(hexs)
    except ValueError:
        raise CmsError(304) from None
    if not raw or len(raw) - 1 - raw[0] != length:
        raise CmsError(304)
    try:
        pdu = decode(hexs)
    except (PduError, ValueError):
        raise CmsError(304) from None
    if pdu.kind != "submit":
        raise CmsError(304)
    return hexs.upper(), pdu


def finish_send(m: ModemCore, number: str, pdu: Pdu | None, text: str | None, srr: bool) -> int:
    """The network takes a message: returns TP-MR. "submitting" is emitted now (the modem has
    the PDU); "submitted" and the status report's clock start after the simulated network delay
    (``cmgs_delay``), just before +CMGS answers, and not at all if the modem is unplugged or
    rebooted meanwhile."""
    if m.cfun != 1 or not m.registered:
        raise CmsError(331)
    f = m.faults
    if f.cms_count > 0:
        f.cms_count -= 1
        m.emit({"event": "send_failed", "to": number, "error": f.cms_code})
        raise CmsError(f.cms_code)
    mr = m.next_mr()
    event: Event = {"event": "submitted", "to": number, "text": text, "reference": mr}
    if pdu is not None:
        if pdu.text is None and pdu.data is not None:
            event["data"] = pdu.data.hex().upper()
        if pdu.concat is not None:
            event.update(
                part=pdu.concat.sequence, parts=pdu.concat.total, concat_ref=pdu.concat.reference
            )
    event["report_requested"] = srr
    m.emit({**event, "event": "submitting"})
    m.reply_delay += m.config.cmgs_delay

    def accepted() -> None:
        m.emit(event)
        if srr:
            _schedule_report(m, mr, number)

    m.after_delay.append(accepted)
    return mr


def _schedule_report(m: ModemCore, mr: int, number: str) -> None:
    f = m.faults
    mode, delay, status = f.report_mode, m.config.report_delay, 0x00
    if mode != "normal" and f.report_count is not None:
        f.report_count -= 1
        if f.report_count <= 0:
            f.report_mode, f.report_count = "normal", None
    if mode == "drop":
        m.emit({"event": "report", "reference": mr, "to": number, "via": "lost"})
        return
    if mode == "delay" and f.report_delay is not None:
        delay = f.report_delay
    if mode == "fail":
        status = f.report_status

    def send() -> None:
        try:
            m.inbound.status_report(mr, number, status)
        except ValueError as exc:  # a number the report PDU cannot carry
            m.emit(
                {
                    "event": "report",
                    "reference": mr,
                    "to": number,
                    "via": "lost",
                    "reason": str(exc),
                }
            )

    m.call_later(delay, send)


def _text_body(m: ModemCore, raw: str) -> str:
    try:
        text = from_te(raw, m.settings.cscs)
    except ValueError:
        raise CmsError(305) from None
    dcs = m.settings.csmp[3]
    if dcs & 0x0C == 0x08:
        if len(text.encode("utf-16-be")) > 140:
            raise CmsError(305)
    else:
        text = "".join(ch if gsm7.is_gsm7(ch) else "?" for ch in text)
        if gsm7.septet_length(text) > 160:
            raise CmsError(305)
    return text


def _number(m: ModemCore, c: Command, i: int = 0) -> str:
    raw = c.arg(i)
    if not raw:
        raise CmsError(305)
    try:
        number = from_te(raw, m.settings.cscs).strip()
    except ValueError:
        raise CmsError(305) from None
    if not number:
        raise CmsError(305)
    return number


def _pdu_length(c: Command) -> int:
    values = ints(c, 304)
    if not values or values[0] is None or not 7 <= values[0] <= 164:
        raise CmsError(304)
    return values[0]


@command("+CMGS", sim=True, sms=True)
def cmgs(m: ModemCore, c: Command) -> list[str] | Prompt:
    if c.form is Form.TEST:
        return []
    if c.form is not Form.SET:
        raise AtError()
    if m.settings.cmgf == 0:
        length = _pdu_length(c)

        def send_pdu(text: str) -> list[str]:
            _, pdu = parse_submit(text, length)
            srr = bool(pdu.status_report_requested)
            return [f"+CMGS: {finish_send(m, pdu.number, pdu, pdu.text, srr)}"]

        return Prompt(send_pdu)
    number = _number(m, c)

    def send_text(raw: str) -> list[str]:
        text = _text_body(m, raw)
        srr = bool(m.settings.csmp[0] & 0x20)
        return [f"+CMGS: {finish_send(m, number, None, text, srr)}"]

    return Prompt(send_text)


@command("+CMGW", sim=True, sms=True)
def cmgw(m: ModemCore, c: Command) -> list[str] | Prompt:
    if c.form is Form.TEST:
        return []
    store = m.storage(1)
    if m.settings.cmgf == 0:
        if c.form is not Form.SET:
            raise CmsError(304)
        length = _pdu_length(c)
        values = ints(c, 304)
        stat = Stat(values[1]) if len(values) > 1 and values[1] in (0, 1, 2, 3) else Stat.STO_UNSENT

        def write_pdu(text: str) -> list[str]:
            hexs, _ = parse_submit(text, length)
            return [f"+CMGW: {_store(m, store, hexs, stat)}"]

        return Prompt(write_pdu)
    number = _number(m, c) if c.form is Form.SET else ""
    stat_text = c.arg(2)
    try:
        stat = Stat.from_text(stat_text) if stat_text else Stat.STO_UNSENT
    except KeyError:
        raise CmsError(305) from None

    def write_text(raw: str) -> list[str]:
        text = _text_body(m, raw)
        parts = encode_submit(number or "0", text, request_status_report=False)
        if len(parts) != 1:
            raise CmsError(305)
        return [f"+CMGW: {_store(m, store, parts[0].hex, stat)}"]

    return Prompt(write_text)


def _store(m: ModemCore, store: Storage, hexs: str, stat: Stat) -> int:
    index = store.add(hexs, stat)
    if index is None:
        raise CmsError(322)
    return index


@command("+CMSS", sim=True, sms=True)
def cmss(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    if c.form is not Form.SET:
        raise AtError()
    store = m.storage(1)
    try:
        index = c.int_arg(0)
    except ValueError:
        raise CmsError(321) from None
    msg = store.get(index) if index is not None else None
    if msg is None:
        raise CmsError(321)
    try:
        pdu = decode(msg.pdu)
    except (PduError, ValueError):
        raise CmsError(304) from None
    if pdu.kind != "submit":
        raise CmsError(302)
    number = _number(m, c, 1) if c.arg(1) else pdu.number
    mr = finish_send(m, number, pdu, pdu.text, bool(pdu.status_report_requested))
    msg.stat = Stat.STO_SENT
    return [f"+CMSS: {mr}"]
