"""What a recipient's number says for a reminder batch (``desk.reminders.materialise``): whether
the outbox takes it without a word, and the time zone quiet hours use, as ``desk.base.phones``
and ``contacts.contact_zone`` answer them, at a fraction of the cost, kept for the life of the
process (a shop texts the same customers again)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_tz

_E164 = re.compile(r"\+\d{3,17}")


@functools.lru_cache(maxsize=50_000)
def number_facts(number: str) -> tuple[bool, str | None]:
    """(the outbox takes it without a word, the zone of its country when that has one) for a
    stored number, from one parse: what ``phones.normalize`` accepts for an E.164 number and
    ``phones.region_timezone`` answers, at half the cost. Anything not plainly E.164 is
    (False, None): it goes through ``queue_message``, which decides and says why."""
    if not _E164.fullmatch(number):
        return False, None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False, None
    # A number of the right length is taken, known to the metadata or not (desk.base.phones'
    # rule). The type, found once, chooses the zone lookup (as time_zones_for_number does).
    kind = phonenumbers.number_type(parsed)
    if not phonenumbers.is_possible_number(parsed):
        return False, None
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
        return False, None
    if parsed.country_code is not None and phonenumbers.is_number_type_geographical(
        kind, parsed.country_code
    ):
        found = pn_tz.time_zones_for_geographical_number(parsed)
    else:
        found = pn_tz.time_zones_for_number(parsed)
    zones = tuple(z for z in found if z != "Etc/Unknown")
    return True, (zones[0] if len(zones) == 1 else None)


@functools.lru_cache(maxsize=50_000)
def number_lookup(number: str) -> tuple[bool, str | None, str | None]:
    """(what ``number_facts`` says first, the zone its prefix has, the zone its country has)
    without the number's type, which costs most of ``number_facts`` and only chooses between
    the last two (or neither: an unknown type has no zone)."""
    if not _E164.fullmatch(number):
        return False, None, None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False, None, None
    if not phonenumbers.is_possible_number(parsed):
        return False, None, None
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
        return False, None, None
    return (
        True,
        _single(pn_tz.time_zones_for_geographical_number(parsed)),
        _single(pn_tz._country_level_time_zones_for_number(parsed)),
    )


def recipient_zone(
    number: str,
    own: str | None,
    geographical: str | None,
    national: str | None,
    fallback: ZoneInfo,
) -> ZoneInfo:
    """``contacts.contact_zone`` for a number ``number_lookup`` took: when the number's zone
    would make no difference (the contact's own zone wins, or whichever the number's type
    chooses, its prefix's, its country's or none, comes to the same zone) no type is needed;
    otherwise ``number_facts`` finds it."""
    options = {_zone(own, name, fallback) for name in (geographical, national, None)}
    keys = {z.key for z in options}
    if len(keys) == 1:
        return options.pop()
    return _zone(own, number_facts(number)[1], fallback)


def _single(zones: Sequence[str]) -> str | None:
    found = tuple(z for z in zones if z != "Etc/Unknown")
    return found[0] if len(found) == 1 else None


@functools.lru_cache(maxsize=1024)
def _zone(own: str | None, number_zone: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """``contacts.contact_zone`` with the number's zone already known."""
    for name in (own, number_zone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return fallback
