"""Parsing AT command lines (ITU-T V.250 syntax, as used by 3GPP TS 27.007 / 27.005).

A command line is ``AT`` followed by basic commands (``E0``, ``V1``, ``Z``, ``&F``, ``S0=0``, ``I``,
``D...``) written back to back, and extended commands (``+CMEE=1``, ``^ICCID?``) separated by ``;``.
Each command has one of four forms: execute (``+CGMI``), set (``+CMGF=1``), read (``+CMGF?``) and
test (``+CMGF=?``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

EXTENDED_PREFIXES = "+^$%*#!"
CTRL_Z = 0x1A
ESC = 0x1B
MAX_LINE = 4096


class Form(enum.Enum):
    EXEC = "exec"
    SET = "set"
    READ = "read"
    TEST = "test"


@dataclass(frozen=True)
class Command:
    """One command of a command line. ``name`` is upper-case with its prefix (``+CMGS``, ``E``)."""

    name: str
    form: Form
    raw: str = ""  # the text after '=' for SET, or the digits of a basic command
    args: tuple[str | None, ...] = field(default_factory=tuple)
    quoted: tuple[bool, ...] = field(default_factory=tuple)

    def arg(self, i: int, default: str | None = None) -> str | None:
        if i < len(self.args) and self.args[i] is not None:
            return self.args[i]
        return default

    def int_arg(self, i: int, default: int | None = None) -> int | None:
        """Argument ``i`` as an int (None/default when absent); ValueError when not a number."""
        value = self.arg(i)
        if value is None:
            return default
        return int(value.strip())


class ParseError(ValueError):
    pass


def split_args(text: str) -> tuple[tuple[str | None, ...], tuple[bool, ...]]:
    """Split ``1,"a,b",,3`` into ('1', 'a,b', None, '3'): commas inside quotes don't split."""
    args: list[str | None] = []
    quoted: list[bool] = []
    cur: list[str] = []
    in_quote = False
    was_quoted = False
    for ch in text:
        if in_quote:
            if ch == '"':
                in_quote = False
            else:
                cur.append(ch)
        elif ch == '"':
            in_quote = True
            was_quoted = True
        elif ch == ",":
            value = "".join(cur).strip()
            args.append(value if (value or was_quoted) else None)
            quoted.append(was_quoted)
            cur, was_quoted = [], False
        else:
            cur.append(ch)
    if in_quote:
        raise ParseError("unterminated string")
    value = "".join(cur).strip()
    if text.strip() or args:
        args.append(value if (value or was_quoted) else None)
        quoted.append(was_quoted)
    return tuple(args), tuple(quoted)


def _take_until_semicolon(body: str, i: int) -> tuple[str, int]:
    """Text from ``i`` up to an unquoted ';' (or the end); returns (text, index after it)."""
    in_quote = False
    j = i
    while j < len(body):
        ch = body[j]
        if ch == '"':
            in_quote = not in_quote
        elif ch == ";" and not in_quote:
            break
        j += 1
    if in_quote:
        raise ParseError("unterminated string")
    return body[i:j], j


def parse_line(line: str) -> list[Command]:
    """Parse what follows ``AT`` on a command line into commands. Raises ParseError."""
    body = line
    cmds: list[Command] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch in " ;":
            i += 1
            continue
        if ch in EXTENDED_PREFIXES:
            j = i + 1
            while j < n and (body[j].isalnum() or body[j] in "_."):
                j += 1
            name = body[i:j].upper()
            if len(name) < 2:
                raise ParseError(f"bad extended command at {i}")
            rest = body[j:]
            if rest.startswith("=?"):
                cmds.append(Command(name, Form.TEST))
                i = j + 2
            elif rest.startswith("?"):
                cmds.append(Command(name, Form.READ))
                i = j + 1
            elif rest.startswith("="):
                text, i = _take_until_semicolon(body, j + 1)
                args, quoted = split_args(text)
                cmds.append(Command(name, Form.SET, text, args, quoted))
            else:
                cmds.append(Command(name, Form.EXEC))
                i = j
            continue
        if ch.upper() == "D":  # dial: the rest of the line belongs to it
            cmds.append(Command("D", Form.SET, body[i + 1 :].strip(), (body[i + 1 :].strip(),)))
            break
        if ch == "&":
            if i + 1 >= n or not body[i + 1].isalpha():
                raise ParseError("bad & command")
            name = "&" + body[i + 1].upper()
            j = i + 2
        elif ch.isalpha():
            name = ch.upper()
            j = i + 1
        else:
            raise ParseError(f"unexpected {ch!r}")
        if name == "S":  # S-register: Sn? or Sn=v
            k = j
            while k < n and body[k].isdigit():
                k += 1
            reg = body[j:k]
            if not reg:
                raise ParseError("S without register")
            if body[k : k + 1] == "?":
                cmds.append(Command("S" + reg, Form.READ))
                i = k + 1
            elif body[k : k + 1] == "=":
                m = k + 1
                while m < n and body[m].isdigit():
                    m += 1
                cmds.append(Command("S" + reg, Form.SET, body[k + 1 : m], (body[k + 1 : m],)))
                i = m
            else:
                raise ParseError("bad S-register command")
            continue
        k = j
        while k < n and body[k].isdigit():
            k += 1
        digits = body[j:k]
        if body[k : k + 1] == "?":
            cmds.append(Command(name, Form.READ))
            k += 1
        else:
            cmds.append(Command(name, Form.EXEC, digits, (digits,) if digits else ()))
        i = k
    return cmds


class Assembler:
    """Turns the bytes a client writes into command lines and prompt texts.

    In command mode a line ends at CR (S3); LF is dropped, BS deletes, ``A/`` repeats the last line
    at once. In prompt mode (after ``> ``) the text ends with Ctrl-Z (send) or ESC (cancel).
    ``feed`` returns a list of ("line", text) / ("send", text) / ("cancel", "") / ("repeat", text)
    / ("overflow", "") / ("newline", "").
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self.prompt = False
        self.last_line = ""

    def reset(self) -> None:
        self.buf.clear()
        self.prompt = False

    def feed(self, data: bytes) -> tuple[list[tuple[str, str]], bytes]:
        """Consume bytes up to and including the first complete command line; returns the events
        and the bytes not consumed yet (they may belong to a prompt the line opens)."""
        out: list[tuple[str, str]] = []
        for pos, b in enumerate(data):
            if self.prompt:
                if b == CTRL_Z:
                    out.append(("send", self.buf.decode("latin-1")))
                    self.buf.clear()
                    self.prompt = False
                elif b == ESC:
                    out.append(("cancel", ""))
                    self.buf.clear()
                    self.prompt = False
                else:
                    self.buf.append(b)
                    if b == 0x0D:
                        out.append(("newline", ""))
                    if len(self.buf) > MAX_LINE:
                        out.append(("overflow", ""))
                        self.buf.clear()
                        self.prompt = False
                continue
            if b == 0x0D:
                line = self.buf.decode("latin-1")
                self.buf.clear()
                out.append(("line", line))
                return out, data[pos + 1 :]
            elif b == 0x0A and not self.buf:
                continue
            elif b == 0x08:
                if self.buf:
                    self.buf.pop()
            else:
                self.buf.append(b)
                if bytes(self.buf[-2:]).upper() == b"A/" and len(self.buf) == 2:
                    self.buf.clear()
                    out.append(("repeat", self.last_line))
                    return out, data[pos + 1 :]
                elif len(self.buf) > MAX_LINE:
                    self.buf.clear()
                    out.append(("overflow", ""))
        return out, b""


def find_at(line: str) -> str | None:
    """The command body after the ``AT`` prefix, or None when the line has no ``AT`` (ignored)."""
    stripped = line.strip()
    upper = stripped.upper()
    if upper.startswith("AT"):
        return stripped[2:]
    idx = upper.find("AT")
    if idx < 0:
        return None
    return stripped[idx + 2 :]
