"""Incoming voice calls (27.007 §6-7: RING / +CRING, +CLIP, +CHUP, ATH, +CLCC), for missed calls.

The control command ``{"cmd": "call", "from": "+15551234567", "rings": 4, "hangup_after": 8}``
makes a caller ring the SIM: ``rings`` times (default 4), evenly over ``hangup_after`` seconds
(default 2 s a ring), then the caller gives up. ``"from": null`` (or ``"withheld": true``) is a
caller who withheld the number. Each ring prints ``RING`` (``+CRING: VOICE`` after AT+CRC=1),
followed after AT+CLIP=1 by ``+CLIP: "<number>",145,,,,0`` (withheld: ``+CLIP: "",128,,,,1``).
When the caller gives up the modem says so: ``NO CARRIER``, or the profile's ``call_end_urc``
(Huawei: ``^CEND:...``; empty: nothing at all, the rings just stop). The terminal declines with
AT+CHUP or ATH (OK; the caller hears busy); AT+CLCC lists the ringing call. Events: ``ring``,
``call_ended`` with ``by`` ("caller" or "terminal") and ``rings``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modem.sim.at_parser import Command, Form
from modem.sim.event_log import Event
from modem.sim.registry import command

if TYPE_CHECKING:
    from modem.sim.control import Control
    from modem.sim.core import ModemCore

_ids = itertools.count(1)


@dataclass
class Call:
    ident: int
    number: str | None  # None: withheld
    rings: int = 0


def _setting(m: ModemCore, name: str) -> str:
    return m.settings.stubs.get(name, "0").split(",")[0].strip()


def ring(m: ModemCore, call: Call) -> None:
    if m.call is not call:
        return  # ended meanwhile
    call.rings += 1
    m.urc("+CRING: VOICE" if _setting(m, "+CRC") == "1" else "RING")
    if _setting(m, "+CLIP") == "1":
        if call.number is None:
            m.urc('+CLIP: "",128,,,,1')
        else:
            kind = 145 if call.number.startswith("+") else 129
            m.urc(f'+CLIP: "{call.number}",{kind},,,,0')
    m.emit({"event": "ring", "call": call.ident, "n": call.rings})


def end(m: ModemCore, call: Call, by: str) -> None:
    if m.call is not call:
        return
    m.call = None
    if by == "caller" and m.profile.call_end_urc:
        m.urc(m.profile.call_end_urc)
    m.emit({"event": "call_ended", "call": call.ident, "by": by, "rings": call.rings})


def cmd_call(self: Control, cmd: Event) -> Event:
    """The control command (registered in Control as ``cmd_call``)."""
    m = self.core
    if m.call is not None:
        raise ValueError("a call is ringing already")
    number: Any = None if cmd.get("withheld") else cmd.get("from")
    rings = int(cmd.get("rings", 4))
    if rings < 1:
        raise ValueError("rings must be 1 or more")
    hangup_after = float(cmd.get("hangup_after", rings * 2.0))
    interval = hangup_after / rings
    call = Call(next(_ids), str(number) if number else None)
    m.call = call
    for i in range(rings):
        m.call_later(i * interval, lambda: ring(m, call))
    m.call_later(hangup_after, lambda: end(m, call, "caller"))
    return {"call": call.ident}


@command("+CHUP", "H")
def hang_up(m: ModemCore, c: Command) -> list[str]:
    """AT+CHUP / ATH: the ringing call is rejected (OK also when none rings)."""
    if c.form is Form.TEST:
        return []
    if m.call is not None:
        end(m, m.call, "terminal")
    return []


@command("+CLCC")
def clcc(m: ModemCore, c: Command) -> list[str]:
    """The current calls: the one ringing, as incoming (dir 1), stat 4, voice."""
    call = m.call
    if c.form is Form.TEST or call is None:
        return []
    number, kind = (
        (call.number, 145 if call.number.startswith("+") else 129) if call.number else ("", 128)
    )
    return [f'+CLCC: {call.ident},1,4,0,0,"{number}",{kind}']
