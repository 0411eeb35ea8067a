"""Phone numbers: E.164 for storage, national format for people. Alphanumeric senders kept as-is.

One rule for every number TextDesk is given (issue 13), in the window, ``textdesk send``, the
reminder editor and imports alike:

- a number the network delivered from can always be answered (``received_number`` keeps it);
- a typed number is refused (``InvalidNumber``) only when it cannot be a number: letters, no
  digits, or the wrong number of digits for its country (``normalize``);
- a number of the right length that the numbering metadata does not know as in use is accepted
  by ``normalize``, and ``unknown_number_warning`` says so in words staff can accept: the
  metadata inside a packaged app ages, and new ranges open every year.
"""

from __future__ import annotations

import re

import phonenumbers


class InvalidNumber(ValueError):
    """A number staff typed (or a CSV row held) that cannot be texted; the message says why."""


_ALNUM = re.compile(r"[A-Za-z]")
_FORMATTING = re.compile(r"[\s\-().\u00a0/]")


def is_alphanumeric(sender: str) -> bool:
    return bool(_ALNUM.search(sender))


def normalize(raw: str, default_country: str = "US", *, allow_alphanumeric: bool = False) -> str:
    """Return the E.164 form of ``raw`` ("+15551234567").

    ``allow_alphanumeric`` keeps sender names like "MyBank" (incoming only: we cannot text them).
    Raises InvalidNumber with a plain-words reason.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("No number given.")
    if is_alphanumeric(text):
        if allow_alphanumeric and len(text) <= 11:
            return text
        raise InvalidNumber(f"“{text}” is not a phone number (it contains letters).")
    compact = _FORMATTING.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d{3,17}", compact):
        raise InvalidNumber(f"“{text}” is not a phone number.")
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else default_country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"“{text}” is not a phone number ({exc._msg}).") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(f"“{text}” has the wrong number of digits for its country.")
    # Valid or not by the metadata, a number of the right length is a number: kept (see the
    # module's rule; unknown_number_warning is the caller's word to staff).
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_known(number: str) -> bool:
    """Whether the numbering metadata knows the E.164 ``number`` as one in use."""
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def unknown_number_warning(number: str, default_country: str = "US") -> str | None:
    """For an E.164 number (from ``normalize``) that the numbering metadata does not know as one
    in use, a sentence staff can read and accept; None for a known number."""
    if not number.startswith("+") or is_known(number):
        return None
    return (
        f"{display(number, default_country)} is not a number TextDesk's numbering data knows. "
        "It may be new (the data is updated only with TextDesk) or mistyped: check it with the "
        "customer if you can."
    )


def received_number(raw: str, default_country: str = "US") -> str:
    """A sender as the network gave it, in the form TextDesk stores it: E.164 for phone numbers,
    alphanumeric senders and short codes as they came (a number a network delivered from can
    always be kept, whatever the numbering metadata says)."""
    text = (raw or "").strip()
    try:
        return normalize(text, default_country, allow_alphanumeric=True)
    except InvalidNumber:
        return text


def display(number: str, default_country: str = "US") -> str:
    """How staff read a stored number: national format at home, international abroad."""
    if not number or not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    # a number the metadata does not know has no region of its own: its country code's main one
    region = phonenumbers.region_code_for_number(
        parsed
    ) or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == default_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def region_timezone(number: str) -> str | None:
    """A time zone for a number when its country has exactly one (for quiet hours)."""
    from phonenumbers import timezone as pn_tz

    if not number.startswith("+"):
        return None
    try:
        zones = pn_tz.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    zones = tuple(z for z in zones if z != "Etc/Unknown")
    return zones[0] if len(zones) == 1 else None
