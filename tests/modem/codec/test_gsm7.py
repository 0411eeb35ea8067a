"""GSM 03.38 / 23.038 default alphabet, extension table and septet packing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modem.codec import gsm7

# 23.038 §6.2.1, row by row, written out independently of modem.codec.gsm7's table.
SPEC_ROWS = {
    0x00: "@£$¥èéùìòÇ\nØø\rÅå",
    0x10: "Δ_ΦΓΛΩΠΨΣΘΞ",  # 0x1B is ESC; 0x1C..0x1F below
    0x1C: "ÆæßÉ",
    0x20: " !\"#¤%&'()*+,-./0123456789:;<=>?",
    0x40: "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    0x60: "¿abcdefghijklmnopqrstuvwxyzäöñüà",
}
SPEC_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
GSM7_CHARS = "".join(SPEC_ROWS.values()) + "".join(SPEC_EXTENSION)


@pytest.mark.parametrize(("start", "chars"), SPEC_ROWS.items())
def test_default_alphabet_code_points(start: int, chars: str) -> None:
    assert gsm7.encode(chars) == bytes(range(start, start + len(chars)))
    assert gsm7.decode(bytes(range(start, start + len(chars)))) == chars


@pytest.mark.parametrize(("char", "code"), SPEC_EXTENSION.items())
def test_extension_table(char: str, code: int) -> None:
    assert gsm7.encode(char) == bytes([0x1B, code])
    assert gsm7.decode(bytes([0x1B, code])) == char
    assert gsm7.char_septets(char) == 2


def test_unknown_escape_shows_the_default_alphabet_character() -> None:
    # 23.038 §6.2.1.1: a code the extension table does not define shows the main table's char.
    assert gsm7.decode(bytes([0x1B, 0x41, 0x1B, 0x00])) == "A@"
    # CR2 (1B 0D) has no glyph of its own: the main table's CR.
    assert gsm7.decode(bytes([0x1B, 0x0D])) == "\r"


def test_escape_escape_and_lone_trailing_escape_show_a_space() -> None:
    assert gsm7.decode(bytes([0x48, 0x1B, 0x1B, 0x49])) == "H I"
    assert gsm7.decode(bytes([0x48, 0x1B])) == "H "


def test_not_gsm7() -> None:
    for text in ("ç", "😀", "Привет", "\t", "`"):
        assert not gsm7.is_gsm7(text)
        with pytest.raises(ValueError, match="not in the GSM 7-bit alphabet"):
            gsm7.encode("ok" + text)
        with pytest.raises(ValueError):
            gsm7.septet_length(text)
    assert gsm7.is_gsm7(GSM7_CHARS)
    assert gsm7.is_gsm7("")


def test_septet_length_counts_escapes_twice() -> None:
    assert gsm7.septet_length("a€b{") == 6
    assert gsm7.septet_length(GSM7_CHARS) == len(GSM7_CHARS) + len(SPEC_EXTENSION)


def test_pack_known_vector() -> None:
    # The classic "hellohello" (TS 23.038 §6.1.2.1 packing, seen in every SMS-SUBMIT tutorial).
    septets = gsm7.encode("hellohello")
    assert gsm7.pack(septets).hex().upper() == "E8329BFD4697D9EC37"
    assert gsm7.unpack(bytes.fromhex("E8329BFD4697D9EC37"), 10) == septets
    # Eight septets fill seven octets exactly.
    assert gsm7.pack(gsm7.encode("12345678")).hex().upper() == "31D98C56B3DD70"


def test_pack_with_fill_bits() -> None:
    # "Hello" after a 6-octet UDH: one fill bit, every octet shifted left by one.
    assert gsm7.pack(gsm7.encode("Hello")).hex().upper() == "C8329BFD06"
    assert gsm7.pack(gsm7.encode("Hello"), 1).hex().upper() == "906536FB0D"
    assert gsm7.unpack(bytes.fromhex("906536FB0D"), 5, 1) == gsm7.encode("Hello")


def test_unpack_refuses_too_little_data() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        gsm7.unpack(b"\x00\x00", 3)


def test_to_ira() -> None:
    assert gsm7.to_ira("Grüße, €5") == "Gr??e, ?5"


@given(st.text(alphabet=GSM7_CHARS, max_size=200))
def test_encode_decode_round_trip(text: str) -> None:
    septets = gsm7.encode(text)
    assert len(septets) == gsm7.septet_length(text)
    assert gsm7.decode(septets) == text


@given(st.binary(max_size=200).map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_pack_unpack_round_trip(septets: bytes, fill: int) -> None:
    packed = gsm7.pack(septets, fill)
    assert len(packed) == (fill + 7 * len(septets) + 7) // 8
    assert gsm7.unpack(packed, len(septets), fill) == septets


@given(st.binary(max_size=200))
def test_decode_never_raises(data: bytes) -> None:
    assert isinstance(gsm7.decode(data), str)
