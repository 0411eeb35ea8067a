"""Why a waiting outgoing text has not gone yet, and until when, in the words its bubble shows.

Read from what the core wrote on the message (``desk.messaging.send_queue`` records the hold:
quiet hours, the per-minute or per-day limit, until when; ``desk.messaging.outbox`` the retry
after a temporary modem error, with the modem's code) and, given by the caller, why the modem
cannot send at all right now. Nothing here writes; no Qt.

    wait = why_waiting(row, now=clock.now(), zone=shop_zone, limits=Limits(6, 30))
    wait.words   # "Waiting: quiet hours for automated texts, goes at 08:00."
    wait.can_send_now  # a hold staff may override with "Send now"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from desk.read.queries import MessageRow
from desk.store import models as m

__all__ = ["MODEM", "QUEUE", "SCHEDULED", "Limits", "Wait", "clock_words", "why_waiting"]

QUEUE = "queue"  # nothing holds it: next in line
MODEM = "modem"  # the modem cannot send (not connected, no network, PIN...)
SCHEDULED = "scheduled"  # a time it was set to go at


@dataclass(frozen=True)
class Limits:
    """The per-minute limits in force (settings rate_per_minute, rate_per_minute_staff) and the
    per-day one, to name them in the words."""

    per_minute: int = 6
    per_minute_staff: int = 30
    per_day: int = 300


@dataclass(frozen=True)
class Wait:
    reason: str  # models.HELD_*, or QUEUE / MODEM / SCHEDULED
    until: datetime | None  # aware UTC; None: not known (the modem) or now
    words: str  # the bubble's line, "" when there is nothing to say beyond "Waiting to send"
    can_send_now: bool  # staff may send it now, past the hold ("Send now", audited)


def clock_words(zone: tzinfo, now: datetime) -> Callable[[datetime], str]:
    """ "14:03" today, "Tue 08:00" on another day, in ``zone``."""

    def words(when: datetime) -> str:
        local = when.astimezone(zone)
        same_day = local.date() == now.astimezone(zone).date()
        return f"{local:%H:%M}" if same_day else f"{local:%a} {local:%H:%M}"

    return words


_RETRY_TAIL = " Trying again automatically"


def _modem_answer(row: MessageRow) -> str:
    """The modem's refusal in words, without the outbox's "Trying again" tail."""
    reason = (row.error or "").split(_RETRY_TAIL)[0].strip()
    if row.error_code is not None:
        return f"the modem answered error {row.error_code}" + (
            f" ({reason.rstrip('.')})" if reason else ""
        )
    return reason.rstrip(".") or "the modem could not send it"


def _hold(
    row: MessageRow,
    now: datetime,
    say: Callable[[datetime], str],
    limits: Limits,
    theirs: Callable[[datetime], str],
) -> Wait | None:
    """The hold the core recorded that still applies at ``now``, else None."""
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        words = f"Waiting: {_modem_answer(row)}, retrying at {say(row.next_attempt_at)}."
        return Wait(m.HELD_RETRY, row.next_attempt_at, words, True)
    until = row.held_until
    if row.held_reason and until is not None and until > now:
        if row.held_reason == m.HELD_QUIET_HOURS:
            words = (
                f"Waiting: quiet hours for automated texts, goes at {say(until)}{theirs(until)}."
            )
        elif row.held_reason == m.HELD_RATE_MINUTE:
            limit = (
                limits.per_minute
                if row.automated
                else max(limits.per_minute_staff, limits.per_minute)
            )
            whose = " for automated texts" if row.automated else ""
            words = f"Waiting: held by the {limit}-a-minute limit{whose}, goes at {say(until)}."
        elif row.held_reason == m.HELD_RATE_DAY:
            words = f"Waiting: today's {limits.per_day} automated texts have gone, goes at {say(until)}."
        else:
            words = f"Waiting until {say(until)}."
        return Wait(row.held_reason, until, words, True)
    if row.not_before is not None and row.not_before > now:
        if row.automated:  # quiet hours, recorded before the reason was
            words = (
                "Waiting: quiet hours for automated texts, goes at "
                f"{say(row.not_before)}{theirs(row.not_before)}."
            )
            return Wait(m.HELD_QUIET_HOURS, row.not_before, words, True)
        return Wait(SCHEDULED, row.not_before, f"Scheduled for {say(row.not_before)}.", True)
    return None


def why_waiting(
    row: MessageRow,
    *,
    now: datetime | None = None,
    zone: tzinfo = UTC,
    limits: Limits | None = None,
    modem_waiting: str = "",
    say: Callable[[datetime], str] | None = None,
    customer_zone: tzinfo | None = None,
) -> Wait | None:
    """Why ``row`` (a queued outgoing text) waits; None for any other message.

    ``modem_waiting``: why the modem cannot send now ("the modem has no mobile network"), "" when
    it can. ``say`` formats a time (default ``clock_words``). ``customer_zone``: the customer's
    time zone, to say when quiet hours end on their clock too when it differs from ``zone``."""
    if not (row.outgoing and row.state == m.QUEUED):
        return None
    now = now or datetime.now(UTC)
    say = say or clock_words(zone, now)

    def theirs(when: datetime) -> str:
        """ " (08:00 for the customer)" when their clock reads otherwise than the shop's."""
        if (
            customer_zone is None
            or when.astimezone(customer_zone).utcoffset() == when.astimezone(zone).utcoffset()
        ):
            return ""
        return f" ({when.astimezone(customer_zone):%H:%M} for the customer)"

    hold = _hold(row, now, say, limits or Limits(), theirs)
    if modem_waiting:
        words = f"Waiting: {modem_waiting}. It goes as soon as the modem can send."
        if hold is not None:
            words += f" Also: {hold.words.removeprefix('Waiting: ').rstrip('.')}."
        return Wait(MODEM, hold.until if hold else None, words, False)
    if hold is not None:
        return hold
    if row.error:  # a retry that is due: the modem's earlier answer still explains the wait
        return Wait(m.HELD_RETRY, None, f"Waiting: {_modem_answer(row)}; retrying now.", False)
    return Wait(QUEUE, None, "", False)
