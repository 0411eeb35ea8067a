"""Line-level AT syntax: cutting the byte stream into lines, final result codes, and the
information-response prefix a command answers with.

Modems differ in case and spacing (``+creg : 0,1``, ``ok``); ``normalise`` brings a line to the
canonical form (upper-case prefix, ``PREFIX: value``, upper-case final words) before anything
classifies it, so every later comparison can be exact.
"""

from __future__ import annotations

import re

from modem.at.errors import code_from_text

MAX_LINE = 4096  # a line longer than this without a terminator is garbage: cut it there

_FINAL_WORDS = frozenset(
    {"OK", "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT"}
)


_PREFIXED = re.compile(r"^([+^*$#%][A-Za-z][A-Za-z0-9_]{0,15})\s*:\s*(.*)$", re.S)
_ERROR_RESULT = re.compile(r"^(\+CM[ES]\s+ERROR)\s*:\s*(.*)$", re.I)


def normalise(line: str) -> str:
    """The canonical spelling of ``line``: ``+creg : 0,1`` -> ``+CREG: 0,1``, ``ok`` -> ``OK``,
    ``+cms error:500`` -> ``+CMS ERROR: 500``. Anything else (PDU hex, text) is left alone."""
    upper = line.upper()
    if upper in _FINAL_WORDS or upper == "TOO MANY PARAMETERS":
        return upper
    m = _ERROR_RESULT.match(line)
    if m:
        return f"{' '.join(m.group(1).upper().split())}: {m.group(2).strip()}"
    m = _PREFIXED.match(line)
    if m:
        return f"{m.group(1).upper()}: {m.group(2)}"
    return line


def final_kind(line: str) -> tuple[str, int | None] | None:
    """("ok"|"error"|"cme"|"cms", code) when ``line`` is a final result code, else None."""
    if line == "OK":
        return ("ok", None)
    if line in _FINAL_WORDS or line == "TOO MANY PARAMETERS":
        return ("error", None)
    if line.startswith("+CME ERROR:"):
        return ("cme", code_from_text("cme", line[11:]))
    if line.startswith("+CMS ERROR:"):
        return ("cms", code_from_text("cms", line[11:]))
    return None


def expected_prefix(command: str) -> str | None:
    """The prefix a command's information response uses: AT+CSQ -> "+CSQ", AT^SYSINFO -> "^SYSINFO"."""
    body = command[2:] if command.upper().startswith("AT") else command
    if not body or body[0] not in "+^$%*#":
        return None
    end = 1
    while end < len(body) and (body[end].isalnum() or body[end] == "_"):
        end += 1
    return body[:end].upper()


class LineBuffer:
    """Bytes in, complete lines out. Any of CR / LF ends a line; empty lines are dropped."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def _lstrip(self) -> None:
        i = 0
        while i < len(self._buf) and self._buf[i] in (10, 13):
            i += 1
        if i:
            del self._buf[:i]

    def next_line(self) -> str | None:
        self._lstrip()
        cut = -1
        for i, b in enumerate(self._buf):
            if b in (10, 13):
                cut = i
                break
        if cut < 0:
            if len(self._buf) <= MAX_LINE:
                return None
            cut = MAX_LINE
            raw = bytes(self._buf[:cut])
            del self._buf[:cut]
        else:
            raw = bytes(self._buf[:cut])
            del self._buf[: cut + 1]
        return normalise(raw.decode("utf-8", errors="replace").strip(" \t\x00"))

    def take_prompt(self) -> bool:
        """Consume a "> " SMS prompt ending the unterminated tail (the modem sends nothing after
        it until it has the PDU; noise glued in front of it is dropped with it)."""
        self._lstrip()
        if self._buf.rstrip(b" ").endswith(b">"):
            self._buf.clear()
            return True
        return False

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)

    def clear(self) -> None:
        self._buf.clear()
