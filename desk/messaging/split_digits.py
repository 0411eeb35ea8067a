"""Digits at the join of two parts of a long SMS: never written in clear while the parts wait.

A card number can be split between the parts of a concatenated SMS ("…card is 4111 1111 11" in
part 1, "11 1111 1111 thanks" in part 2). Neither part holds a card number on its own, so masking
each part finds nothing, yet together the stored parts would hold the whole number in clear until
the message completes (or for good, if the rest never comes). When masking is on, the inbox
therefore writes a part with:

- its digits that touch a join with a neighbouring part (the digit run, single spaces or dashes
  allowed, at the start of a part after the first and at the end of a part before the last) as
  ``BULLET`` (the same character desk.compliance.privacy.mask uses);
- whatever the privacy mask finds inside the part itself hidden as usual;
- no raw PDU (it holds the same digits, packed).

The clear text and PDU of such a part are kept only in this process's memory (``remember`` /
``recall``), never on disk, until its message is assembled: the assembled body is then masked as a
single SMS would be (the last four digits of a card kept). A part whose clear text is no longer
known (the engine restarted between the parts) is assembled from its stored text, so those digits
stay hidden (``•``) in the message: privacy wins over a number that might have been a card.

Dedupe keys hash the text as it is written (``hidden_content``), not the clear text: a hash of a
text with a card number in it could be reversed by trying the few million numbers that fit.
"""

from __future__ import annotations

from collections import OrderedDict

BULLET = "•"  # the same as desk.compliance.privacy.BULLET (a test holds them equal)
_SEPARATORS = " -"
_MEMORY_LIMIT = 2000  # parts waiting for the rest of their message; the oldest are forgotten first

_clear: OrderedDict[str, tuple[str, str]] = OrderedDict()


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _leading_run_end(text: str) -> int:
    """``text`` is not empty. End of the digit run (digits joined by single spaces/dashes) that starts the text; 0: none.
    A separator first ("-1111") counts: the previous part may end in digits."""
    i = 1 if text[0] in _SEPARATORS else 0
    end = 0
    n = len(text)
    while i < n and _is_digit(text[i]):
        while i < n and _is_digit(text[i]):
            i += 1
        end = i
        if i + 1 < n and text[i] in _SEPARATORS and _is_digit(text[i + 1]):
            i += 1
            continue
        break
    return end


def _trailing_run_start(text: str) -> int:
    """``text`` is not empty. Start of the digit run that ends the text (a separator last counts); len(text): none."""
    n = len(text)
    i = n - 1 if text[-1] in _SEPARATORS else n
    start = n
    while i > 0 and _is_digit(text[i - 1]):
        while i > 0 and _is_digit(text[i - 1]):
            i -= 1
        start = i
        if i - 2 >= 0 and text[i - 1] in _SEPARATORS and _is_digit(text[i - 2]):
            i -= 1
            continue
        break
    return start


def _bullets(piece: str) -> str:
    return "".join(BULLET if _is_digit(ch) else ch for ch in piece)


def hide_joins(text: str, *, leading: bool, trailing: bool) -> str:
    """``text`` with the digits of its leading run (``leading``: a part comes before it) and of its
    trailing run (``trailing``: a part comes after it) written as ``BULLET``."""
    if not text:
        return text
    head = _leading_run_end(text) if leading else 0
    tail = _trailing_run_start(text) if trailing else len(text)
    if head >= tail:  # one run from the start to the end
        return _bullets(text)
    return _bullets(text[:head]) + text[head:tail] + _bullets(text[tail:])


def remember(key: str, text: str, raw: str) -> None:
    """Keep a part's clear text and raw PDU in memory only, until its message is assembled."""
    _clear[key] = (text, raw)
    _clear.move_to_end(key)
    while len(_clear) > _MEMORY_LIMIT:
        _clear.popitem(last=False)


def recall(key: str) -> tuple[str, str] | None:
    return _clear.get(key)


def forget(keys: list[str]) -> None:
    for key in keys:
        _clear.pop(key, None)
