"""The semi-octet fields of an SMS TPDU (3GPP TS 23.040 §9.1.2): addresses and timestamps.

Also ``PduError`` (re-exported by ``modem.codec.pdu``) and the bounds-checked ``Reader`` every field
decoder reads from, so that truncated input becomes a ``PduError`` with a reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from modem.codec import gsm7

TON_UNKNOWN = 0x81  # type of address: unknown number, ISDN/telephone numbering plan
TON_INTERNATIONAL = 0x91
TON_ALPHANUMERIC = 0xD0
MAX_ADDRESS_DIGITS = 20  # 23.040 §9.1.2.5: at most 10 octets of address value
MAX_ALPHANUMERIC = 11  # septets in 10 octets

_BCD_DIGITS = "0123456789*#abc"  # 23.040 §9.1.2.3; 0xF is the filler
_BCD_ENCODE = {ch: i for i, ch in enumerate(_BCD_DIGITS) if ch not in "abc"}
_FORMATTING = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"[0-9*#]+")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]+")


class PduError(ValueError):
    """A malformed PDU, or input that cannot be encoded; the message says why."""


class Reader:
    """Sequential reader over PDU octets; running past the end raises ``PduError``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise PduError(f"PDU is truncated: {what} is missing")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, count: int, what: str) -> bytes:
        if count > self.remaining:
            raise PduError(f"PDU is truncated: {what} needs {count} octets, {self.remaining} left")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk


# --- addresses -------------------------------------------------------------------------------


def _bcd_digits(raw: bytes, count: int, what: str, *, trailing_filler: bool) -> str:
    out = []
    for i in range(count):
        nibble = (raw[i // 2] >> (4 * (i % 2))) & 0x0F
        if nibble == 0x0F:
            if trailing_filler and i == count - 1:
                break
            raise PduError(f"{what}: filler digit F inside the number")
        out.append(_BCD_DIGITS[nibble])
    return "".join(out)


def _address_value(
    toa: int, raw: bytes, semi_octets: int, what: str, *, smsc: bool
) -> tuple[str, str]:
    ton = (toa >> 4) & 0x07
    if ton == 0b101:
        count = min(semi_octets * 4 // 7, len(raw) * 8 // 7)
        return gsm7.decode(gsm7.unpack(raw, count)), "alphanumeric"
    digits = _bcd_digits(raw, semi_octets, what, trailing_filler=smsc)
    if ton == 0b001:
        return ("+" + digits if digits else ""), "international"
    if ton == 0b010:
        return digits, "national"
    return digits, "unknown"


def read_address(reader: Reader, what: str) -> tuple[str, str]:
    """TP-OA / TP-DA / TP-RA: length in semi-octets, type of address, value. -> (number, type)."""
    length = reader.byte(f"{what} length")
    if length > MAX_ADDRESS_DIGITS:
        raise PduError(f"{what}: length {length} is more than {MAX_ADDRESS_DIGITS} digits")
    toa = reader.byte(f"{what} type")
    raw = reader.take((length + 1) // 2, what)
    return _address_value(toa, raw, length, what, smsc=False)


def read_smsc(reader: Reader) -> str | None:
    """The SMSC address that modems put before the TPDU: length in octets (0: none)."""
    length = reader.byte("SMSC length")
    if length == 0:
        return None
    if length > 1 + MAX_ADDRESS_DIGITS // 2:
        raise PduError(f"SMSC address length {length} octets is too long")
    toa = reader.byte("SMSC type")
    raw = reader.take(length - 1, "SMSC address")
    number, _ = _address_value(toa, raw, 2 * len(raw), "SMSC address", smsc=True)
    return number or None


def parse_number(raw: str) -> tuple[str, bool]:
    """A phone number as a person types it -> (digits, international).

    Spaces, dashes, dots, slashes and brackets are dropped; a leading "+" or "00" means
    international. Letters (an alphanumeric address) or anything else is a ``PduError``.
    """
    text = _FORMATTING.sub("", raw)
    international = False
    if text.startswith("+"):
        text, international = text[1:], True
    elif text.startswith("00"):
        text, international = text[2:], True
    if not text:
        raise PduError(f"{raw!r} is not a phone number: no digits")
    if _DIGITS.fullmatch(text) is None:
        if any(ch.isalpha() for ch in text):
            raise PduError(f"{raw!r} has letters: an SMS cannot be sent to an alphanumeric address")
        raise PduError(f"{raw!r} is not a phone number")
    if len(text) > MAX_ADDRESS_DIGITS:
        raise PduError(f"{raw!r} has more than {MAX_ADDRESS_DIGITS} digits")
    return text, international


def _bcd(digits: str) -> bytes:
    nibbles = [_BCD_ENCODE[ch] for ch in digits]
    if len(nibbles) % 2:
        nibbles.append(0x0F)
    return bytes(lo | (hi << 4) for lo, hi in zip(nibbles[::2], nibbles[1::2], strict=True))


def encode_number(raw: str) -> bytes:
    """A destination number -> TP-DA octets (length in semi-octets, type, BCD)."""
    digits, international = parse_number(raw)
    toa = TON_INTERNATIONAL if international else TON_UNKNOWN
    return bytes([len(digits), toa]) + _bcd(digits)


def encode_sender(sender: str) -> bytes:
    """TP-OA for a sender: a number ("+1 555 0100", "12345") or alphanumeric ("MyBank")."""
    if _NUMERIC_SENDER.fullmatch(_FORMATTING.sub("", sender)) or sender.startswith("+"):
        return encode_number(sender)
    if not sender:
        raise PduError("empty sender")
    try:
        septets = gsm7.encode(sender)
    except ValueError as exc:
        raise PduError(f"alphanumeric sender {sender!r}: {exc}") from None
    if len(septets) > MAX_ALPHANUMERIC:
        raise PduError(f"alphanumeric sender {sender!r} is longer than {MAX_ALPHANUMERIC}")
    return bytes([(len(septets) * 7 + 3) // 4, TON_ALPHANUMERIC]) + gsm7.pack(septets)


def encode_smsc(smsc: str | None) -> bytes:
    """The SMSC prefix: ``00`` (use the SIM's) for None, else length in octets, type, BCD."""
    if not smsc:
        return b"\x00"
    digits, international = parse_number(smsc)
    body = bytes([TON_INTERNATIONAL if international else TON_UNKNOWN]) + _bcd(digits)
    return bytes([len(body)]) + body


# --- timestamps ------------------------------------------------------------------------------


def read_timestamp(reader: Reader, what: str) -> datetime:
    """TP-SCTS / TP-DT: seven semi-octet pairs, the last a signed quarter-hour time zone."""
    raw = reader.take(7, what)
    values = []
    for octet in raw[:6]:
        lo, hi = octet & 0x0F, octet >> 4
        if lo > 9 or hi > 9:
            raise PduError(f"{what}: {raw.hex().upper()} is not a date (non-decimal digit)")
        values.append(lo * 10 + hi)
    tz = raw[6]
    if tz >> 4 > 9:
        raise PduError(f"{what}: time zone octet {tz:02X} is not decimal")
    quarters = (tz & 0x07) * 10 + (tz >> 4)
    if tz & 0x08:
        quarters = -quarters
    year, month, day, hour, minute, second = values
    try:
        zone = timezone(timedelta(minutes=15 * quarters))
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise PduError(f"{what}: {raw.hex().upper()} is not a valid date ({exc})") from None


def _swap(value: int) -> int:
    return ((value % 10) << 4) | (value // 10)


def encode_timestamp(when: datetime) -> bytes:
    """An aware datetime (naive is taken as UTC) -> TP-SCTS octets.

    Offsets that are not whole quarter hours (or beyond ±19:45) are sent as UTC.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    offset = when.utcoffset() or timedelta(0)
    quarters, rest = divmod(offset, timedelta(minutes=15))
    if rest or abs(quarters) > 79:
        when, quarters = when.astimezone(UTC), 0
    if not 2000 <= when.year <= 2099:
        raise PduError(f"timestamp {when.isoformat()} is outside 2000..2099")
    fields = (when.year % 100, when.month, when.day, when.hour, when.minute, when.second)
    magnitude = abs(quarters)
    zone = ((magnitude % 10) << 4) | (magnitude // 10) | (0x08 if quarters < 0 else 0)
    return bytes(_swap(v) for v in fields) + bytes([zone])
