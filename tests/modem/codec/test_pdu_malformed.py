"""Malformed PDUs: always a PduError with a reason, never another exception, never garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modem.codec.pdu import (
    Pdu,
    PduError,
    decode,
    encode_deliver,
    encode_status_report,
    encode_submit,
)

OA = "0B915155214365F7"
SCTS = "62113290030040"
GOOD = [
    "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07",
    "0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
    f"0044{OA}0000{SCTS}0D060804012C0201C8329BFD06",
    f"0004{OA}0008{SCTS}0A004800690020D83DDE00",
    f"00062A{OA}{SCTS}{SCTS}00",
    f"00062A{OA}{SCTS}{SCTS}00070000" + "05C8329BFD06",
]


@pytest.mark.parametrize(
    ("hex_pdu", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0", "odd number"),
        ("0011000B916407281553F80000AA0AE8329BFD4697D9EC3", "odd number"),
        ("ZZ", "not hex"),
        ("00 11", "not hex"),
        ("0x0011", "not hex"),
        ("00١١", "not hex"),  # non-ASCII digits
        ("00", "first octet is missing"),
        ("0C9100", "SMSC address length 12"),
        ("07911326", "SMSC address needs 6 octets"),
        (f"0004{OA}0000{SCTS}0AC8329BFD06", "TP-UDL 10 needs 9 octets, 5 left"),  # UDL > data
        (f"0004{OA}0000{SCTS}A1" + "00" * 141, "more than 160 septets"),
        (f"0004{OA}0008{SCTS}8D" + "00" * 141, "more than 140 octets"),
        (f"0044{OA}0004{SCTS}03090000", "header length 9 is longer"),  # UDHL > UD
        (f"0044{OA}0000{SCTS}03050000", "header length 5 is longer"),
        (f"0044{OA}0000{SCTS}02" + "0500", "header length 5 is longer"),
        (f"0044{OA}0000{SCTS}00", "no user data"),
        (f"0044{OA}0004{SCTS}0302000100", "element 00 runs past"),
        (f"0044{OA}0004{SCTS}0201000000", "truncated"),
        (f"0004{OA}0008{SCTS}03004100", "odd number of octets"),
        (f"0004FF91{'11' * 10}0000{SCTS}00", "length 255 is more than 20"),
        (f"000415915155214365F70000{SCTS}00", "length 21"),
        (f"0004{OA}0000{SCTS[:4]}2390030040" + "00", "not a valid date"),  # day 32
        (f"0004{OA}0000{SCTS[:6]}4203004000", "not a valid date"),  # hour 24
        (f"0004{OA}0000{SCTS[:2]}A1329003004000", "non-decimal"),
        (f"0004{OA}0000{SCTS[:12]}A000", "time zone octet A0"),
        (f"0004{OA}0000{SCTS}", "TP-UDL is missing"),
        (f"0004{OA}00", "TP-DCS is missing"),
        ("00040B91515521", "originating address needs 6 octets"),
        (f"000405811F34F50000{SCTS}00", "filler digit F inside"),
        ("0003", "TP-MTI 11 is a reserved"),
        ("00112A0B915155214365F70000", "TP-VP needs 1 octets"),
        ("00192A0B915155214365F70000AA", "TP-VP needs 7 octets"),
        (f"00062A{OA}{SCTS}{SCTS}", "TP-ST is missing"),
    ],
)
def test_malformed(hex_pdu: str, reason: str) -> None:
    with pytest.raises(PduError, match=reason):
        decode(hex_pdu)


def test_month_13() -> None:
    with pytest.raises(PduError, match="not a valid date"):
        decode(f"0004{OA}00006231329003004000")  # 2026-13-23
    with pytest.raises(PduError, match="not a valid date"):
        decode(f"00062A{OA}{SCTS}6231329003004000")  # discharge time in month 13


def test_not_a_string() -> None:
    with pytest.raises(PduError, match="hex string, not bytes"):
        decode(b"0011")  # type: ignore[arg-type]
    with pytest.raises(PduError, match="not NoneType"):
        decode(None)  # type: ignore[arg-type]


def test_lower_case_and_surrounding_whitespace_are_fine() -> None:
    assert decode("  " + GOOD[1].lower() + "\r\n").text == "hellohello"


@pytest.mark.parametrize("hex_pdu", GOOD)
def test_every_truncation_is_an_error(hex_pdu: str) -> None:
    assert isinstance(decode(hex_pdu), Pdu)
    smsc_octets = int(hex_pdu[:2], 16)
    # A status report is whole once TP-ST is there (what follows is optional); all else must be
    # complete.
    mandatory = (1 + smsc_octets + 1 + 1 + 8 + 7 + 7 + 1) * 2 if hex_pdu[2:4] == "06" else 0
    for end in range(0, len(hex_pdu), 2):
        if mandatory and end >= mandatory:
            assert decode(hex_pdu[:end]).status == 0
            continue
        with pytest.raises(PduError):
            decode(hex_pdu[:end])


def test_encoders_reject_rather_than_emit_garbage() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(PduError):
        encode_submit("+1555", "x", smsc="SMSC")
    with pytest.raises(PduError):
        encode_deliver("", "x", timestamp=when)
    with pytest.raises(PduError):
        encode_status_report(-1, "+1555", 0, scts=when, discharge=when)
    with pytest.raises(PduError):
        encode_status_report(1, "Shop", 0, scts=when, discharge=when)


def _decode_or_error(hex_pdu: str, smsc: bool) -> None:
    try:
        pdu = decode(hex_pdu, smsc=smsc)
    except PduError as exc:
        assert str(exc)
        return
    assert pdu.kind in ("deliver", "submit", "status-report")
    assert pdu.encoding in ("gsm7", "ucs2", "8bit")
    assert (pdu.text is None) == (pdu.encoding == "8bit") or pdu.kind == "status-report"
    if pdu.text is not None:
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in pdu.text)


@settings(max_examples=400)
@given(st.binary(max_size=180), st.booleans())
def test_random_bytes_only_ever_raise_pdu_error(data: bytes, smsc: bool) -> None:
    _decode_or_error(data.hex(), smsc)


@settings(max_examples=400)
@given(
    st.sampled_from(GOOD), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4)
)
def test_mutated_pdus_only_ever_raise_pdu_error(good: str, flips: list[tuple[int, int]]) -> None:
    data = bytearray.fromhex(good)
    for index, value in flips:
        data[index % len(data)] = value
    _decode_or_error(data.hex(), True)


@given(st.text(max_size=60))
def test_random_text_only_ever_raises_pdu_error(text: str) -> None:
    _decode_or_error(text, True)
