"""encode_submit / encode_deliver / encode_status_report, plan and split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from gsmmodem import pdu as gsmmodem_pdu

from modem.codec.pdu import (
    VALIDITY_PERIOD,
    Concat,
    PduError,
    Plan,
    decode,
    encode_deliver,
    encode_status_report,
    encode_submit,
    plan,
    split,
)

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_submit_known_vector() -> None:
    (part,) = encode_submit("+46708251358", "hellohello", request_status_report=False)
    assert part.hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert part.tpdu_length == 23
    assert (part.sequence, part.total, part.text) == (1, 1, "hellohello")
    assert VALIDITY_PERIOD == 0xAA  # 4 days


def test_submit_flags_reference_and_smsc() -> None:
    (part,) = encode_submit("+46708251358", "hellohello", reference=0x42, smsc="+31624000000")
    # SMSC 07 91 13 26 04 00 00 F0, first octet 31 = SUBMIT | VPF relative | SRR.
    assert part.hex == "07911326040000F031420B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert part.tpdu_length == 23
    pdu = decode(part.hex)
    assert (pdu.smsc, pdu.reference, pdu.status_report_requested) == ("+31624000000", 0x42, True)


@pytest.mark.parametrize(
    ("raw", "number", "number_type", "field"),
    [
        ("+1 555-123 4567", "+15551234567", "international", "0B915155214365F7"),
        ("(555) 123.4567", "5551234567", "unknown", "0A815515325476"),
        ("00441234567890", "+441234567890", "international", "0C91442143658709"),
        ("0044 1234/567-890", "+441234567890", "international", "0C91442143658709"),
        ("\u00a0+49 30 1234567 ", "+49301234567", "international", "0B919403214365F7"),
        ("*100#", "*100#", "unknown", "05811A00FB"),
    ],
)
def test_numbers_with_formatting_are_numbers(
    raw: str, number: str, number_type: str, field: str
) -> None:
    # python-gsmmodem-new sends "+1 555-123 4567" as an alphanumeric address (TOA D0).
    (part,) = encode_submit(raw, "hi", request_status_report=False)
    assert part.hex.startswith("001100" + field)
    pdu = decode(part.hex)
    assert (pdu.number, pdu.number_type) == (number, number_type)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("MyBank", "alphanumeric"),
        ("+1 555 CALL NOW", "alphanumeric"),
        ("", "no digits"),
        ("+", "no digits"),
        (" - ", "no digits"),
        ("+1+2", "not a phone number"),
        ("12,34", "not a phone number"),
        ("١٢٣", "not a phone number"),  # Arabic-Indic digits are not BCD
        ("1" * 21, "more than 20 digits"),
    ],
)
def test_bad_destination_numbers(raw: str, reason: str) -> None:
    with pytest.raises(PduError, match=reason):
        encode_submit(raw, "hi")


def test_emoji_is_sent_as_a_surrogate_pair() -> None:
    # python-gsmmodem-new raises ValueError("byte must be in range(0, 256)") here.
    (part,) = encode_submit("+15551234567", "Hi 😀", request_status_report=False)
    assert part.hex.endswith("0008AA0A004800690020D83DDE00")
    assert decode(part.hex).text == "Hi 😀"


def test_astral_text_round_trips() -> None:
    text = "𝄞 music, 𠜎 CJK ext B, 🇺🇦 flag, 👩‍👩‍👧 family"
    parts = encode_submit("+15551234567", text)
    assert "".join(decode(p.hex).text for p in parts) == text


def test_surrogates_given_as_code_points() -> None:
    joined = encode_submit("+15551234567", "\ud83d\ude00", concat_ref=1)
    assert decode(joined[0].hex).text == "😀"
    lone = encode_submit("+15551234567", "a\ud83db")
    assert decode(lone[0].hex).text == "a\ufffdb"


def test_concatenation_8_bit_reference() -> None:
    parts = encode_submit("+15551234567", "a" * 161, concat_ref=7, request_status_report=False)
    assert [(p.sequence, p.total, len(p.text)) for p in parts] == [(1, 2, 153), (2, 2, 8)]
    # first octet 51 = UDHI | VPF | SUBMIT; UDL 160 = 7 header septets + 153; UDH 05 00 03 07 02 01.
    assert parts[0].hex.startswith("0051000B915155214365F70000AAA0050003070201")
    assert parts[0].tpdu_length == 14 + 140  # 14 octets before TP-UD
    for part in parts:
        pdu = decode(part.hex)
        assert pdu.concat == Concat(7, 2, part.sequence, 8)
        assert pdu.text == part.text


def test_concatenation_16_bit_reference() -> None:
    parts = encode_submit("+15551234567", "b" * 161, concat_ref=300)
    assert [len(p.text) for p in parts] == [152, 9]
    assert "A0060804012C0201" in parts[0].hex
    assert decode(parts[1].hex).concat == Concat(300, 2, 2, 16)
    assert split("b" * 161, concat_bits=16) == ("gsm7", [p.text for p in parts])


def test_concat_ref_picked_once_for_all_parts() -> None:
    parts = encode_submit("+15551234567", "c" * 400, concat_ref=None)
    refs = {decode(p.hex).concat.reference for p in parts}
    assert len(parts) == 3 and len(refs) == 1 and 0 <= refs.pop() <= 255


def test_single_part_has_no_udh() -> None:
    (part,) = encode_submit("+15551234567", "d" * 160, concat_ref=5)
    pdu = decode(part.hex)
    assert (pdu.concat, pdu.udh, pdu.text) == (None, None, "d" * 160)


def test_escape_pair_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10  # 164 septets: the euro would straddle 153
    encoding, segments = split(text)
    assert encoding == "gsm7"
    assert segments == ["a" * 152, "€" + "b" * 10]
    assert [p.text for p in encode_submit("+1555", text)] == segments


def test_emoji_never_split() -> None:
    text = "x" * 66 + "😀" + "y" * 5  # 73 code units: the pair would straddle 67
    assert split(text) == ("ucs2", ["x" * 66, "😀yyyyy"])
    parts = encode_submit("+1555", text)
    assert [decode(p.hex).text for p in parts] == ["x" * 66, "😀yyyyy"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Plan("gsm7", 1, 160, 160, 0)),
        ("a" * 160, Plan("gsm7", 1, 0, 160, 160)),
        ("a" * 161, Plan("gsm7", 2, 145, 153, 161)),
        ("€" * 80, Plan("gsm7", 1, 0, 160, 160)),
        ("€" * 81, Plan("gsm7", 2, 153 - 10, 153, 162)),  # 76 + 5 euros
        ("ç" * 70, Plan("ucs2", 1, 0, 70, 70)),
        ("ç" * 71, Plan("ucs2", 2, 63, 67, 71)),
        ("😀" * 35, Plan("ucs2", 1, 0, 70, 70)),
        ("😀" * 36, Plan("ucs2", 2, 67 - 6, 67, 72)),
    ],
)
def test_plan(text: str, expected: Plan) -> None:
    assert plan(text) == expected
    assert len(encode_submit("+1555", text)) == expected.parts


def test_plan_16_bit() -> None:
    assert plan("a" * 161, concat_bits=16) == Plan("gsm7", 2, 152 - 9, 152, 161)
    assert plan("ç" * 71, concat_bits=16) == Plan("ucs2", 2, 66 - 5, 66, 71)
    with pytest.raises(PduError):
        plan("x", concat_bits=12)


def test_too_long_and_bad_arguments() -> None:
    with pytest.raises(PduError, match="at most 255"):
        encode_submit("+1555", "a" * (153 * 255 + 1))
    assert len(encode_submit("+1555", "a" * (153 * 255))) == 255
    with pytest.raises(PduError, match="concat_ref"):
        encode_submit("+1555", "a" * 200, concat_ref=70000)
    with pytest.raises(PduError, match="concat_ref"):
        encode_submit("+1555", "a", concat_ref="7")  # type: ignore[arg-type]
    with pytest.raises(PduError, match="reference"):
        encode_submit("+1555", "a", reference=256)


def test_gsmmodem_decodes_our_plain_parts() -> None:
    # Cross-check with an independent decoder where it is right (no UDH, or an 8-bit concat UDH).
    for text in ("Hello {there} €5", "Grüße aus Köln", "Привет, мир", "a" * 300):
        for part in encode_submit("+15551234567", text, concat_ref=9):
            theirs = gsmmodem_pdu.decodeSmsPdu(part.hex)
            assert theirs["number"] == "+15551234567"
            assert theirs["text"] == part.text


def test_we_decode_gsmmodem_submit_parts() -> None:
    for text in ("Hello {there} €5", "Привет, мир", "z" * 200):
        for theirs in gsmmodem_pdu.encodeSmsSubmitPdu("+15551234567", text, reference=3):
            pdu = decode(str(theirs))
            assert (pdu.kind, pdu.number, pdu.reference) == ("submit", "+15551234567", 3)
            assert pdu.text in text


def test_deliver_alphanumeric_sender() -> None:
    (hex_pdu,) = encode_deliver("MyBank", "Your code is 1234", timestamp=WHEN)
    assert hex_pdu.startswith("07915155000000F0040BD0CDBC30EC5E03")
    pdu = decode(hex_pdu)
    assert (pdu.number, pdu.number_type, pdu.text) == (
        "MyBank",
        "alphanumeric",
        "Your code is 1234",
    )
    assert (pdu.timestamp, pdu.smsc) == (WHEN, "+15550000000")
    # 11 septets, three of them escapes: the longest an address holds.
    assert decode(encode_deliver("Ab{c}€ 1", "x", timestamp=WHEN)[0]).number == "Ab{c}€ 1"
    assert decode(encode_deliver("00AB", "x", timestamp=WHEN)[0]).number == "00AB"


@pytest.mark.parametrize(
    ("sender", "reason"),
    [("ABCDEFGHIJKL", "longer than 11"), ("Привет", "GSM"), ("", "empty"), ("+", "no digits")],
)
def test_deliver_bad_alphanumeric_sender(sender: str, reason: str) -> None:
    with pytest.raises(PduError, match=reason):
        encode_deliver(sender, "x", timestamp=WHEN)


def test_deliver_numeric_senders() -> None:
    for sender, number in [
        ("+1 555 0100", "+15550100"),
        ("12345", "12345"),
        ("0049 30 1", "+49301"),
    ]:
        assert decode(encode_deliver(sender, "x", timestamp=WHEN)[0]).number == number
    (hex_pdu,) = encode_deliver("+15551234567", "x", timestamp=WHEN, smsc=None)
    assert hex_pdu.startswith("00040B91")


def test_deliver_long_text_is_concatenated() -> None:
    text = "Your order #1234 is ready. " * 10 + "Danke schön! 😀"
    parts = encode_deliver("+15551234567", text, timestamp=WHEN, concat_ref=77)
    pdus = [decode(h) for h in parts]
    assert all(p.concat.reference == 77 and p.concat.total == len(parts) for p in pdus)
    assert "".join(p.text for p in sorted(pdus, key=lambda p: p.concat.sequence)) == text


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")),  # +02:00
        datetime(2026, 1, 1, 12, 0, tzinfo=ZoneInfo("America/New_York")),  # -05:00
        datetime(2026, 1, 1, 12, 0, tzinfo=ZoneInfo("Asia/Kathmandu")),  # +05:45
        datetime(2026, 1, 1, 12, 0, tzinfo=ZoneInfo("America/St_Johns")),  # -03:30
    ],
)
def test_deliver_timestamp_keeps_zone(when: datetime) -> None:
    stamp = decode(encode_deliver("+1555", "x", timestamp=when)[0]).timestamp
    assert stamp == when
    assert stamp.utcoffset() == when.utcoffset()


def test_deliver_timestamp_odd_zone_naive_and_out_of_range() -> None:
    odd = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(minutes=7)))
    stamp = decode(encode_deliver("+1555", "x", timestamp=odd)[0]).timestamp
    assert stamp == odd and stamp.utcoffset() == timedelta(0)
    naive = decode(encode_deliver("+1555", "x", timestamp=datetime(2026, 1, 1))[0]).timestamp
    assert naive == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(PduError, match=r"2000\.\.2099"):
        encode_deliver("+1555", "x", timestamp=datetime(1999, 12, 31, tzinfo=UTC))


def test_status_report_round_trip() -> None:
    scts = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    hex_pdu = encode_status_report(
        42, "+15551234567", 0, scts=scts, discharge=scts + timedelta(seconds=75)
    )
    assert hex_pdu == "07915155000000F0062A0B915155214365F7621132900300406211329013514000"
    pdu = decode(hex_pdu)
    assert (pdu.kind, pdu.reference, pdu.number, pdu.status) == (
        "status-report",
        42,
        "+15551234567",
        0,
    )
    assert pdu.discharge_time == scts + timedelta(seconds=75)
    failed = decode(encode_status_report(1, "5551234", 0x46, scts=scts, discharge=scts, smsc=None))
    assert (failed.status, failed.number, failed.smsc) == (0x46, "5551234", None)
    with pytest.raises(PduError):
        encode_status_report(1, "+1555", 256, scts=scts, discharge=scts)


def test_gsmmodem_decodes_our_deliver_and_status_report() -> None:
    plus_one, minus_five = timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))
    scts = datetime(2026, 11, 23, 9, 30, tzinfo=plus_one)
    discharge = datetime(2026, 11, 23, 9, 31, 15, tzinfo=minus_five)
    report = gsmmodem_pdu.decodeSmsPdu(
        encode_status_report(42, "+15551234567", 0x46, scts=scts, discharge=discharge)
    )
    assert (report["type"], report["reference"], report["status"]) == ("SMS-STATUS-REPORT", 42, 70)
    assert report["time"] == scts and report["time"].utcoffset() == timedelta(hours=1)
    assert report["discharge"] == discharge
    assert report["discharge"].utcoffset() == timedelta(hours=-5)
    for text in ("Grüße {x} €", "Привет"):
        (hex_pdu,) = encode_deliver("+15551234567", text, timestamp=scts)
        theirs = gsmmodem_pdu.decodeSmsPdu(hex_pdu)
        assert (theirs["text"], theirs["number"], theirs["time"]) == (text, "+15551234567", scts)
