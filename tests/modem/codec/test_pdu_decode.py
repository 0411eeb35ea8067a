"""Decoding known PDUs, hand-assembled from 3GPP TS 23.040 / 23.038 field by field.

Several cases are ones python-gsmmodem-new (0.13) gets wrong; each says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from modem.codec import gsm7
from modem.codec.pdu import Concat, decode, join

OA = "0B915155214365F7"  # 11 digits, international: +15551234567
SCTS = "62113290030040"  # 2026-11-23 09:30:00, +4 quarters (+01:00)
SCTS_TIME = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def deliver(ud: str, *, udl: int, dcs: str = "00", first: str = "04", oa: str = OA) -> str:
    """An SMS-DELIVER with no SMSC (00) around the given user data."""
    return f"00{first}{oa}00{dcs}{SCTS}{udl:02X}{ud}"


def pack_reference(header: bytes, text: str) -> bytes:
    """TP-UD for GSM-7 text after ``header`` (UDHL included), via an explicit bit list."""
    return pack_septets_reference(header, gsm7.encode(text))


def pack_septets_reference(header: bytes, septets: bytes) -> bytes:
    bits = [(octet >> i) & 1 for octet in header for i in range(8)]
    while len(bits) % 7:
        bits.append(0)  # fill bits up to the next septet boundary
    for septet in septets:
        bits.extend((septet >> i) & 1 for i in range(7))
    while len(bits) % 8:
        bits.append(0)
    return bytes(sum(bits[i + k] << k for k in range(8)) for i in range(0, len(bits), 8))


def test_classic_deliver() -> None:
    # The widely published SMS-DELIVER example ("How are you?" from +31641600986).
    pdu = decode("07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07")
    assert pdu.kind == "deliver"
    assert pdu.smsc == "+31624000000"
    assert (pdu.number, pdu.number_type) == ("+31641600986", "international")
    assert pdu.text == "How are you?"
    assert pdu.encoding == "gsm7" and pdu.data is None and pdu.concat is None
    # Time zone octet 08: semi-octets swapped, bit 3 is the sign: "-0 quarters", i.e. UTC.
    assert pdu.timestamp == datetime(2002, 8, 26, 19, 37, 41, tzinfo=UTC)
    assert pdu.timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("tz", "offset"),
    [("00", 0), ("40", 60), ("80", 120), ("69", -240), ("2A", -330), ("32", 5 * 60 + 45)],
)
def test_scts_time_zone_quarters(tz: str, offset: int) -> None:
    pdu = decode(f"00040B915155214365F70000621132900300{tz}00")
    assert pdu.timestamp == datetime(
        2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(minutes=offset))
    )
    assert pdu.timestamp.utcoffset() == timedelta(minutes=offset)
    assert pdu.text == ""


def test_smsc_prefix_optional() -> None:
    tpdu = f"04{OA}0000{SCTS}05C8329BFD06"
    assert decode(tpdu, smsc=False).text == "Hello"
    assert decode(tpdu, smsc=False).smsc is None
    assert decode("07915155000000F0" + tpdu).smsc == "+15550000000"
    assert decode("00" + tpdu).smsc is None


@pytest.mark.parametrize(
    ("field", "number", "number_type"),
    [
        ("04D04121", "AB", "alphanumeric"),
        ("0581BADCFE", "*#abc", "unknown"),  # BCD A..E are * # a b c; F is the filler
        ("04A12143", "1234", "national"),
        ("05812143F5", "12345", "unknown"),
        ("03912143", "+123", "international"),
        ("0081", "", "unknown"),
    ],
)
def test_addresses(field: str, number: str, number_type: str) -> None:
    pdu = decode(deliver("", udl=0, oa=field))
    assert (pdu.number, pdu.number_type) == (number, number_type)


def test_alphanumeric_sender_my_bank() -> None:
    # 6 septets = 42 bits = 6 octets; TP-OA length counts 11 semi-octets (23.040 §9.1.2.5).
    packed = pack_reference(b"", "MyBank").hex().upper()
    assert packed == "CDBC30EC5E03"  # worked by hand: M y B a n k
    pdu = decode(deliver("C8329BFD06", udl=5, oa="0BD0" + packed))
    assert (pdu.number, pdu.number_type) == ("MyBank", "alphanumeric")


def test_ucs2_emoji_is_one_code_point() -> None:
    pdu = decode(deliver("004800690020D83DDE00", udl=10, dcs="08"))
    assert pdu.encoding == "ucs2"
    assert pdu.text == "Hi \U0001f600"
    assert len(pdu.text) == 4


@pytest.mark.parametrize(
    ("ud", "text"),
    [
        ("D83D0041", "\ufffdA"),
        ("DE00", "\ufffd"),
        ("0041D83D", "A\ufffd"),
        ("DE00D83D", "\ufffd\ufffd"),
    ],
)
def test_ucs2_lone_surrogates_become_replacement_characters(ud: str, text: str) -> None:
    pdu = decode(deliver(ud, udl=len(ud) // 2, dcs="08"))
    assert pdu.text == text
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in pdu.text)


def test_seven_octet_udh_16_bit_concat_keeps_first_character() -> None:
    # UDHL 06 + IEI 08 (16-bit reference 300, 2 parts, part 1): 7 octets = 8 septets exactly,
    # so no fill bits. python-gsmmodem-new returns "ello" here.
    pdu = decode(deliver("060804012C0201C8329BFD06", udl=8 + 5, first="44"))
    assert pdu.text == "Hello"
    assert pdu.concat == Concat(reference=300, total=2, sequence=1, bits=16)
    assert pdu.udh == bytes.fromhex("0804012C0201")


def test_six_octet_udh_8_bit_concat_one_fill_bit() -> None:
    pdu = decode(deliver("050003CC0201906536FB0D", udl=7 + 5, first="44"))
    assert pdu.text == "Hello"
    assert pdu.concat == Concat(reference=0xCC, total=2, sequence=1, bits=8)


@pytest.mark.parametrize("extra", range(0, 40, 3))
def test_gsm7_after_udh_of_any_length(extra: int) -> None:
    # A concat element after an unknown element of ``extra`` octets: every fill-bit count 0..6.
    elements = bytes([0x70, extra, *range(extra)]) + bytes.fromhex("0003070302")
    header = bytes([len(elements)]) + elements
    text = "Fill bits {ok} €"
    ud = pack_reference(header, text)
    udl = (len(header) * 8 + 6) // 7 + gsm7.septet_length(text)
    pdu = decode(deliver(ud.hex(), udl=udl, first="44"))
    assert pdu.text == text
    assert pdu.concat == Concat(7, 3, 2, 8)


def test_udh_with_8bit_and_ucs2() -> None:
    pdu = decode(deliver("0500030A0302" + "00480069", udl=10, first="44", dcs="08"))
    assert (pdu.text, pdu.concat) == ("Hi", Concat(10, 3, 2, 8))
    pdu = decode(deliver("0500030A0303" + "CAFE", udl=8, first="44", dcs="04"))
    assert (pdu.text, pdu.data, pdu.concat) == (None, b"\xca\xfe", Concat(10, 3, 3, 8))


@pytest.mark.parametrize("element", ["00030A0000", "00030A0203", "00030A0200", "080400010000"])
def test_void_concat_elements_are_ignored(element: str) -> None:
    # 23.040 §9.2.3.24.1: total 0, or sequence 0 / beyond total, means ignore the element.
    header = f"{len(element) // 2:02X}{element}"
    pdu = decode(deliver(header + "4869", udl=len(header) // 2 + 2, first="44", dcs="04"))
    assert pdu.concat is None
    assert pdu.data == b"Hi"


@pytest.mark.parametrize(
    ("dcs", "encoding", "message_class"),
    [
        (0x00, "gsm7", None),
        (0x04, "8bit", None),
        (0x08, "ucs2", None),
        (0x0C, "gsm7", None),  # character set 11 is reserved: default alphabet
        (0x10, "gsm7", 0),  # flash
        (0x15, "8bit", 1),
        (0x1A, "ucs2", 2),
        (0x40, "gsm7", None),  # marked for automatic deletion group
        (0x48, "ucs2", None),
        (0x80, "gsm7", None),  # reserved coding groups
        (0xBF, "gsm7", None),
        (0xC0, "gsm7", None),  # message waiting, discard
        (0xD8, "gsm7", None),  # message waiting, store
        (0xE8, "ucs2", None),  # message waiting, store, UCS-2
        (0xF0, "gsm7", 0),
        (0xF1, "gsm7", 1),
        (0xF5, "8bit", 1),  # python-gsmmodem-new decodes this as GSM-7 garbage
        (0xF6, "8bit", 2),
    ],
)
def test_data_coding_schemes(dcs: int, encoding: str, message_class: int | None) -> None:
    ud = {"gsm7": "C8329BFD06", "8bit": "48656C6C6F", "ucs2": "00480065006C006C006F"}[encoding]
    udl = 5 if encoding != "ucs2" else 10
    pdu = decode(deliver(ud, udl=udl, dcs=f"{dcs:02X}"))
    assert pdu.encoding == encoding
    assert pdu.dcs == dcs
    assert pdu.message_class == message_class
    if encoding == "8bit":
        assert (pdu.text, pdu.data) == (None, b"Hello")
    else:
        assert (pdu.text, pdu.data) == ("Hello", None)


def test_compressed_text_comes_back_as_8bit_data() -> None:
    # General group bit 5: compressed; TP-UDL then counts octets (23.040 §9.2.3.16).
    pdu = decode(deliver("0102030405", udl=5, dcs="20"))
    assert (pdu.encoding, pdu.text, pdu.data, pdu.dcs) == (
        "8bit",
        None,
        b"\x01\x02\x03\x04\x05",
        0x20,
    )


def test_deliver_flags() -> None:
    pdu = decode(deliver("", udl=0, first="24"))  # TP-SRI
    assert pdu.status_report_requested
    assert decode(deliver("", udl=0)).status_report_requested is False


def test_full_length_messages() -> None:
    text = ("Hello world! " * 13)[:160]
    septets = gsm7.encode(text)
    assert len(septets) == 160
    pdu = decode(deliver(gsm7.pack(septets).hex(), udl=160))
    assert pdu.text == text
    ucs2 = "ж" * 70
    assert decode(deliver(ucs2.encode("utf-16-be").hex(), udl=140, dcs="08")).text == ucs2


def test_submit() -> None:
    # The widely published SMS-SUBMIT example: "hellohello" to +46708251358, VP relative AA.
    pdu = decode("0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
    assert pdu.kind == "submit"
    assert (pdu.number, pdu.text, pdu.reference) == ("+46708251358", "hellohello", 0)
    assert pdu.smsc is None and pdu.timestamp is None
    assert pdu.status_report_requested is False


@pytest.mark.parametrize(("first", "vp"), [("01", ""), ("19", SCTS), ("09", "01" + "00" * 6)])
def test_submit_validity_period_formats(first: str, vp: str) -> None:
    pdu = decode(f"00{first}7F0B915155214365F70000{vp}05C8329BFD06")
    assert (pdu.reference, pdu.text) == (0x7F, "Hello")
    assert pdu.status_report_requested is False
    with_srr = f"{int(first, 16) | 0x20:02X}"  # TP-SRR
    assert decode(f"00{with_srr}7F0B915155214365F70000{vp}00").status_report_requested


STATUS = f"00062A{OA}{SCTS}6211329013514000"


def test_status_report() -> None:
    pdu = decode(STATUS)
    assert pdu.kind == "status-report"
    assert (pdu.reference, pdu.number, pdu.status) == (42, "+15551234567", 0)
    assert pdu.timestamp == SCTS_TIME
    assert pdu.discharge_time == datetime(
        2026, 11, 23, 9, 31, 15, tzinfo=timezone(timedelta(hours=1))
    )
    assert pdu.text is None


@pytest.mark.parametrize(
    ("tail", "text"),
    [
        ("00", None),
        ("0400", ""),
        ("070000" + "05C8329BFD06", "Hello"),
        ("8600" + "00" + "05C8329BFD06", "Hello"),  # DCS + UDL, then a TP-PI extension octet
        # A malformed or padded tail after TP-ST never costs the delivery report:
        ("FF", None),
        ("FFFFFF", None),
        ("04", None),  # UDL announced, missing
        ("80", None),  # extension announced, missing
        ("0408C8329B", None),  # UDL 8 septets, 3 octets follow
    ],
)
def test_status_report_optional_parameters(tail: str, text: str | None) -> None:
    pdu = decode(STATUS + tail)
    assert (pdu.status, pdu.text) == (0, text)


def test_status_report_failure_status() -> None:
    assert decode(STATUS[:-2] + "46").status == 0x46


def test_join_mends_a_surrogate_pair_split_across_parts() -> None:
    # A sloppy sender cut "A😀B" between the two halves of the emoji.
    part1 = decode(deliver("0500033302010041D83D", udl=10, first="44", dcs="08"))
    part2 = decode(deliver("050003330202DE000042", udl=10, first="44", dcs="08"))
    assert (part1.text, part2.text) == ("A\ufffd", "\ufffdB")
    assert join([part2, part1]) == "A😀B"
    assert part1.body == bytes.fromhex("0041D83D")


def test_join_mends_an_escape_split_across_parts() -> None:
    # Part 1 ends with ESC, part 2 starts with 0x65: together they are "€".
    first_ud = pack_septets_reference(bytes.fromhex("050003330201"), b"ab\x1b")
    part1 = decode(deliver(first_ud.hex(), udl=7 + 3, first="44"))
    part2 = decode(
        deliver(pack_reference(bytes.fromhex("050003330202"), "e5").hex(), udl=9, first="44")
    )
    assert (part1.text, part2.text) == ("ab ", "e5")
    assert join([part1, part2]) == "ab€5"


def test_join_mixed_encodings_and_data() -> None:
    p1 = decode(deliver("0500030A0201" + "906536FB0D", udl=12, first="44"))  # gsm7 "Hello"
    p2 = decode(deliver("0500030A0202" + "00200436", udl=10, first="44", dcs="08"))  # " ж"
    assert join([p2, p1]) == "Hello ж"
    data = decode(deliver("CAFE", udl=2, dcs="04"))
    assert join([data]) is None
    assert join([]) is None
    single = decode(deliver("C8329BFD06", udl=5))
    assert join([single]) == "Hello" == single.text
