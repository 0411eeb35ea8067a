"""SMS PDU codec: SMS-DELIVER, SMS-SUBMIT, SMS-STATUS-REPORT (3GPP TS 23.040, TS 23.038).

Choices where the specs leave room:
- Compressed user data (DCS general group bit 5) is not decompressed: it decodes as
  ``encoding="8bit"``, ``text=None`` and ``data`` holding the compressed octets (so nothing is
  lost; ``dcs`` tells it was compressed).
- Reserved DCS codings decode as the GSM 7-bit default alphabet (23.038 §4).
- UCS-2 is read as UTF-16BE: surrogate pairs become one code point, a lone surrogate becomes
  U+FFFD. Text to encode has lone surrogates replaced by U+FFFD the same way.
- SMS-SUBMIT is sent with a relative validity period of 4 days (``VALIDITY_PERIOD``).
- ``Pdu.udh`` holds the user data header's information elements, without the UDHL octet.
- Concatenation uses IEI 00 (8-bit reference) unless ``concat_ref`` > 255, then IEI 08
  (16-bit): that header is one octet longer, so parts hold 152 septets / 66 UCS-2 units instead of
  153 / 67. ``plan``/``split`` take ``concat_bits`` to match.
- An SMS-STATUS-REPORT is decoded once TP-ST is read: a malformed optional tail is ignored.
- National language shift tables (UDH IEI 24/25) are not supported: such text decodes with the
  default alphabet and extension table.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from modem.codec import gsm7, planning, ucs2
from modem.codec.addresses import (
    PduError,
    Reader,
    encode_number,
    encode_sender,
    encode_smsc,
    encode_timestamp,
    read_address,
    read_smsc,
    read_timestamp,
)
from modem.codec.planning import MAX_PARTS, Plan, plan, split

__all__ = [
    "MAX_PARTS",
    "Concat",
    "Pdu",
    "PduError",
    "Plan",
    "SubmitPart",
    "decode",
    "encode_deliver",
    "encode_status_report",
    "encode_submit",
    "join",
    "plan",
    "split",
]

VALIDITY_PERIOD = 0xAA  # TP-VP relative: (170 - 166) days = 4 days
_HEX = re.compile(r"[0-9A-Fa-f]*")


@dataclass(frozen=True)
class Concat:
    """Concatenated short message header: this part's place in a long message."""

    reference: int
    total: int
    sequence: int
    bits: int  # 8 (IEI 00) or 16 (IEI 08)


@dataclass(frozen=True)
class Pdu:
    kind: str  # "deliver" | "submit" | "status-report"
    number: str  # originator / destination / recipient
    number_type: str  # "international" | "national" | "unknown" | "alphanumeric"
    text: str | None = None
    timestamp: datetime | None = None  # TP-SCTS (deliver, status report)
    smsc: str | None = None
    encoding: str = "gsm7"  # "gsm7" | "ucs2" | "8bit"
    data: bytes | None = None  # 8-bit user data without the UDH
    concat: Concat | None = None
    reference: int | None = None  # TP-MR (submit, status report)
    status: int | None = None  # TP-ST (status report)
    discharge_time: datetime | None = None  # TP-DT (status report)
    status_report_requested: bool = False  # TP-SRI (deliver) / TP-SRR (submit)
    dcs: int = 0
    pid: int = 0
    udh: bytes | None = None
    # TP-UD after the header: unpacked septets for gsm7 (one per byte), octets otherwise.
    # ``join`` uses it to reassemble parts losslessly.
    body: bytes = b""

    @property
    def message_class(self) -> int | None:
        """Message class 0..3 (0 is a "flash" SMS) when the DCS gives one, else None."""
        group = self.dcs >> 4
        if group <= 0x7 and self.dcs & 0x10:
            return self.dcs & 0x03
        if group == 0xF:
            return self.dcs & 0x03
        return None


@dataclass(frozen=True)
class SubmitPart:
    hex: str  # SMSC octets + TPDU, upper-case hex
    tpdu_length: int  # for AT+CMGS=<length>
    sequence: int
    total: int
    text: str


# --- decoding --------------------------------------------------------------------------------


def _dcs_encoding(dcs: int) -> str:
    """23.038 §4: "gsm7", "8bit", "ucs2" or "compressed"."""
    group = dcs >> 4
    if group <= 0x7:  # general data coding (00xx), marked for automatic deletion (01xx)
        if dcs & 0x20:
            return "compressed"
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]  # 11 is reserved
    if group <= 0xD:  # reserved groups (10xx), message waiting discard / store (1100, 1101)
        return "gsm7"
    if group == 0xE:  # message waiting, store, UCS-2
        return "ucs2"
    return "8bit" if dcs & 0x04 else "gsm7"  # 1111: data coding / message class


def _parse_udh(udh: bytes) -> Concat | None:
    concat = None
    i = 0
    while i < len(udh):
        if i + 2 > len(udh):
            raise PduError("user data header: information element is truncated")
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + length]
        if len(value) < length:
            raise PduError(f"user data header: element {iei:02X} runs past the header")
        i += 2 + length
        if iei == 0x00 and length == 3:
            reference, total, sequence, bits = value[0], value[1], value[2], 8
        elif iei == 0x08 and length == 4:
            reference, total, sequence = (value[0] << 8) | value[1], value[2], value[3]
            bits = 16
        else:
            continue
        # 23.040 §9.2.3.24.1: a zero total, or a sequence of 0 or > total, voids the element.
        if total and 1 <= sequence <= total:
            concat = Concat(reference, total, sequence, bits)
    return concat


def _ucs2_text(body: bytes) -> str:
    try:
        return ucs2.decode(body)
    except ValueError as exc:
        raise PduError(str(exc)) from None


def _read_user_data(reader: Reader, dcs: int, udhi: bool) -> dict[str, Any]:
    encoding = _dcs_encoding(dcs)
    udl = reader.byte("TP-UDL")
    if encoding == "gsm7":
        if udl > 160:
            raise PduError(f"TP-UDL {udl} is more than 160 septets")
        need = (udl * 7 + 7) // 8
    else:
        if udl > 140:
            raise PduError(f"TP-UDL {udl} is more than 140 octets")
        need = udl
    if reader.remaining < need:
        raise PduError(
            f"user data is truncated: TP-UDL {udl} needs {need} octets, {reader.remaining} left"
        )
    ud = reader.take(need, "user data")
    fields: dict[str, Any] = {"encoding": "8bit" if encoding == "compressed" else encoding}
    header_octets = 0
    if udhi:
        if not ud:
            raise PduError("TP-UDHI is set but there is no user data")
        header_octets = ud[0] + 1
        if header_octets > len(ud):
            raise PduError(f"user data header length {ud[0]} is longer than the user data")
        fields["udh"] = ud[1:header_octets]
        fields["concat"] = _parse_udh(fields["udh"])
    if encoding == "gsm7":
        header_septets = (header_octets * 8 + 6) // 7
        if header_septets > udl:
            raise PduError(f"user data header ({header_septets} septets) exceeds TP-UDL {udl}")
        fields["body"] = gsm7.unpack(ud, udl - header_septets, header_septets * 7)
        fields["text"] = gsm7.decode(fields["body"])
        return fields
    fields["body"] = ud[header_octets:]
    if encoding == "ucs2":
        fields["text"] = _ucs2_text(fields["body"])
    else:
        fields["data"] = fields["body"]
    return fields


def _decode_deliver(reader: Reader, first: int, smsc: str | None) -> Pdu:
    number, number_type = read_address(reader, "originating address")
    pid = reader.byte("TP-PID")
    dcs = reader.byte("TP-DCS")
    timestamp = read_timestamp(reader, "TP-SCTS")
    return Pdu(
        kind="deliver",
        number=number,
        number_type=number_type,
        timestamp=timestamp,
        smsc=smsc,
        status_report_requested=bool(first & 0x20),
        dcs=dcs,
        pid=pid,
        **_read_user_data(reader, dcs, bool(first & 0x40)),
    )


def _decode_submit(reader: Reader, first: int, smsc: str | None) -> Pdu:
    reference = reader.byte("TP-MR")
    number, number_type = read_address(reader, "destination address")
    pid = reader.byte("TP-PID")
    dcs = reader.byte("TP-DCS")
    reader.take((0, 7, 1, 7)[(first >> 3) & 0x03], "TP-VP")
    return Pdu(
        kind="submit",
        number=number,
        number_type=number_type,
        smsc=smsc,
        reference=reference,
        status_report_requested=bool(first & 0x20),
        dcs=dcs,
        pid=pid,
        **_read_user_data(reader, dcs, bool(first & 0x40)),
    )


def _status_report_extras(reader: Reader, first: int) -> tuple[int, int, dict[str, Any]]:
    """TP-PI and the TP-PID / TP-DCS / TP-UD it announces (all optional, 23.040 §9.2.3.27).

    The caller ignores a malformed tail (or padding after TP-ST) rather than lose the delivery
    report over it. Reserved TP-PI bits are ignored, as 23.040 says.
    """
    pid = dcs = 0
    fields: dict[str, Any] = {"text": None}
    indicator = reader.byte("TP-PI") if reader.remaining else 0
    extension = indicator
    while extension & 0x80:
        extension = reader.byte("TP-PI extension")
    if indicator & 0x01:
        pid = reader.byte("TP-PID")
    if indicator & 0x02:
        dcs = reader.byte("TP-DCS")
    if indicator & 0x04:
        fields = _read_user_data(reader, dcs, bool(first & 0x40))
    return pid, dcs, fields


def _decode_status_report(reader: Reader, first: int, smsc: str | None) -> Pdu:
    reference = reader.byte("TP-MR")
    number, number_type = read_address(reader, "recipient address")
    timestamp = read_timestamp(reader, "TP-SCTS")
    discharge = read_timestamp(reader, "TP-DT")
    status = reader.byte("TP-ST")
    try:
        pid, dcs, fields = _status_report_extras(reader, first)
    except PduError:
        pid, dcs, fields = 0, 0, {"text": None}
    return Pdu(
        kind="status-report",
        number=number,
        number_type=number_type,
        timestamp=timestamp,
        smsc=smsc,
        reference=reference,
        status=status,
        discharge_time=discharge,
        dcs=dcs,
        pid=pid,
        **fields,
    )


def decode(hex_pdu: str, *, smsc: bool = True) -> Pdu:
    """Decode a PDU given as hex (as modems print it). ``smsc``: it starts with the SMSC field.

    Raises ``PduError`` (and nothing else) with a reason for anything malformed.
    """
    if not isinstance(hex_pdu, str):
        raise PduError(f"a PDU is a hex string, not {type(hex_pdu).__name__}")
    text = hex_pdu.strip()
    if _HEX.fullmatch(text) is None:
        raise PduError("PDU has characters that are not hex digits")
    if len(text) % 2:
        raise PduError(f"PDU has an odd number of hex digits ({len(text)})")
    reader = Reader(bytes.fromhex(text))
    if not reader.remaining:
        raise PduError("PDU is empty")
    smsc_number = read_smsc(reader) if smsc else None
    first = reader.byte("first octet")
    kind = first & 0x03
    if kind == 0x00:
        return _decode_deliver(reader, first, smsc_number)
    if kind == 0x01:
        return _decode_submit(reader, first, smsc_number)
    if kind == 0x02:
        return _decode_status_report(reader, first, smsc_number)
    raise PduError("TP-MTI 11 is a reserved message type")


def join(parts: Iterable[Pdu]) -> str | None:
    """The text of a concatenated message from its parts (one per sequence number, any order);
    None if it is 8-bit data.

    Better than joining ``text``: a surrogate pair (an emoji) or an escape pair that a sending
    phone split across two parts comes back whole instead of as U+FFFD / a space.
    """
    ordered = sorted(parts, key=lambda p: p.concat.sequence if p.concat else 0)
    if not ordered or any(p.encoding == "8bit" for p in ordered):
        return None
    text = []
    for encoding, run in groupby(ordered, key=lambda p: p.encoding):
        body = b"".join(p.body for p in run)
        text.append(gsm7.decode(body) if encoding == "gsm7" else _ucs2_text(body))
    return "".join(text)


# --- encoding --------------------------------------------------------------------------------


def _concat_header(reference: int, total: int, sequence: int, bits: int) -> bytes:
    if bits == 8:
        return bytes([0x00, 0x03, reference, total, sequence])
    return bytes([0x08, 0x04, reference >> 8, reference & 0xFF, total, sequence])


def _user_data(segment: str, encoding: str, udh: bytes) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) for one segment, with UDHL + ``udh`` in front when ``udh`` is given."""
    header = bytes([len(udh)]) + udh if udh else b""
    if encoding == "gsm7":
        septets = gsm7.encode(segment)
        header_septets = (len(header) * 8 + 6) // 7
        fill = header_septets * 7 - len(header) * 8
        return header_septets + len(septets), header + gsm7.pack(septets, fill)
    body = ucs2.encode(segment)
    return len(header) + len(body), header + body


def _prepare(text: str, concat_ref: int | None) -> tuple[str, list[str], int, int]:
    """Segments, the concat header width and the reference to use (picked when None; 0 for a
    single part, which has no concatenation header)."""
    if concat_ref is not None and not (isinstance(concat_ref, int) and 0 <= concat_ref <= 0xFFFF):
        raise PduError(f"concat_ref {concat_ref!r} is not in 0..65535")
    bits = 16 if concat_ref is not None and concat_ref > 0xFF else 8
    encoding, segments, _ = planning.segments(text, bits)
    if len(segments) > MAX_PARTS:
        raise PduError(f"message too long: {len(segments)} parts, at most {MAX_PARTS}")
    if len(segments) > 1 and concat_ref is None:
        concat_ref = random.randrange(256)
    return encoding, segments, bits, concat_ref or 0


def _check_octet(value: int, what: str) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise PduError(f"{what} {value!r} is not an octet (0..255)")


def encode_submit(
    number: str,
    text: str,
    *,
    reference: int = 0,
    concat_ref: int | None = None,
    request_status_report: bool = True,
    smsc: str | None = None,
) -> list[SubmitPart]:
    """SMS-SUBMIT PDUs for ``text`` to ``number``: GSM-7 when it fits, else UCS-2; long text is
    split into concatenated parts (see ``split``). ``concat_ref`` None: a random 0..255."""
    _check_octet(reference, "reference")
    destination = encode_number(number)
    smsc_octets = encode_smsc(smsc)
    encoding, segments, bits, concat_ref = _prepare(text, concat_ref)
    dcs = 0x00 if encoding == "gsm7" else 0x08
    total = len(segments)
    parts = []
    for sequence, segment in enumerate(segments, 1):
        udh = _concat_header(concat_ref, total, sequence, bits) if total > 1 else b""
        udl, ud = _user_data(segment, encoding, udh)
        first = 0x01 | 0x10 | (0x20 if request_status_report else 0) | (0x40 if udh else 0)
        tpdu = bytes([first, reference]) + destination + bytes([0x00, dcs, VALIDITY_PERIOD, udl])
        tpdu += ud
        parts.append(
            SubmitPart((smsc_octets + tpdu).hex().upper(), len(tpdu), sequence, total, segment)
        )
    return parts


def encode_deliver(
    sender: str,
    text: str,
    *,
    timestamp: datetime,
    smsc: str | None = "+15550000000",
    concat_ref: int | None = None,
) -> list[str]:
    """SMS-DELIVER PDUs (hex with the SMSC prefix) as a network would hand them to a modem.

    ``sender`` is a number ("+15551234567", "12345") or alphanumeric ("MyBank", at most 11
    GSM-7 characters). A naive ``timestamp`` is taken as UTC.
    """
    originator = encode_sender(sender)
    smsc_octets = encode_smsc(smsc)
    scts = encode_timestamp(timestamp)
    encoding, segments, bits, concat_ref = _prepare(text, concat_ref)
    dcs = 0x00 if encoding == "gsm7" else 0x08
    out = []
    for sequence, segment in enumerate(segments, 1):
        total = len(segments)
        udh = _concat_header(concat_ref, total, sequence, bits) if total > 1 else b""
        udl, ud = _user_data(segment, encoding, udh)
        first = 0x04 | (0x40 if udh else 0)  # TP-MMS: no more messages waiting
        tpdu = bytes([first]) + originator + bytes([0x00, dcs]) + scts + bytes([udl]) + ud
        out.append((smsc_octets + tpdu).hex().upper())
    return out


def encode_status_report(
    reference: int,
    recipient: str,
    status: int,
    *,
    scts: datetime,
    discharge: datetime,
    smsc: str | None = "+15550000000",
) -> str:
    """An SMS-STATUS-REPORT PDU (hex with the SMSC prefix), without the optional TP-PI part.

    ``status`` is TP-ST: 0x00 delivered, 0x20..0x2F still trying, 0x40.. / 0x60.. failed.
    """
    _check_octet(reference, "reference")
    _check_octet(status, "status")
    tpdu = bytes([0x06, reference]) + encode_number(recipient)
    tpdu += encode_timestamp(scts) + encode_timestamp(discharge) + bytes([status])
    return (encode_smsc(smsc) + tpdu).hex().upper()
