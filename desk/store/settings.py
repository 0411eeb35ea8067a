"""Shop settings, stored as JSON in the Setting table, with types, defaults and validation.

``textdesk config KEY VALUE`` and the settings dialog both go through ``Settings.set_text`` so a
bad value gets the same clear message everywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import tzlocal

from desk.base import opening_hours, quiet_hours
from desk.store.db import db
from desk.store.models import Setting

log = logging.getLogger(__name__)

# Reads are plain SQL (``?``; the server database turns it into ``%s``): the core reads settings
# on every staff reply, and building the SELECT through peewee cost more than running it.
_GET_SQL = 'SELECT "value" FROM "setting" WHERE "key" = ?'
_ALL_SQL = 'SELECT "key", "value" FROM "setting"'


class SettingError(ValueError):
    pass


class ZoneUnknown(LookupError):
    """Neither the ``timezone`` setting nor this computer says which time zone the shop is in."""


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


def _offsets(text: str | list[int]) -> list[int]:
    """ "48h,2h" or "2880,120" (minutes) -> minutes before the appointment, largest first."""
    items: list[object]
    if isinstance(text, list):
        items = list(text)
    else:
        items = [p for p in str(text).replace(" ", "").split(",") if p]
    out: list[int] = []
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


def _opening_hours(text: str) -> str:
    try:
        opening_hours.parse(str(text))
    except ValueError as exc:
        raise SettingError(str(exc).removeprefix("Opening hours: ")) from None
    return str(text).strip()


def _closed_days(text: str) -> str:
    days = [d.strip() for d in str(text).replace(";", ",").split(",") if d.strip()]
    try:
        opening_hours.parse("", days)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    return ",".join(days)


@dataclass(frozen=True)
class Spec:
    default: Any
    parse: Callable[[str], Any]
    help: str
    secret: bool = False


SPECS: dict[str, Spec] = {
    "shop_name": Spec("Our shop", _text(60), "The shop's name, used in {shop} and texts"),
    "signature": Spec("", _text(40), "Added to staff replies, e.g. '- Anna at Smile Dental'"),
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
    "rate_per_minute": Spec(6, _int_range(1, 60), "Most automated texts sent per minute"),
    "rate_per_minute_staff": Spec(
        30,
        _int_range(1, 120),
        "Most texts per minute in all, counting replies typed by staff (person-to-person)",
    ),
    "rate_per_day": Spec(300, _int_range(1, 10000), "Most texts sent per day"),
    "retention_days": Spec(0, _int_range(0, 36500), "Delete messages older than this (0: keep)"),
    "modem_port": Spec("", _text(200), "Serial port of the modem (empty: find it)"),
    "modem_pin": Spec("", _text(8), "SIM PIN, if the SIM asks for one", secret=True),
    "modem_kind": Spec(
        "at",
        _choice("at", "hilink", "android"),
        "Kind of modem: at (USB/serial modem), hilink (Huawei HiLink stick), android (phone app)",
    ),
    "modem_delivery": Spec(
        "inline",
        _choice("inline", "stored"),
        "How the AT modem hands over texts and delivery reports: inline (+CMT/+CDS, "
        "acknowledged once saved) or stored (read from the SIM, then deleted); at start",
    ),
    "hilink_url": Spec("http://192.168.8.1", _text(200), "Web address of the HiLink stick"),
    "android_url": Spec("", _text(200), "Address of the phone's SMS Gateway app, http://IP:8080"),
    "android_username": Spec("sms", _text(60), "User name shown in the phone's gateway app"),
    "android_listen_host": Spec(
        "", _text(100), "This computer's Wi-Fi address the phone sends received texts to"
    ),
    "android_listen_port": Spec(
        8787, _int_range(1024, 65535), "Port on this computer for the phone's messages"
    ),
    "ussd_balance": Spec("*100#", _text(30), "USSD code that asks the balance"),
    "quiet_hours": Spec("08:00-21:00", _quiet, "When automated texts may go out, or off"),
    "grace_minutes": Spec(120, _int_range(0, 10080), "Send a missed reminder if this late at most"),
    "reminder_offsets": Spec([2880, 120], _offsets, "Appointment reminders, before (48h,2h)"),
    "skip_after_confirm": Spec(True, _bool, "No more reminders once an appointment is confirmed"),
    "send_key": Spec("enter", _choice("enter", "ctrl+enter"), "Key that sends a reply"),
    "notifications": Spec(True, _bool, "Desktop notification on a new message"),
    "sound": Spec(False, _bool, "Play a sound on a new message"),
    "staff_name": Spec("", _text(40), "Who is at the counter (recorded on sent messages)"),
    "mask_sensitive": Spec(
        True, _bool, "Hide card and ID numbers customers text in (the last digits stay)"
    ),
    # Automations (issue 14): opening hours, away replies, keyword answers, missed calls.
    "opening_hours": Spec(
        "", _opening_hours, "When the shop is open, e.g. mon-fri 09:00-18:00; sat 10:00-14:00"
    ),
    "closed_days": Spec("", _closed_days, "Days the shop is closed, e.g. 2026-12-25,2026-12-26"),
    "away_reply": Spec(False, _bool, "Answer texts that arrive outside opening hours"),
    "away_text": Spec(
        "{shop}: thanks for your text. We are closed now and will answer {next_open}.",
        _text(300),
        "The away reply ({next_open}: when the shop opens)",
    ),
    "away_every_hours": Spec(12, _int_range(1, 168), "At most one away reply per customer in"),
    "keyword_answers": Spec(True, _bool, "Answer the shop's keywords (HOURS, ADDRESS…)"),
    "missed_call_textback": Spec(False, _bool, "Text back a caller the shop did not answer"),
    "missed_call_text": Spec(
        "Sorry we missed your call - text us here, we answer fast. {shop}",
        _text(300),
        "The text sent after a missed call",
    ),
    "missed_call_every_hours": Spec(
        24, _int_range(1, 720), "At most one missed-call text per caller in"
    ),
    "decline_after_rings": Spec(
        0, _int_range(0, 30), "Hang up a call after this many rings (0: never)"
    ),
    "missed_call_quiet_hours": Spec(False, _bool, "Hold missed-call texts during quiet hours too"),
}


def _decode(key: str, raw: str | None) -> Any:
    """A stored JSON value, or the key's default when there is none, it does not decode, or it
    is not of the default's kind (a damaged row never hands the core a text where it counts)."""
    default = SPECS[key].default
    if raw is None:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if _same_kind(value, default):
        return value
    log.warning("setting %s holds %r, not a value it can have; using %r", key, raw, default)
    return default


def _same_kind(value: object, default: object) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    return isinstance(value, type(default))


class SettingsReader(Protocol):
    """What code that only reads settings needs: ``Settings`` (a query per read) and a
    ``Snapshot`` (values read once) both provide it."""

    def get(self, key: str) -> Any: ...

    def shop_zone(self) -> ZoneInfo: ...

    def quiet_window(self) -> quiet_hours.Window | None: ...

    def snapshot(self) -> Snapshot: ...


class Settings:
    """Typed access to settings. Reads hit the database each time (values are tiny and WAL
    readers are cheap), so a change from the CLI is seen by a running engine. Code that reads
    settings in a loop takes a ``snapshot()`` first: one query, then plain attributes."""

    def get(self, key: str) -> Any:
        self._spec(key)
        row = db.execute_sql(_GET_SQL, (key,)).fetchone()
        return _decode(key, None if row is None else str(row[0]))

    def set(self, key: str, value: Any) -> Any:
        spec = self._spec(key)
        if isinstance(value, str):
            parsed = spec.parse(value)
        else:
            parsed = spec.parse(
                ",".join(map(str, value)) if isinstance(value, list) else str(value)
            )
        stored = json.dumps(parsed)  # an upsert both SQLite and PostgreSQL speak
        Setting.insert(key=key, value=stored).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: stored}
        ).execute()
        return parsed

    def set_text(self, key: str, text: str) -> Any:
        try:
            return self.set(key, text)
        except SettingError as exc:
            raise SettingError(f"{key} {exc}") from None

    def all(self) -> dict[str, Any]:
        return dict(self.snapshot().values)

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

    def snapshot(self) -> Snapshot:
        """Every setting as it is now, read in one query: for a loop (a scheduler tick, a pass
        over the send queue, a listing) that must see the same values throughout and must not
        query once per item."""
        rows = {str(k): str(v) for k, v in db.execute_sql(_ALL_SQL).fetchall()}
        return Snapshot({key: _decode(key, rows.get(key)) for key in SPECS})

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
        return zone_named(str(self.get("timezone") or ""))

    def quiet_window(self) -> quiet_hours.Window | None:
        return quiet_hours.parse_window(str(self.get("quiet_hours")))


@dataclass(frozen=True)
class Snapshot:
    """Settings read once (``Settings.snapshot()``): frozen, with a typed attribute per setting
    used in the core's loops. ``get`` and the zone and window helpers answer like ``Settings``,
    so a snapshot can be handed to anything that only reads."""

    values: Mapping[str, Any] = field(repr=False)

    def get(self, key: str) -> Any:
        Settings._spec(key)
        return self.values[key]

    def snapshot(self) -> Snapshot:
        return self

    @property
    def shop_name(self) -> str:
        return str(self.values["shop_name"])

    @property
    def signature(self) -> str:
        return str(self.values["signature"] or "")

    @property
    def default_country(self) -> str:
        return str(self.values["default_country"])

    @property
    def timezone(self) -> str:
        return str(self.values["timezone"] or "")

    @property
    def rate_per_minute(self) -> int:
        return int(self.values["rate_per_minute"])

    @property
    def rate_per_day(self) -> int:
        return int(self.values["rate_per_day"])

    @property
    def rate_per_minute_staff(self) -> int:
        return int(self.values["rate_per_minute_staff"])

    @property
    def grace_minutes(self) -> int:
        return int(self.values["grace_minutes"])

    @property
    def skip_after_confirm(self) -> bool:
        return bool(self.values["skip_after_confirm"])

    @property
    def reminder_offsets(self) -> list[int]:
        return [int(v) for v in self.values["reminder_offsets"]]

    @cached_property
    def zone(self) -> ZoneInfo:
        """The shop's zone, looked up once per snapshot."""
        return zone_named(self.timezone)

    @cached_property
    def window(self) -> quiet_hours.Window | None:
        """Quiet hours, parsed once per snapshot."""
        return quiet_hours.parse_window(str(self.values["quiet_hours"]))

    def shop_zone(self) -> ZoneInfo:
        return self.zone

    def quiet_window(self) -> quiet_hours.Window | None:
        return self.window


def zone_named(name: str) -> ZoneInfo:
    """The shop's zone: the ``timezone`` setting when it names one, else this computer's.

    One lookup for the whole core (settings, the send queue, the scheduler). A stored name that
    no longer resolves (validated when set, so only a damaged database or zone data) is logged
    and this computer's zone is used."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning(
                "the timezone setting “%s” is not a known zone; using this computer's", name
            )
    return local_zone()


def local_zone() -> ZoneInfo:
    """This computer's IANA zone, from ``tzlocal`` (TZ, then the system's configuration: the
    Windows registry, /etc/localtime, /etc/timezone...), resolved with the system zone
    database or the ``tzdata`` package.

    Raises ``ZoneUnknown`` in plain words when none is found: quiet hours and reminder times
    judged in a guessed zone (UTC) would be hours off, so the shop must say."""
    try:
        name = tzlocal.get_localzone_name()
    except (ZoneInfoNotFoundError, LookupError, OSError, ValueError) as exc:
        raise ZoneUnknown(_NO_ZONE + f" ({exc})") from None
    if not name:
        raise ZoneUnknown(_NO_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneUnknown(
            f"This computer's time zone “{name}” is not in the zone database. " + _SET_ZONE
        ) from None


_SET_ZONE = (
    "Set the shop's time zone in Settings, or with "
    "“textdesk config timezone Europe/London” (your zone in place of Europe/London)."
)
_NO_ZONE = "TextDesk cannot tell which time zone this computer is in. " + _SET_ZONE
