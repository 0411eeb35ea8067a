"""Placeholders in texts to customers: one renderer for the composer's templates, reminders and
the consent replies (STOP, START, HELP), so the same template and contact give the same text.

Placeholders: {first_name} {name} {shop} {signature} {service} {date} {time}, and {next_open}
in away replies (when the shop opens next).

The rule for an empty value (a contact without a name, an appointment without a service): the
placeholder disappears and the text closes up around it, so the customer never reads "Hi ," or
"your  appointment". One exception reads better still: a name right after a greeting word (Hi,
Hello, Hey, Hiya) becomes "there", so "Hi {first_name}, ..." greets a nameless contact with
"Hi there, ...".

A placeholder the renderer does not know ({item}), or one with no value where the text is
written (the composer has no {date}), is left exactly as typed: staff see it and fill it in, and
``unknown`` reports it the same way to every caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from desk.store.models import Contact
from desk.store.settings import SettingsReader

KNOWN = ("first_name", "name", "shop", "signature", "service", "date", "time", "next_open")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
TWELVE_HOUR_COUNTRIES = frozenset({"US", "CA", "AU", "NZ", "PH", "IN", "PK", "EG", "SA", "MX"})

_NAMES = frozenset({"first_name", "name"})
_GREETING = re.compile(r"(?:^|\W)(?:hi|hello|hey|hiya)[ \t]*$", re.IGNORECASE)
_GAP = "\x00"  # stands for an empty value while the text is closed up around it


@dataclass(frozen=True)
class Values:
    """What each placeholder becomes. ``None``: not available where this text is written (the
    placeholder stays as typed); ``""``: known to be empty (the rule above)."""

    first_name: str | None = None
    name: str | None = None
    shop: str | None = None
    signature: str | None = None
    service: str | None = None
    date: str | None = None
    time: str | None = None
    next_open: str | None = None  # away replies: "tomorrow at 09:00"

    def value(self, key: str) -> str | None:
        return getattr(self, key) if key in KNOWN else None


def names(name: str | None) -> tuple[str, str]:
    """({first_name}, {name}) of a contact called ``name`` (no name: both empty)."""
    full = name or ""
    return (full.split(" ")[0] if full else "", full)


def for_contact(contact: Contact | None, settings: SettingsReader) -> Values:
    """The values every text to ``contact`` has: their names, the shop's name and signature."""
    first_name, name = names(contact.name if contact is not None else None)
    return Values(
        first_name=first_name,
        name=name,
        shop=str(settings.get("shop_name") or ""),
        signature=str(settings.get("signature") or ""),
    )


def format_date(when: datetime, tz: ZoneInfo) -> str:
    """ "Tue 1 Dec": how {date} reads (in ``tz``)."""
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}"


def format_time(when: datetime, tz: ZoneInfo, country: str = "US") -> str:
    """ "9:30 AM" where the country reads a 12-hour clock, else "09:30": how {time} reads."""
    local = when.astimezone(tz)
    if country in TWELVE_HOUR_COUNTRIES:
        hour = local.hour % 12 or 12
        return f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local:%H:%M}"


def render(template: str, values: Values) -> str:
    """``template`` with its placeholders filled by the rule in the module's docstring."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        value = values.value(key)
        if value is None:
            return match.group(0)
        if value.strip():
            return value
        if key in _NAMES and _GREETING.search(template, 0, match.start()):
            return "there"
        return _GAP

    text = PLACEHOLDER.sub(sub, template)
    if _GAP in text:
        # "Hi {name}!" -> "Hi!"; "your {service} appointment" -> "your appointment".
        text = re.sub(rf"[ \t]*{_GAP}(?=[ \t]*(?:[,.!?;:]|{_GAP}|$))", "", text, flags=re.M)
        text = re.sub(rf"{_GAP}[ \t]*", "", text)
        text = re.sub(r"[ \t]+$", "", text, flags=re.M)
    return text.strip()


def fields_in(text: str) -> list[str]:
    """Every placeholder in ``text`` as typed ("{item}"), in order, each once."""
    return list(dict.fromkeys(f"{{{key}}}" for key in PLACEHOLDER.findall(text)))


def unknown(template: str, values: Values | None = None) -> list[str]:
    """Placeholders in ``template`` that rendering leaves as typed, as ("{item}"), in order:
    unknown names, and (given ``values``) those with no value there."""
    left = []
    for field in fields_in(template):
        key = field[1:-1]
        if key not in KNOWN or (values is not None and values.value(key) is None):
            left.append(field)
    return left
