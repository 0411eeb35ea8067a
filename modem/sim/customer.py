"""Demo "customer" mode: the far end answers the shop's messages like a person would.

Rules are tried in order on the whole (reassembled) message; the first match answers. A message
with no match gets a friendly generic answer, so the demo conversation always moves on.
"""

from __future__ import annotations

import re

from modem.sim.event_log import Event

RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"reply\s+C\b.*confirm|confirm.*reply\s+C\b", re.I | re.S), "C"),
    (re.compile(r"\bSTOP\b"), ""),
    (
        re.compile(r"open(ing)?\s+hours|when\s+(are|do)\s+you\s+open", re.I),
        "What time do you close on Saturday?",
    ),
    (re.compile(r"appointment|booked|see you", re.I), "Thanks! See you then"),
    (
        re.compile(r"ready\s+(for\s+)?(pick|collection)|is\s+ready", re.I),
        "Great, I'll come by this afternoon.",
    ),
    (re.compile(r"\?\s*$"), "Yes please, that works for me."),
    (re.compile(r"thank", re.I), "You're welcome!"),
]

DEFAULT = "Thanks for letting me know."


def reply_for(text: str) -> str | None:
    """The customer's answer to ``text`` (None: the customer does not answer, e.g. after STOP)."""
    for pattern, answer in RULES:
        if pattern.search(text):
            return answer or None
    return DEFAULT


class Reassembler:
    """Collects the parts of concatenated messages a client sends, per (number, reference)."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int], dict[int, str]] = {}

    def add(self, event: Event) -> str | None:
        """The whole text once every part of the message has been submitted, else None."""
        text = event.get("text") or ""
        parts = event.get("parts")
        if not parts or parts <= 1:
            return text
        key = (event["to"], int(event.get("concat_ref", 0)))
        got = self._parts.setdefault(key, {})
        got[int(event["part"])] = text
        if len(got) < parts:
            return None
        del self._parts[key]
        return "".join(got[i] for i in sorted(got))
