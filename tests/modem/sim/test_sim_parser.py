"""The AT command-line parser and byte assembler of the virtual modem (no pty needed)."""

from __future__ import annotations

import pytest

from modem.sim.at_parser import Assembler, Form, ParseError, find_at, parse_line, split_args


def test_split_args_keeps_quoted_commas_and_empty_fields() -> None:
    args, quoted = split_args('1,"a,b",,3')
    assert args == ("1", "a,b", None, "3")
    assert quoted == (False, True, False, False)


def test_split_args_empty_quoted_string_is_not_absent() -> None:
    args, _ = split_args('"",5')
    assert args == ("", "5")


def test_split_args_unterminated_quote_is_an_error() -> None:
    with pytest.raises(ParseError):
        split_args('"abc')


def test_parse_basic_commands_back_to_back() -> None:
    cmds = parse_line("E0V1&FQ0")
    assert [(c.name, c.form, c.raw) for c in cmds] == [
        ("E", Form.EXEC, "0"),
        ("V", Form.EXEC, "1"),
        ("&F", Form.EXEC, ""),
        ("Q", Form.EXEC, "0"),
    ]


def test_parse_extended_chain_with_all_four_forms() -> None:
    cmds = parse_line('+CMEE=1;+CREG?;+CMGL=?;+CGMI;+CMGS="+1555;x"')
    assert [(c.name, c.form) for c in cmds] == [
        ("+CMEE", Form.SET),
        ("+CREG", Form.READ),
        ("+CMGL", Form.TEST),
        ("+CGMI", Form.EXEC),
        ("+CMGS", Form.SET),
    ]
    assert cmds[0].int_arg(0) == 1
    assert cmds[4].arg(0) == "+1555;x"  # the ; inside quotes does not split the chain


def test_parse_vendor_prefix_and_s_registers() -> None:
    cmds = parse_line("^ICCID?;S7=45S0?")
    assert [(c.name, c.form) for c in cmds] == [
        ("^ICCID", Form.READ),
        ("S7", Form.SET),
        ("S0", Form.READ),
    ]
    assert cmds[1].raw == "45"


def test_parse_dial_takes_the_rest_of_the_line() -> None:
    (cmd,) = parse_line("D*99#;")
    assert cmd.name == "D" and cmd.raw == "*99#;"


@pytest.mark.parametrize("bad", ["+", "&", "S", "!!", '+CMGS="x'])
def test_parse_rejects_malformed_lines(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_line(bad)


def test_find_at_skips_garbage_before_the_prefix() -> None:
    assert find_at("at+csq") == "+csq"
    assert find_at("\x00\xffzzAT+CSQ") == "+CSQ"
    assert find_at("hello") is None


def test_assembler_stops_after_a_line_so_a_prompt_can_take_the_rest() -> None:
    asm = Assembler()
    events, rest = asm.feed(b"AT+CMGS=5\r0011\x1a")
    assert events == [("line", "AT+CMGS=5")]
    assert rest == b"0011\x1a"
    asm.prompt = True
    events, rest = asm.feed(rest)
    assert events == [("send", "0011")] and rest == b""


def test_assembler_escape_cancels_and_backspace_edits() -> None:
    asm = Assembler()
    asm.prompt = True
    assert asm.feed(b"abc\x1b")[0] == [("cancel", "")]
    events, _ = asm.feed(b"ATX\x08+CSQ\r")
    assert events == [("line", "AT+CSQ")]


def test_assembler_a_slash_repeats_without_cr() -> None:
    asm = Assembler()
    asm.last_line = "AT+CSQ"
    assert asm.feed(b"a/")[0] == [("repeat", "AT+CSQ")]


def test_assembler_drops_a_runaway_line() -> None:
    asm = Assembler()
    events, _ = asm.feed(b"A" * 5000)
    assert ("overflow", "") in events
    assert len(asm.buf) < 5000 - 4096 + 1  # what came before the overflow is gone
    asm.feed(b"\r")
    assert asm.feed(b"AT\r")[0] == [("line", "AT")]
