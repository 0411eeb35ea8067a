"""Unsolicited result codes: recognising them (even in the middle of a command) and parsing them.

A URC is a line the modem sends on its own: a new SMS (+CMTI, +CMT + PDU line), a status report
(+CDSI, +CDS + PDU line), a registration change (+CREG/+CGREG/+CEREG), signal (^RSSI, +CSQN),
a USSD answer (+CUSD, possibly spanning several lines), RING, SIM state and vendor boot lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prefixes that are always unsolicited, whatever command is in flight (unless the command itself
# asks for that prefix, e.g. AT+CREG? answers +CREG:).
_URC_PREFIXES: tuple[str, ...] = (
    "+CMTI:",
    "+CMT:",
    "+CDSI:",
    "+CDS:",
    "+CBM:",
    "+CREG:",
    "+CGREG:",
    "+CEREG:",
    "+CUSD:",
    "+CSQN:",
    "+CIEV:",
    "+CRING:",
    "+CLIP:",
    "+CPIN:",
    "+CFUN:",
    "+QIND:",
    "+QUSIM:",
    "+ZPASR:",
    "+ZUSIMR:",
    "+ZDONR:",
    "+ZEND",
    "+ZSTR:",
    "+STIN:",
    "+PBREADY",
    "+SIMCARD:",
    "*PSUTTZ:",
    "DST:",
)
# Lines that are whole words.
_URC_WORDS: frozenset[str] = frozenset(
    {
        "RING",
        "RDY",
        "START",
        "Call Ready",
        "SMS Ready",
        "PB DONE",
        "NORMAL POWER DOWN",
        "POWERED DOWN",
        "UNDER-VOLTAGE POWER DOWN",
        "OVER-VOLTAGE POWER DOWN",
        "+PBREADY",
        "^SYSSTART",
    }
)
# Lines a modem prints when it (re)starts. Some print them at other times too, so a Boot is a
# hint: the service believes a restart only on evidence (echo back on, +CNMI changed, PIN asked).
_BOOT_WORDS: frozenset[str] = frozenset({"RDY", "START", "^SYSSTART", "+PBREADY"})
# (Huawei's periodic "^BOOT:..." line is not a restart, despite its name.)
_BOOT_PREFIXES: tuple[str, ...] = ("+CFUN: 1", "^SYSSTART", "+PBREADY")


def prefix_of(line: str) -> str | None:
    """``"+CSQ"`` for ``"+CSQ: 20,99"``; None for lines without a ``+X:`` / ``^X:`` prefix."""
    m = re.match(r"^([+^*$#%][A-Z0-9_]+)\s*:", line)
    return m.group(1) if m else None


def is_urc(line: str, expect: str | None = None) -> bool:
    """Whether ``line`` is unsolicited, given the prefix the command in flight answers with."""
    if expect is not None and line.startswith(expect):
        return False
    if line in _URC_WORDS:
        return True
    if line.startswith("^"):  # Huawei/ZTE vendor notifications (^RSSI, ^MODE, ^BOOT, ^SIMST...)
        return expect is None or not expect.startswith("^")
    return line.startswith(_URC_PREFIXES)


def needs_more(lines: list[str]) -> bool:
    """Whether the URC started by ``lines[0]`` continues on the next line(s).

    +CMT / +CDS: one PDU line follows. +CUSD: the quoted text may contain line breaks.
    """
    head = lines[0]
    if head.startswith(("+CMT:", "+CDS:")) and not head.startswith("+CDSI"):
        return len(lines) < 2
    if head.startswith("+CUSD:"):
        text = "\n".join(lines)
        return text.count('"') == 1
    return False


# --- parsed URCs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Urc:
    line: str


@dataclass(frozen=True)
class NewMessage(Urc):
    """+CMTI: a message was stored at ``storage`` / ``index``."""

    storage: str
    index: int


@dataclass(frozen=True)
class NewStatusReport(Urc):
    """+CDSI: a status report was stored."""

    storage: str
    index: int


@dataclass(frozen=True)
class DirectMessage(Urc):
    """+CMT: a message delivered straight to us (not stored). ``pdu`` is the hex line."""

    pdu: str


@dataclass(frozen=True)
class DirectStatusReport(Urc):
    """+CDS: a status report delivered straight to us."""

    pdu: str


@dataclass(frozen=True)
class Registration(Urc):
    stat: int


@dataclass(frozen=True)
class Signal(Urc):
    rssi: int | None


@dataclass(frozen=True)
class Ussd(Urc):
    status: int
    text: str | None
    dcs: int | None


@dataclass(frozen=True)
class Ring(Urc):
    """RING, or +CRING: <type> after AT+CRC=1 (``kind`` "VOICE", "FAX", ...; None for RING)."""

    kind: str | None = None


@dataclass(frozen=True)
class CallerId(Urc):
    """+CLIP (after AT+CLIP=1, with each ring): the caller's number, None when withheld or not
    available (CLI validity 1 / 2, or no digits)."""

    number: str | None
    validity: int | None = None


@dataclass(frozen=True)
class CallEnded(Urc):
    """The call ended: NO CARRIER while no call command of ours runs (a caller who gave up), or
    Huawei's ^CEND: <id>,<duration>,<end status>,<cause>."""


@dataclass(frozen=True)
class Boot(Urc):
    """The modem (re)started: everything set up at init is gone."""


@dataclass(frozen=True)
class SimState(Urc):
    ready: bool


@dataclass(frozen=True)
class Other(Urc):
    """A vendor notification or noise we do not act on."""


def _ints(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"-?\d+", text)]


def _storage_index(rest: str) -> tuple[str, int] | None:
    m = re.match(r'\s*"?([A-Z]{2})"?\s*,\s*(\d+)', rest)
    return (m.group(1), int(m.group(2))) if m else None


def parse(lines: list[str]) -> Urc:
    """Turn the line(s) of one URC into a ``Urc``. Never raises: unknown input gives ``Other``."""
    head = lines[0]
    body = lines[1] if len(lines) > 1 else ""
    try:
        if head.startswith("+CMTI:"):
            si = _storage_index(head[6:])
            if si:
                return NewMessage(head, si[0], si[1])
        elif head.startswith("+CDSI:"):
            si = _storage_index(head[6:])
            if si:
                return NewStatusReport(head, si[0], si[1])
        elif head.startswith("+CMT:"):
            return DirectMessage(head, body.strip())
        elif head.startswith("+CDS:"):
            return DirectStatusReport(head, body.strip())
        elif head.startswith(("+CREG:", "+CGREG:", "+CEREG:")):
            nums = _ints(head.split(":", 1)[1].split('"', 1)[0])
            # "+CREG: 1" / "+CREG: 1,"1A2B",..." is the URC; "+CREG: 2,1" is a (late) answer
            # to AT+CREG? whose second number is the stat
            if len(nums) >= 2:
                return Registration(head, nums[1])
            if nums:
                return Registration(head, nums[0])
        elif head.startswith("^RSSI:") or head.startswith(("+CSQN:", "+CSQ:")):
            nums = _ints(head.split(":", 1)[1])
            if nums:
                return Signal(head, None if nums[0] == 99 else nums[0])
        elif head.startswith("+CUSD:"):
            return parse_cusd("\n".join(lines))
        elif head == "RING":
            return Ring(head)
        elif head.startswith("+CRING:"):
            return Ring(head, head[7:].strip().upper() or None)
        elif head.startswith("+CLIP:"):
            return parse_clip(head)
        elif head == "NO CARRIER" or head.startswith("^CEND:"):
            return CallEnded(head)
        elif head in _BOOT_WORDS or head.startswith(_BOOT_PREFIXES):
            return Boot(head)
        elif head.startswith("+CPIN:"):
            return SimState(head, "READY" in head)
    except ValueError:
        pass
    return Other(head)


def parse_cusd(text: str) -> Ussd:
    m = re.match(r'\+CUSD:\s*(\d+)\s*(?:,\s*"(.*)"\s*(?:,\s*(\d+))?)?\s*$', text, re.S)
    if not m:
        nums = _ints(text[6:])
        return Ussd(text, nums[0] if nums else 2, None, None)
    return Ussd(text, int(m.group(1)), m.group(2), int(m.group(3)) if m.group(3) else None)


def parse_clip(line: str) -> CallerId:
    """``+CLIP: "+15551234567",145,"",,"",0`` -> CallerId("+15551234567", 0); a withheld caller
    (``+CLIP: "",128,,,,1``) or one the network did not give (validity 2) has no number. A
    national number (type 129) is kept as its digits; an international one (145) gets its +."""
    m = re.match(r'\+CLIP:\s*"([^"]*)"\s*(?:,\s*(\d+))?(.*)$', line)
    if not m:
        return CallerId(line, None)
    digits, kind, rest = m.group(1).strip(), m.group(2), m.group(3)
    fields = [f.strip().strip('"') for f in re.sub(r'"[^"]*"', "", rest).split(",")]
    validity = int(fields[4]) if len(fields) > 4 and fields[4].isdigit() else None
    if validity in (1, 2) or not any(c.isdigit() for c in digits):
        return CallerId(line, None, validity)
    if kind == "145" and not digits.startswith("+"):
        digits = "+" + digits
    return CallerId(line, digits, validity)
