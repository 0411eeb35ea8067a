"""Reading what a HiLink stick answers: message lists, its local times, its status pages.

Only positive evidence changes state: a field that is missing or not a number is "unknown"
(None), never "no network" or "no SIM". Every parser takes the already-decoded dicts the library
returns and never raises on their content (wrong types give None or are skipped with a reason).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from modem.events import ModemState

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# CurrentNetworkType(Ex) codes of the HiLink web interface -> what staff know
_NETWORK_TYPES = {
    0: None, 1: "2G", 2: "2G", 3: "2G", 4: "3G", 5: "3G", 6: "3G", 7: "3G", 8: "3G", 9: "3G",
    17: "3G", 18: "3G", 19: "4G", 41: "3G", 44: "3G", 45: "3G", 46: "3G", 61: "3G", 101: "4G",
    1011: "4G+",
}  # fmt: skip
_SIGNAL_ICON_RSSI = {0: 0, 1: 5, 2: 10, 3: 15, 4: 20, 5: 26}
PIN_STATES = {260: "SIM PIN", 261: "SIM PUK", 262: "SIM PUK"}


def as_int(value: object) -> int | None:
    """An integer from the stick's text, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


def local_to_utc(value: object, zone: tzinfo) -> datetime | None:
    """The stick's "YYYY-MM-DD HH:MM:SS" (its local time, no zone) as an aware UTC datetime."""
    text = as_text(value)
    if text is None:
        return None
    try:
        naive = datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        return None
    return naive.replace(tzinfo=zone).astimezone(UTC)


def messages(data: object) -> tuple[list[Mapping[str, object]], int]:
    """The message dicts of an sms-list answer and the number of entries that were not one."""
    if not isinstance(data, Mapping):
        return [], 1
    box = data.get("Messages")
    if box is None or box == {}:
        return [], 0
    if not isinstance(box, Mapping):
        return [], 1
    items = box.get("Message")
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        return [], 0 if items is None else 1
    good = [item for item in items if isinstance(item, Mapping)]
    return good, len(items) - len(good)


def raw_text(item: Mapping[str, object]) -> str:
    """The entry as the stick gave it, kept with the stored message (nothing is lost), but for
    its read flag (Smstat), which TextDesk itself sets: an entry read again reads the same."""
    kept = {key: value for key, value in item.items() if key != "Smstat"}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, default=str)


def signal_rssi(monitoring: Mapping[str, object]) -> int | None:
    icon = as_int(monitoring.get("SignalIcon"))
    if icon is not None and icon in _SIGNAL_ICON_RSSI:
        return _SIGNAL_ICON_RSSI[icon]
    percent = as_int(monitoring.get("SignalStrength"))
    if percent is not None and 0 <= percent <= 100:
        return round(percent * 31 / 100)
    return None


def network_type(monitoring: Mapping[str, object]) -> str | None:
    for key in ("CurrentNetworkTypeEx", "CurrentNetworkType"):
        code = as_int(monitoring.get(key))
        if code is not None and code in _NETWORK_TYPES:
            return _NETWORK_TYPES[code]
    return None


def registration(monitoring: Mapping[str, object]) -> str | None:
    service = as_int(monitoring.get("ServiceStatus"))
    if service == 2:
        return "roaming" if as_int(monitoring.get("RoamingStatus")) == 1 else "home"
    if service in (0, 1):
        return "searching"
    if service == 3:
        return "denied"
    return None


def state_for(
    monitoring: Mapping[str, object], pin: Mapping[str, object]
) -> tuple[ModemState, str | None, str | None]:
    """The link state, pin_kind and plain words from the monitoring and PIN pages."""
    sim_state = as_int(pin.get("SimState"))
    if sim_state in PIN_STATES:
        kind = PIN_STATES[sim_state]
        if sim_state == 262:
            return (
                ModemState.ERROR,
                kind,
                "The SIM card is blocked: the network operator can unblock it.",
            )
        if kind == "SIM PUK":
            return (
                ModemState.ERROR,
                kind,
                "The SIM card asks for its PUK code (wrong PIN too often).",
            )
        return ModemState.PIN_NEEDED, kind, "The SIM card asks for its PIN."
    sim = as_int(monitoring.get("SimStatus"))
    if sim_state == 255 or sim == 255:
        return ModemState.ERROR, None, "There is no SIM card in the stick."
    reg = registration(monitoring)
    if reg in ("searching", "denied"):
        words = "The network refused the SIM." if reg == "denied" else "No mobile network here."
        return ModemState.NO_NETWORK, None, words
    return ModemState.READY, None, None


def operator(plmn: Mapping[str, object], kind: str | None) -> str | None:
    name = as_text(plmn.get("FullName")) or as_text(plmn.get("ShortName"))
    name = name or as_text(plmn.get("Numeric"))
    if name is None:
        return None
    return f"{name} ({kind})" if kind else name


def storage(count: Mapping[str, object]) -> tuple[int | None, int | None]:
    """Messages kept on the stick (all its boxes) and how many it can keep."""
    boxes = [as_int(count.get(k)) for k in ("LocalInbox", "LocalOutbox", "LocalDraft")]
    used = sum(b for b in boxes if b is not None) if any(b is not None for b in boxes) else None
    return used, as_int(count.get("LocalMax"))
