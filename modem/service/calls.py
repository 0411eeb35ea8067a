"""Voice calls on the modem thread: the rings of an incoming call, its caller, its end.

TextDesk never answers a call; a shop that misses one wants to know who called. A call is known
from RING, or +CRING: VOICE after AT+CRC=1 (repeated every few seconds while it rings), its
caller from +CLIP after AT+CLIP=1 (with each ring; none or withheld: no number), and its end
from NO CARRIER, Huawei's ^CEND, or the rings stopping: many modems print nothing when the
caller gives up, so no ring for ``ring_gap`` seconds ends it. Each ended call is one CallMissed.
A data or fax call (+CRING: ASYNC, FAX ...) is not a customer calling and is left alone.

Declining, once ``decline_after`` rings came (the service's ``decline_calls_after`` request sets
it): AT+CHUP (27.007, hang up a voice call), ATH where the modem does not take AT+CHUP
(remembered per connection).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from modem.at import urc
from modem.at.channel import CommandError
from modem.events import CallMissed
from modem.service.host import ServiceHost

log = logging.getLogger(__name__)
RING_GAP = 8.0  # networks ring every 3-6 s: this long without one, the caller has given up
VOICE = (None, "VOICE")  # RING (no type given) or +CRING: VOICE


class Calls:
    def __init__(
        self, svc: ServiceHost, *, decline_after: int | None = None, ring_gap: float = RING_GAP
    ) -> None:
        self.svc = svc
        self.decline_after = decline_after
        self.ring_gap = ring_gap
        self._rings = 0
        self._number: str | None = None
        self._last: float | None = None  # monotonic time of the last ring (None: no call)
        self._hang_up = False  # to be declined at the next turn of the thread
        self._declined = False
        self._chup: bool | None = None  # AT+CHUP works on this connection (None: not tried)

    def on_urc(self, u: urc.Urc) -> None:
        if isinstance(u, urc.Ring):
            if u.kind not in VOICE:
                return
            self._rings += 1
            self._last = time.monotonic()
            if self.decline_after and self._rings >= self.decline_after and not self._declined:
                self._hang_up = True
        elif isinstance(u, urc.CallerId):
            if self._last is None:  # some modems give the caller before the first RING
                self._last = time.monotonic()
            if u.number:
                self._number = u.number
        elif isinstance(u, urc.CallEnded):
            self._end()

    def active(self) -> bool:
        return self._last is not None

    def set_decline_after(self, rings: str) -> None:
        """``rings`` as text ("" for none): the service's "decline" request. A call ringing
        now that has rung that often already is hung up at the next turn."""
        self.decline_after = int(rings) if rings else None
        if self.decline_after and self.active() and self._rings >= self.decline_after:
            self._hang_up = not self._declined

    def due(self, now: float) -> bool:
        """Whether ``work`` has something to do now: a hang-up asked, or rings that stopped."""
        return self._hang_up or (self._last is not None and now >= self._last + self.ring_gap)

    def next_due(self) -> float:
        return float("inf") if self._last is None else self._last + self.ring_gap

    def work(self, now: float) -> None:
        if self._hang_up:
            self._hang_up = False
            self._hang_up_now()
        elif self._last is not None and now >= self._last + self.ring_gap:
            self._end()

    def on_disconnect(self) -> None:
        """The connection is gone: a call that rang was still missed; AT+CHUP is tried again on
        the next modem."""
        self._end()
        self._chup = None

    def _hang_up_now(self) -> None:
        if not self.active():
            return
        for cmd in ("AT+CHUP", "ATH") if self._chup is not False else ("ATH",):
            try:
                self.svc.command(cmd, expect=None)
            except CommandError as exc:
                if exc.final == "NO CARRIER":  # ATH's answer on some modems: the call is gone
                    break
                if cmd == "AT+CHUP":
                    self._chup = False
                    continue
                log.info("could not decline the call: %s", exc.reason)
                return
            if cmd == "AT+CHUP":
                self._chup = True
            break
        self._declined = True
        self._end()

    def _end(self) -> None:
        if self._last is None:
            return
        self.svc.emit(
            CallMissed(self._number, self._rings, datetime.now(UTC), declined=self._declined)
        )
        self._rings, self._number, self._last = 0, None, None
        self._hang_up = self._declined = False
