"""What a HiLink stick's error codes mean, in plain words for staff, and whether to retry.

The codes are the ones the stick's own web interface knows (``<error><code>N</code>``); the
login and session codes are the ones huawei-lte-api raises for. ``explain(code)`` never fails:
an unknown code is said as such and retried (the core bounds the attempts).
"""

from __future__ import annotations

from typing import NamedTuple


class Explained(NamedTuple):
    reason: str
    retryable: bool


SESSION_CODES = frozenset({125001, 125002, 125003, 100003})  # token / session gone: log in again
ALREADY_LOGGED_IN = 108003
WRONG_PASSWORD = frozenset({108001, 108002, 108006})
TOO_MANY_TRIES = 108007

_TABLE: dict[int, Explained] = {
    100001: Explained("The stick had an unknown error.", True),
    100002: Explained("The stick does not support this.", False),
    100003: Explained("The stick wants a new login.", True),
    100004: Explained("The stick is busy; trying again.", True),
    100005: Explained("The stick did not understand the request.", False),
    100006: Explained("The stick refused a value in the request.", False),
    100009: Explained("The stick could not save it.", True),
    108001: Explained("The stick refused the user name.", False),
    108002: Explained("The stick refused the password.", False),
    108003: Explained(
        "Someone else is logged in to the stick (its web page open in a browser?).", True
    ),
    108006: Explained("The stick refused the user name and password.", False),
    108007: Explained(
        "The stick locked its login after too many wrong passwords; wait a few minutes.", True
    ),
    103002: Explained("The SIM refused the PIN.", False),
    103008: Explained("The SIM is busy; try the PIN again in a moment.", True),
    113004: Explained("The stick is busy sending another text.", True),
    113017: Explained("The stick refused the text (it found it malformed).", False),
    113018: Explained("The stick gave up sending in time (no network?).", True),
    113020: Explained("The stick could not list its messages.", True),
    113036: Explained("The stick could not delete a message.", True),
    113053: Explained("The stick's message storage is full.", True),
    113054: Explained("The phone number is too long for the stick.", False),
    113055: Explained("The stick could not send the text (the network refused it).", True),
    113114: Explained("The stick refused the phone number.", False),
    125001: Explained("The stick's session token was refused.", True),
    125002: Explained("The stick's session expired.", True),
    125003: Explained("The stick's session token expired.", True),
}


def explain(code: int) -> Explained:
    """Plain words and retryable for a stick error code (an unknown code: retry)."""
    known = _TABLE.get(code)
    if known is not None:
        return known
    return Explained(f"The stick refused it (error {code}).", True)
