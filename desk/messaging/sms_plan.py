"""How many SMS a text costs: the core's API for counting SMS (the composer's counter, the
reminder editor's preview).

The answers come from the same planner the outbox checks a text with before queueing it and the
modem layer splits it with when sending (``modem.codec.pdu``), so what staff see counted is what
goes out. A text is GSM-7 (160 per SMS, 153 per part when long) unless one character is not in
the GSM alphabet; then the whole text is Unicode (70, or 67 per part).
"""

from __future__ import annotations

from functools import lru_cache

from modem.codec import pdu
from modem.codec.pdu import Plan as SmsPlan

__all__ = ["MAX_PARTS", "SmsPlan", "needs_unicode", "plan", "unicode_characters"]

MAX_PARTS: int = pdu.MAX_PARTS
"""The most parts one text may have; the outbox refuses a longer one."""


def plan(text: str) -> SmsPlan:
    """How ``text`` will be sent: encoding ("gsm7" or "ucs2"), parts, units left in the last
    part, units per part, units in all."""
    return pdu.plan(text)


@lru_cache(maxsize=4096)
def needs_unicode(ch: str) -> bool:
    """True when the character alone makes a text Unicode (it is not in the GSM alphabet)."""
    return pdu.plan(ch).encoding != "gsm7"


def unicode_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` that make it Unicode, in the order they first appear
    (empty for a GSM-7 text)."""
    found: list[str] = []
    for ch in text:
        if ch not in found and needs_unicode(ch):
            found.append(ch)
    return found
