"""Call URCs: RING / +CRING, +CLIP (number, withheld), ^CEND, and NO CARRIER, which is a final
result only for call commands (ATD, ATA, ATO, ATH): anywhere else it is a caller who gave up,
never the answer to the command in flight."""

from __future__ import annotations

import pytest

from modem.at import urc
from modem.at.channel import CommandError
from tests.modem.at.test_at_channel import pty_pair, simple  # noqa: F401


@pytest.mark.parametrize(
    ("line", "number", "validity"),
    [
        ('+CLIP: "+15551234567",145,"",,"",0', "+15551234567", 0),
        ('+CLIP: "15551234567",145,,,,0', "+15551234567", 0),
        ('+CLIP: "5551234",129', "5551234", None),
        ('+CLIP: "",128,,,,1', None, 1),  # withheld
        ('+CLIP: "",128,,,,2', None, 2),  # not available
        ('+CLIP: "+15551234567",145,,,"Jane, Doe",0', "+15551234567", 0),
        ("+CLIP: garbage", None, None),
    ],
)
def test_clip_is_read(line: str, number: str | None, validity: int | None) -> None:
    parsed = urc.parse([line])
    assert isinstance(parsed, urc.CallerId)
    assert (parsed.number, parsed.validity) == (number, validity)


def test_rings_and_call_ends_are_parsed() -> None:
    assert urc.parse(["RING"]) == urc.Ring("RING")
    assert urc.parse(["+CRING: VOICE"]) == urc.Ring("+CRING: VOICE", "VOICE")
    assert isinstance(urc.parse(["^CEND:1,0,104,16"]), urc.CallEnded)
    assert isinstance(urc.parse(["NO CARRIER"]), urc.CallEnded)


def test_no_carrier_inside_a_command_is_a_call_end_not_its_answer(pty_pair) -> None:  # noqa: F811
    def script(cmd: str) -> bytes | None:
        if cmd == "AT+CSQ":
            return b"\r\nNO CARRIER\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
        if cmd == "ATH":
            return b"\r\nNO CARRIER\r\n"
        return simple(cmd)

    _, ch = pty_pair(script)
    assert ch.command("AT+CSQ", 5).lines == ["+CSQ: 21,99"]
    assert [u for u in ch.urcs if isinstance(u, urc.CallEnded)] == [urc.CallEnded("NO CARRIER")]
    with pytest.raises(CommandError) as ended:  # ATH may answer NO CARRIER: its own answer
        ch.command("ATH", 5)
    assert ended.value.final == "NO CARRIER"
