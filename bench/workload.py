"""The texts every sending benchmark uses: short GSM-7 texts (32 characters), each to its own
number (+1 202 555 0100 onwards, numbers the phone-number rules accept), so a report can only
match the one text it belongs to."""

from __future__ import annotations

FIRST = 100


def number(i: int) -> str:
    return f"+1202555{FIRST + i:04d}"


def short_text(i: int) -> str:
    text = f"Your order {i % 1000:03d} is ready, thanks!"
    if len(text) != 32:
        raise SystemExit(f"bench text is {len(text)} characters, not 32")
    return text


def batch(n: int) -> list[tuple[str, str]]:
    if n > 9900:
        raise SystemExit("at most 9900 distinct numbers")
    return [(number(i), short_text(i)) for i in range(n)]
