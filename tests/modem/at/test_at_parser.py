"""Unit tests for the AT line reader, the final-result / URC classifier and the error tables."""

from __future__ import annotations

import pytest

from modem.at import errors, urc
from modem.at.lines import LineBuffer, expected_prefix, final_kind


def lines_of(buf: LineBuffer) -> list[str]:
    out = []
    while (line := buf.next_line()) is not None:
        if line:
            out.append(line)
    return out


def test_line_buffer_splits_on_any_terminator_and_drops_empty_lines() -> None:
    buf = LineBuffer()
    buf.feed(b"\r\nOK\r\n\r\n+CSQ: 20,99\r\nOK\nfoo\rbar")
    assert lines_of(buf) == ["OK", "+CSQ: 20,99", "OK", "foo"]
    assert buf.pending == b"bar"
    buf.feed(b"\r\n")
    assert lines_of(buf) == ["bar"]


def test_line_buffer_joins_a_line_split_across_reads() -> None:
    buf = LineBuffer()
    buf.feed(b"\r\n+CDS: 2")
    assert lines_of(buf) == []
    buf.feed(b"5\r\n0791447758100650")
    assert lines_of(buf) == ["+CDS: 25"]
    buf.feed(b"0006D1\r\n")
    assert lines_of(buf) == ["07914477581006500006D1"]


def test_line_buffer_survives_non_utf8_bytes() -> None:
    buf = LineBuffer()
    buf.feed(b"\xff\xfe\x80garbage\x00\r\nOK\r\n")
    got = lines_of(buf)
    assert got[0].endswith("garbage")
    assert "\ufffd" in got[0]
    assert got[1] == "OK"


def test_line_buffer_cuts_an_endless_line() -> None:
    buf = LineBuffer()
    buf.feed(b"x" * 10_000)
    first = buf.next_line()
    assert first is not None and len(first) == 4096
    buf.feed(b"\r\nOK\r\n")
    rest = lines_of(buf)
    assert rest[-1] == "OK"


def test_prompt_is_recognised_at_the_end_of_the_tail() -> None:
    buf = LineBuffer()
    buf.feed(b"\r\n> ")
    assert buf.next_line() is None
    assert buf.take_prompt() is True
    assert buf.pending == b""
    buf.feed(b"+CMTI")
    assert buf.take_prompt() is False
    buf.clear()
    buf.feed(b"\r\n\xff\xfe\x00> ")  # noise glued to the prompt
    assert buf.take_prompt() is True


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("OK", ("ok", None)),
        ("ERROR", ("error", None)),
        ("COMMAND NOT SUPPORT", ("error", None)),
        ("+CMS ERROR: 38", ("cms", 38)),
        ("+CME ERROR: 14", ("cme", 14)),
        ("+CME ERROR: SIM busy", ("cme", 14)),
        ("+CMS ERROR: invalid PDU mode parameter", ("cms", 304)),
        ("+CSQ: 20,99", None),
        ("OKAY", None),
    ],
)
def test_final_kind(line: str, expected: tuple[str, int | None] | None) -> None:
    assert final_kind(line) == expected


@pytest.mark.parametrize(
    ("command", "prefix"),
    [
        ("AT+CSQ", "+CSQ"),
        ("AT+CREG?", "+CREG"),
        ('AT+CPMS="SM","SM","SM"', "+CPMS"),
        ("AT^ICCID?", "^ICCID"),
        ("ATI", None),
        ("AT", None),
        ("ATE0", None),
    ],
)
def test_expected_prefix(command: str, prefix: str | None) -> None:
    assert expected_prefix(command) == prefix


def test_urcs_are_recognised_unless_the_command_asks_for_that_prefix() -> None:
    assert urc.is_urc('+CMTI: "SM",3')
    assert urc.is_urc('+CMTI: "SM",3', "+CSQ")
    assert urc.is_urc("+CREG: 1", "+CSQ")
    assert not urc.is_urc("+CREG: 0,1", "+CREG")
    assert urc.is_urc("^RSSI: 17", "+CMGL")
    assert not urc.is_urc("^ICCID: 8944", "^ICCID")
    assert urc.is_urc("RING")
    assert urc.is_urc("SMS Ready")
    assert not urc.is_urc("+CMGL: 1,0,,23", "+CMGL")
    assert not urc.is_urc("0791447758100650", "+CMGL")


def test_pdu_carrying_urcs_need_their_second_line() -> None:
    assert urc.needs_more(["+CMT: ,24"])
    assert not urc.needs_more(["+CMT: ,24", "0791"])
    assert urc.needs_more(["+CDS: 25"])
    assert not urc.needs_more(['+CDSI: "SR",1'])
    assert not urc.needs_more(['+CMTI: "SM",1'])
    assert urc.needs_more(['+CUSD: 0,"Balance: 5.00'])
    assert not urc.needs_more(['+CUSD: 0,"Balance: 5.00', 'valid until 1.1.",15'])


def test_urc_parsing() -> None:
    assert urc.parse(['+CMTI: "SM",3']) == urc.NewMessage('+CMTI: "SM",3', "SM", 3)
    assert urc.parse(['+CDSI: "SR",0']) == urc.NewStatusReport('+CDSI: "SR",0', "SR", 0)
    assert urc.parse(["+CMT: ,24", "07AB"]) == urc.DirectMessage("+CMT: ,24", "07AB")
    assert urc.parse(["+CDS: 25", "07CD"]) == urc.DirectStatusReport("+CDS: 25", "07CD")
    assert urc.parse(['+CREG: 5,"00A1","1B2C"']) == urc.Registration('+CREG: 5,"00A1","1B2C"', 5)
    assert urc.parse(["^RSSI: 17"]).rssi == 17  # type: ignore[attr-defined]
    assert urc.parse(["^RSSI: 99"]).rssi is None  # type: ignore[attr-defined]
    assert isinstance(urc.parse(["RDY"]), urc.Boot)
    assert isinstance(urc.parse(["^BOOT:20952991,0,0,0,77"]), urc.Other)  # Huawei noise
    assert isinstance(urc.parse(["RING"]), urc.Ring)
    assert isinstance(urc.parse(["+CMTI: garbage"]), urc.Other)
    assert isinstance(urc.parse(["\ufffd\ufffd"]), urc.Other)


def test_multiline_ussd_is_joined() -> None:
    got = urc.parse(['+CUSD: 0,"Balance: 5.00', 'valid until 1.1.",15'])
    assert isinstance(got, urc.Ussd)
    assert got.status == 0
    assert got.text == "Balance: 5.00\nvalid until 1.1."
    assert got.dcs == 15
    bare = urc.parse(["+CUSD: 4"])
    assert isinstance(bare, urc.Ussd) and bare.status == 4 and bare.text is None


@pytest.mark.parametrize("code", [38, 41, 42, 47, 331, 332, 500, 512, 513, 314, 322])
def test_temporary_cms_errors_are_retryable(code: int) -> None:
    assert errors.is_retryable_cms(code)


@pytest.mark.parametrize("code", [1, 8, 10, 21, 28, 29, 96, 111, 195, 304, 305, 531])
def test_permanent_cms_errors_are_not_retryable(code: int) -> None:
    assert not errors.is_retryable_cms(code)


def test_every_cms_code_has_plain_words() -> None:
    for code in [*errors.CMS_ERRORS, 7, 150, 400, 999, None]:
        text = errors.describe_cms(code)
        assert text and text[0].isupper() and text.endswith(".")
        assert "CMS" not in text
    assert errors.describe_cms(999) == "The modem reported error 999."
    assert "network" in errors.describe_cms(7)
    assert not errors.is_retryable_cms(7)  # unknown network cause: not resent for ever
    assert errors.is_retryable_cms(999)


def test_cme_tables() -> None:
    assert errors.describe_cme(16) == "The PIN was wrong."
    assert not errors.is_retryable_cme(16)
    assert errors.is_retryable_cme(14)
    assert errors.code_from_text("cme", " 14") == 14
    assert errors.code_from_text("cme", "incorrect password") == 16
    assert errors.code_from_text("cme", "something odd") is None
