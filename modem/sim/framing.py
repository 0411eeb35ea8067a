"""How the modem frames what it says: information lines, final result codes, and the URC some
profiles slip into an answer. The vendor profile's spacing, case and blank lines apply here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from modem.sim.errors import AtError, error_text

if TYPE_CHECKING:
    from modem.sim.core import ModemCore


def info(m: ModemCore, lines: list[str]) -> bytes:
    """Information lines as the modem frames them (verbose or not, the profile's spacing)."""
    if not lines:
        return b""
    for pattern, replacement in m.profile.rewrites:
        lines = [re.sub(pattern, replacement, line) for line in lines]
    text = "\r\n".join(lines)
    if m.settings.verbose:
        text = "\r\n" + text + "\r\n"
        if m.profile.blank_lines:
            text = "\r\n" + text
    else:
        text += "\r\n"
    if m.config.trace:
        m.emit({"event": "response", "lines": list(lines)})
    return text.encode("latin-1", "replace")


def final(m: ModemCore, exc: AtError | None) -> bytes:
    """The final result code: OK / ERROR / +CME ERROR / +CMS ERROR, or their numeric forms."""
    s = m.settings
    if exc is None:
        if s.quiet:
            return b""
        text = "OK" if s.verbose else "0"
    else:
        text = error_text(exc, s.cmee)
        if text == "ERROR" and not s.verbose:
            text = "4"
        if s.quiet and text in ("ERROR", "4"):
            return b""
    if m.config.trace:
        m.emit({"event": "response", "final": text})
    if s.verbose:
        blank = "\r\n" if m.profile.blank_lines else ""
        return f"{blank}\r\n{text}\r\n".encode()
    return f"{text}\r".encode()


def answer_urc(m: ModemCore, out: bytes) -> bytes:
    """The profile's URC inside an answer (after the echo, before the result), now and then."""
    urc = m.profile.answer_urc
    if urc is None or not out or m.prompt is not None or not m.settings.verbose:
        return out
    m.answers += 1
    if m.answers % max(1, m.profile.answer_urc_every):
        return out
    return b"\r\n" + m.vendor_line(urc).encode("latin-1", "replace") + b"\r\n" + out
