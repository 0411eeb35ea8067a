"""Shop settings, stored as JSON in the Setting table, with types, defaults and validation.

``textdesk config KEY VALUE`` and the settings dialog both go through ``Settings.set_text`` so a
bad value gets the same clear message everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from desk.base import quiet_hours
from desk.store.models import Setting


class SettingError(ValueError):
    pass


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise SettingError(f"must be a whole number, not “{text}”") from None
        if not lo <= value <= hi:
            raise SettingError(f"must be between {lo} and {hi}")
        return value

    return parse


def _country(text: str) -> str:
    code = str(text).strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingError(f"“{text}” is not a two-letter country code such as US, GB or DE")
    return code


def _timezone(text: str) -> str:
    name = str(text).strip()
    if name == "":
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"“{text}” is not a time zone such as Europe/London") from None
    return name


def _quiet(text: str) -> str:
    try:
        return quiet_hours.format_window(quiet_hours.parse_window(str(text)))
    except ValueError as exc:
        raise SettingError(str(exc)) from None


def _offsets(text: str) -> list[int]:
    """ "48h,2h" or "2880,120" (minutes) -> minutes before the appointment, largest first."""
    if isinstance(text, list):
        items = text
    else:
        items = [p for p in str(text).replace(" ", "").split(",") if p]
    out = []
    for item in items:
        s = str(item).lower()
        try:
            if s.endswith("d"):
                out.append(int(float(s[:-1]) * 1440))
            elif s.endswith("h"):
                out.append(int(float(s[:-1]) * 60))
            elif s.endswith("m"):
                out.append(int(s[:-1]))
            else:
                out.append(int(s))
        except ValueError:
            raise SettingError(f"“{item}” is not an offset such as 48h, 2h or 30m") from None
    if any(o <= 0 for o in out):
        raise SettingError("offsets must be before the appointment (positive)")
    return sorted(set(out), reverse=True)


def _bool(text: str) -> bool:
    s = str(text).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"must be on or off, not “{text}”")


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text)
        if len(value) > limit:
            raise SettingError(f"is too long ({len(value)} characters, at most {limit})")
        return value

    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text).strip().lower()
        if value not in options:
            raise SettingError(f"must be one of {', '.join(options)}")
        return value

    return parse


@dataclass(frozen=True)
class Spec:
    default: Any
    parse: Callable[[str], Any]
    help: str
    secret: bool = False


SPECS: dict[str, Spec] = {
    "shop_name": Spec("Our shop", _text(60), "The shop's name, used in {shop} and texts"),
    "signature": Spec("", _text(40), "Added to staff replies, e.g. '– Anna at Smile Dental'"),
    "default_country": Spec("US", _country, "Country for numbers typed without +country code"),
    "timezone": Spec("", _timezone, "The shop's time zone (empty: this computer's)"),
    "help_text": Spec(
        "{shop}: reply to this number to reach us. Reply STOP to opt out.",
        _text(300),
        "Answer to HELP",
    ),
    "optout_confirmation": Spec(
        "You will get no more texts from {shop}. Reply START to opt back in.",
        _text(300),
        "Confirmation sent once on STOP",
    ),
    "optin_confirmation": Spec(
        "You are subscribed to texts from {shop} again. Reply STOP to opt out.",
        _text(300),
        "Confirmation sent on START",
    ),
    "rate_per_minute": Spec(6, _int_range(1, 60), "Most texts sent per minute"),
    "rate_per_day": Spec(300, _int_range(1, 10000), "Most texts sent per day"),
    "retention_days": Spec(0, _int_range(0, 36500), "Delete messages older than this (0: keep)"),
    "modem_port": Spec("", _text(200), "Serial port of the modem (empty: find it)"),
    "modem_pin": Spec("", _text(8), "SIM PIN, if the SIM asks for one", secret=True),
    "ussd_balance": Spec("*100#", _text(30), "USSD code that asks the balance"),
    "quiet_hours": Spec("08:00-21:00", _quiet, "When automated texts may go out, or off"),
    "grace_minutes": Spec(120, _int_range(0, 10080), "Send a missed reminder if this late at most"),
    "reminder_offsets": Spec([2880, 120], _offsets, "Appointment reminders, before (48h,2h)"),
    "skip_after_confirm": Spec(True, _bool, "No more reminders once an appointment is confirmed"),
    "send_key": Spec("enter", _choice("enter", "ctrl+enter"), "Key that sends a reply"),
    "notifications": Spec(True, _bool, "Desktop notification on a new message"),
    "sound": Spec(False, _bool, "Play a sound on a new message"),
    "staff_name": Spec("", _text(40), "Who is at the counter (recorded on sent messages)"),
}


class Settings:
    """Typed access to settings. Reads hit the database each time (values are tiny and WAL
    readers are cheap), so a change from the CLI is seen by a running engine."""

    def get(self, key: str) -> Any:
        spec = self._spec(key)
        row = Setting.get_or_none(Setting.key == key)
        if row is None:
            return spec.default
        try:
            return json.loads(row.value)
        except ValueError:
            return spec.default

    def set(self, key: str, value: Any) -> Any:
        spec = self._spec(key)
        parsed = spec.parse(value) if isinstance(value, str) else value
        if not isinstance(value, str):
            parsed = spec.parse(
                ",".join(map(str, value)) if isinstance(value, list) else str(value)
            )
        Setting.insert(key=key, value=json.dumps(parsed)).on_conflict_replace().execute()
        return parsed

    def set_text(self, key: str, text: str) -> Any:
        try:
            return self.set(key, text)
        except SettingError as exc:
            raise SettingError(f"{key} {exc}") from None

    def all(self) -> dict[str, Any]:
        return {key: self.get(key) for key in SPECS}

    def display(self, key: str) -> str:
        spec = self._spec(key)
        value = self.get(key)
        if spec.secret and value:
            return "****"
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, list):
            return ",".join(map(str, value))
        return str(value)

    @staticmethod
    def _spec(key: str) -> Spec:
        try:
            return SPECS[key]
        except KeyError:
            raise SettingError(
                f"unknown setting “{key}”; known: {', '.join(sorted(SPECS))}"
            ) from None

    # Conveniences used all over the core.
    def shop_zone(self) -> ZoneInfo:
        name = self.get("timezone")
        if name:
            return ZoneInfo(name)
        return local_zone()

    def quiet_window(self) -> quiet_hours.Window | None:
        return quiet_hours.parse_window(self.get("quiet_hours"))


def local_zone() -> ZoneInfo:
    """This computer's IANA zone (TZ, /etc/localtime), UTC when unknown."""
    import os
    from pathlib import Path

    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve())
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    try:
        tzname = Path("/etc/timezone").read_text().strip()
        return ZoneInfo(tzname)
    except (OSError, ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
