"""The shop's staff at the counters (issue 15): names with an optional PIN, signing in, who is
replying where, and assigning conversations.

Writes run on the engine's core thread (``engine.call(staff.add_staff, "Anna", "1234")``); the
window reads ``staff_list`` and ``replying_in`` through its own connection. A shop with no staff
configured never sees any of it: nothing asks who is at the counter and nothing is recorded.

A PIN is kept only as a salted PBKDF2-SHA256 hash (``pbkdf2_sha256$<rounds>$<salt>$<hash>`` in
``staff.pin_hash``): never the PIN itself, never in a log or an audit line. It keeps a colleague
from signing in as someone else at a shared PC; it is not a password against someone who can
read the database (a 4-digit PIN can be tried in full from its hash).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from desk.base.clock import Clock
from desk.store import audit, counters
from desk.store.counters import Staff
from desk.store.models import Conversation

__all__ = [
    "MAX_NAME",
    "StaffError",
    "StaffMember",
    "add_staff",
    "check_pin",
    "hash_pin",
    "pin_matches",
    "remove_staff",
    "replying",
    "set_pin",
    "sign_in",
    "sign_out",
    "staff_list",
]

MAX_NAME = 40
_ROUNDS = 100_000
_SCHEME = "pbkdf2_sha256"


class StaffError(ValueError):
    """A staff change or sign-in refused, in one plain sentence."""


@dataclass(frozen=True)
class StaffMember:
    name: str
    has_pin: bool


def _check_pin_text(pin: str) -> str:
    pin = pin.strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise StaffError("A PIN is 4 to 8 digits.")
    return pin


def hash_pin(pin: str) -> str:
    """The salted hash kept for ``pin`` (4 to 8 digits, else StaffError)."""
    pin = _check_pin_text(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ROUNDS)
    return f"{_SCHEME}${_ROUNDS}${salt.hex()}${digest.hex()}"


def pin_matches(stored: str, pin: str) -> bool:
    """Whether ``pin`` is the one ``stored`` (a ``hash_pin`` result) was made from."""
    try:
        scheme, rounds, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        again = hashlib.pbkdf2_hmac(
            "sha256", pin.strip().encode(), bytes.fromhex(salt), int(rounds)
        )
    except ValueError:
        return False
    return hmac.compare_digest(again.hex(), digest)


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StaffError("A staff name cannot be empty.")
    if len(name) > MAX_NAME:
        raise StaffError(f"A staff name can be at most {MAX_NAME} characters.")
    return name


def staff_list() -> list[StaffMember]:
    """The shop's staff by name (empty: a one-person shop that never set any up)."""
    query = Staff.select(Staff.name, Staff.pin_hash).order_by(Staff.name)
    return [StaffMember(str(s.name), bool(s.pin_hash)) for s in query]


def add_staff(
    name: str, pin: str | None = None, *, by: str | None = None, clock: Clock
) -> StaffMember:
    """A new staff member (``pin``: optional, 4 to 8 digits). A name already there is refused."""
    name = _name(name)
    if Staff.select().where(Staff.name == name).exists():
        raise StaffError(f"{name} is on the staff already.")
    pin_hash = hash_pin(pin) if pin else None
    Staff.create(name=name, pin_hash=pin_hash)
    audit.record("staff", f"{name} added to the staff", by, clock=clock)
    return StaffMember(name, pin_hash is not None)


def set_pin(name: str, pin: str | None, *, by: str | None = None, clock: Clock) -> None:
    """Give ``name`` a new PIN (None or "": no PIN)."""
    pin_hash = hash_pin(pin) if pin else None
    if not Staff.update(pin_hash=pin_hash).where(Staff.name == name).execute():
        raise StaffError(f"Nobody called {name} is on the staff.")
    words = "PIN changed" if pin_hash else "PIN removed"
    audit.record("staff", f"{words} for {name}", by, clock=clock)


def remove_staff(name: str, *, by: str | None = None, clock: Clock) -> int:
    """Take ``name`` off the staff; the conversations assigned to them become unassigned (their
    number is returned). Texts and notes they wrote keep their name."""
    if not Staff.select().where(Staff.name == name).exists():
        raise StaffError(f"Nobody called {name} is on the staff.")
    freed: int = (
        Conversation.update(assigned_to=None).where(Conversation.assigned_to == name).execute()
    )
    Staff.delete().where(Staff.name == name).execute()
    audit.record("staff", f"{name} removed from the staff", by, clock=clock)
    return freed


def check_pin(name: str, pin: str | None) -> None:
    """Whether ``name`` may sign in with ``pin`` (StaffError in plain words when not). Reads only:
    the window may call it on its own connection."""
    row = Staff.get_or_none(Staff.name == name)
    if row is None:
        raise StaffError(f"Nobody called {name} is on the staff.")
    if row.pin_hash and not pin_matches(str(row.pin_hash), pin or ""):
        raise StaffError("That PIN is not right.")


def sign_in(name: str, pin: str | None, counter: str, *, clock: Clock) -> None:
    """``name`` signs in at ``counter`` (their PIN checked when they have one)."""
    check_pin(name, pin)
    counters.seen(name, counter, clock.now())
    audit.record("staff", f"{name} signed in at {counter}", name, clock=clock)


def sign_out(name: str) -> None:
    """``name`` left their counter (or switched to someone else)."""
    counters.signed_out(name)


def replying(name: str, counter: str, conversation_id: int | None, *, clock: Clock) -> None:
    """``name`` is typing a reply in ``conversation_id`` now (None: stopped: sent, left it, or
    emptied the reply box). Nothing for a name taken off the staff meanwhile."""
    if Staff.select().where(Staff.name == name).exists():
        counters.seen(name, counter, clock.now(), replying_to=conversation_id)
