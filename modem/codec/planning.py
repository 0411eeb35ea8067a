"""Planning how a text goes out as SMS: GSM 7-bit or UCS-2, how many parts, units left.

The composer and the outbox ask ``plan`` / ``split`` before anything is encoded; the PDU encoder
(``modem.codec.pdu.encode_submit``) cuts the text with the same ``segments`` so both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from modem.codec import gsm7, ucs2
from modem.codec.addresses import PduError

MAX_PARTS = 255
_LIMITS = {  # encoding -> (single part, per part with 8-bit concat, per part with 16-bit concat)
    "gsm7": (160, 153, 152),
    "ucs2": (70, 67, 66),
}


@dataclass(frozen=True)
class Plan:
    encoding: str  # "gsm7" | "ucs2"
    parts: int
    remaining: int  # units left in the last part
    per_part: int  # 160 / 153 (gsm7) or 70 / 67 (ucs2)
    units: int  # septets (extension characters count two) or UTF-16 code units


def _units(text: str, encoding: str) -> list[int]:
    if encoding == "gsm7":
        return [gsm7.char_septets(ch) for ch in text]
    return [ucs2.char_units(ch) for ch in text]


def segments(text: str, concat_bits: int) -> tuple[str, list[str], list[int]]:
    if concat_bits not in (8, 16):
        raise PduError(f"concat_bits must be 8 or 16, not {concat_bits!r}")
    text = ucs2.clean(text)
    encoding = "gsm7" if gsm7.is_gsm7(text) else "ucs2"
    single, multi8, multi16 = _LIMITS[encoding]
    units = _units(text, encoding)
    if sum(units) <= single:
        return encoding, [text], [sum(units)]
    limit = multi8 if concat_bits == 8 else multi16
    parts: list[str] = []
    counts: list[int] = []
    start = used = 0
    for i, unit in enumerate(units):
        if used + unit > limit:
            parts.append(text[start:i])
            counts.append(used)
            start, used = i, 0
        used += unit
    parts.append(text[start:])
    counts.append(used)
    return encoding, parts, counts


def split(text: str, *, concat_bits: int = 8) -> tuple[str, list[str]]:
    """(encoding, segments) exactly as ``encode_submit`` sends them.

    ``concat_bits=16`` matches ``encode_submit`` with a ``concat_ref`` above 255.
    """
    encoding, pieces, _ = segments(text, concat_bits)
    return encoding, pieces


def plan(text: str, *, concat_bits: int = 8) -> Plan:
    """How ``text`` will be sent: encoding, parts, units left in the last part, and so on."""
    encoding, pieces, counts = segments(text, concat_bits)
    single, multi8, multi16 = _LIMITS[encoding]
    per_part = single if len(pieces) == 1 else (multi8 if concat_bits == 8 else multi16)
    return Plan(encoding, len(pieces), per_part - counts[-1], per_part, sum(counts))
