"""The modem's state as the running engine last saw it: one WARNING per change, and a small file
``textdesk status`` reads.

A SIM that asks for its PIN, a modem that lost its network or was unplugged (its device gone),
must not stay a line at INFO in ``textdesk serve``'s output: ``note`` (called by the engine on
every modem status) logs a plain WARNING when the state becomes one a person must act on, once
per change of state (not per poll or reconnect attempt), one when the modem is ready again, and
rewrites ``modem-state.json`` in the profile folder only when what it says changes.
``textdesk status`` shows it (``read`` + ``describe``) while the engine holds the profile's lock;
the file of an engine that is gone is not shown (nobody is watching the modem then).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desk.base.clock import utc
from desk.base.paths import Profile
from modem.events import ModemState, ModemStatus

__all__ = ["Profile", "Seen", "describe", "note", "path_for", "read", "warning_for"]

log = logging.getLogger(__name__)

FILE_NAME = "modem-state.json"
PIN_COMMAND = "textdesk modem-password --pin"  # the running engine connects again with it
SIGNAL_SCALE = 4  # ModemStatus.bars: 0..4, as the window draws them


@dataclass(frozen=True)
class Seen:
    """What the file holds."""

    state: str
    since: datetime  # aware UTC: when the modem came into this state
    signal: int | None  # bars, 0..SIGNAL_SCALE; None when unknown
    pin_kind: str | None
    problem: str | None  # the modem layer's plain words, when it has some
    port: str | None


def path_for(profile: Profile) -> Path:
    return profile.data_dir / FILE_NAME


# Per data folder: what was last written (an engine per profile; tests run several), and the
# state last warned about (or READY): connecting again between two failed attempts is no change.
_last: dict[Path, Seen] = {}
_warned: dict[Path, tuple[str, str | None]] = {}


def _same(a: Seen, b: Seen) -> bool:
    return (a.state, a.signal, a.pin_kind, a.problem, a.port) == (
        b.state, b.signal, b.pin_kind, b.problem, b.port,
    )  # fmt: skip


def warning_for(seen: Seen) -> str | None:
    """The plain WARNING for a state a person must act on; None for the others."""
    if seen.state == ModemState.DISCONNECTED and seen.problem:  # without: stopped on purpose
        return f"{seen.problem} Texts wait until the modem is back; TextDesk keeps looking for it."
    if seen.state == ModemState.PIN_NEEDED:
        return f"The SIM needs its {seen.pin_kind or 'PIN'}: enter it with {PIN_COMMAND}."
    if seen.state == ModemState.NO_NETWORK:
        return "The modem is not on a network: texts wait until it is."
    if seen.state == ModemState.ERROR:
        return f"The modem needs a person: {seen.problem or 'it reported an error'}."
    return None


def note(profile: Profile | None, status: ModemStatus, now: datetime) -> None:
    """The engine saw ``status``: warn once when the state changed to one a person must act on,
    and rewrite the file only when what it would say changed."""
    if profile is None:
        return
    path = path_for(profile)
    bars = status.bars if status.signal is not None else None
    before = _last.get(path)
    since = before.since if before is not None and before.state == status.state else utc(now)
    seen = Seen(str(status.state), since, bars, status.pin_kind, status.last_error, status.port)
    if before is not None and _same(before, seen):
        return
    _warn(path, seen)
    _last[path] = seen
    _write(path, seen)


def _warn(path: Path, seen: Seen) -> None:
    """One WARNING when the modem comes into a state a person must act on (an unplugged modem,
    a SIM asking for its PIN...), one when it is ready again; nothing while it only tries again
    (CONNECTING between two failed attempts, the same state with other words)."""
    if seen.state == ModemState.CONNECTING:
        return
    key = (seen.state, seen.pin_kind)
    before = _warned.get(path)
    if key == before:
        return
    words = warning_for(seen)
    if words:
        log.warning("%s", words)
        _warned[path] = key
    elif seen.state == ModemState.READY:
        if before is not None and before[0] != ModemState.READY:
            log.warning("The modem is ready again.")
        _warned[path] = key


def _write(path: Path, seen: Seen) -> None:
    data = {
        "state": seen.state,
        "since": seen.since.isoformat(),
        "signal": seen.signal,
        "pin_kind": seen.pin_kind,
        "problem": seen.problem,
        "port": seen.port,
        "pid": os.getpid(),
    }
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # a full disk must not stop the engine; status then shows the old one
        log.warning("TextDesk could not write %s (%s)", path, exc.strerror)


def read(profile: Profile) -> Seen | None:
    """What the engine last wrote; None when there is no file or it cannot be read."""
    try:
        data = json.loads(path_for(profile).read_text(encoding="utf-8"))
        return Seen(
            state=str(data["state"]),
            since=utc(datetime.fromisoformat(data["since"])),
            signal=data.get("signal"),
            pin_kind=data.get("pin_kind"),
            problem=data.get("problem"),
            port=data.get("port"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def describe(seen: Seen) -> str:
    """Plain words for ``textdesk status``."""
    since = seen.since.astimezone().strftime("%H:%M")
    if seen.state == ModemState.READY:
        signal = "unknown" if seen.signal is None else f"{seen.signal}/{SIGNAL_SCALE}"
        return f"Ready, signal {signal}" + (f" (on {seen.port})" if seen.port else "")
    if seen.state == ModemState.PIN_NEEDED:
        return f"The SIM needs its {seen.pin_kind or 'PIN'}: enter it with {PIN_COMMAND}"
    if seen.state == ModemState.NO_NETWORK:
        return f"The modem is not on a network since {since}"
    if seen.state == ModemState.CONNECTING:
        return f"Connecting to the modem (since {since})"
    if seen.state == ModemState.DISCONNECTED:
        return f"No modem connected since {since}" + (f": {seen.problem}" if seen.problem else "")
    return f"The modem needs a person since {since}: {seen.problem or 'it reported an error'}"
