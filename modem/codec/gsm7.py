"""The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1), its extension table, septet packing.

Septets here are ``bytes`` with one septet (0..127) per byte, "unpacked". An extension character
is two septets: ESC (0x1B) and its code in the extension table. ``pack``/``unpack`` convert to and
from the packed octets of TP-UD, with optional leading fill bits (after a user data header).
"""

from __future__ import annotations

ESC = 0x1B

# 23.038 §6.2.1, code point order 0x00..0x7F. 0x1B is the escape to the extension table; it
# decodes as a space when it has no meaning (a lone trailing ESC), as the spec's note says.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(DEFAULT_ALPHABET) == 128

# 23.038 §6.2.1.1: the extension table (after ESC). 0x1B there escapes to a further table not
# yet defined: "a receiving entity shall display a space". 0x0D is CR2 (a control, no glyph).
EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_ENCODE: dict[str, bytes] = {ch: bytes([i]) for i, ch in enumerate(DEFAULT_ALPHABET) if i != ESC}
_ENCODE.update({ch: bytes([ESC, code]) for code, ch in EXTENSION.items()})


def is_gsm7(text: str) -> bool:
    """True when every character is in the default alphabet or its extension table."""
    return all(ch in _ENCODE for ch in text)


def char_septets(ch: str) -> int:
    """Septets one character takes: 1, 2 for an extension character. KeyError if not GSM-7."""
    return len(_ENCODE[ch])


def septet_length(text: str) -> int:
    """Septets the text takes (extension characters count two). ValueError if not GSM-7."""
    try:
        return sum(len(_ENCODE[ch]) for ch in text)
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the GSM 7-bit alphabet") from None


def encode(text: str) -> bytes:
    """Text -> unpacked septets. ValueError naming the first character that is not GSM-7."""
    out = bytearray()
    for ch in text:
        code = _ENCODE.get(ch)
        if code is None:
            raise ValueError(f"character {ch!r} is not in the GSM 7-bit alphabet")
        out += code
    return bytes(out)


def decode(septets: bytes) -> str:
    """Unpacked septets -> text. Never raises: bits above the seventh are ignored.

    An escape followed by a code the extension table does not define shows the default
    alphabet's character for that code (23.038 §6.2.1.1, "display the character shown in the main
    GSM 7 bit default alphabet table"); ESC ESC and a lone trailing ESC show a space.
    """
    out: list[str] = []
    i = 0
    n = len(septets)
    while i < n:
        code = septets[i] & 0x7F
        i += 1
        if code != ESC:
            out.append(DEFAULT_ALPHABET[code])
            continue
        if i >= n:
            out.append(" ")
            break
        ext = septets[i] & 0x7F
        i += 1
        if ext == ESC:
            out.append(" ")
        else:
            out.append(EXTENSION.get(ext, DEFAULT_ALPHABET[ext]))
    return "".join(out)


def pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets into octets, least significant bit first, after ``fill_bits`` zero bits."""
    acc = 0
    for i, septet in enumerate(septets):
        acc |= (septet & 0x7F) << (fill_bits + 7 * i)
    nbits = fill_bits + 7 * len(septets)
    return acc.to_bytes((nbits + 7) // 8, "little")


def unpack(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """Read ``count`` septets from packed ``data``, skipping ``fill_bits`` leading bits.

    ValueError if ``data`` is too short to hold them.
    """
    if fill_bits + 7 * count > 8 * len(data):
        raise ValueError(f"{count} septets do not fit in {len(data)} octets")
    acc = int.from_bytes(data, "little")
    return bytes((acc >> (fill_bits + 7 * i)) & 0x7F for i in range(count))


def to_ira(text: str) -> str:
    """Best-effort IRA (ASCII) form for AT text mode with +CSCS="IRA": non-ASCII becomes "?"."""
    return "".join(ch if ord(ch) < 128 else "?" for ch in text)
