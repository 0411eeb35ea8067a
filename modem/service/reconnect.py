"""Reconnecting without spinning in silence: the backoff, and the record of repeated trouble.

Backoff: 0.5 s, 1, 2, 4 ... capped (10 s by default), reset after a good connect. When trouble
repeats (``TroubleLog``: 3 times in 2 minutes) the service stops resetting it and lets it grow to
``LOOP_FACTOR`` times the cap, and the status says in plain words what the modem last answered
and what TextDesk expected, so staff (and support) see why it keeps reconnecting.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from modem.at.channel import AtError, CommandError
from modem.service.init_ops import SimBusy

LOOP_FACTOR = 6.0  # a repeating loop waits up to this many times the usual cap (1 min default)


@dataclass
class Backoff:
    initial: float = 0.5
    cap: float = 10.0
    factor: float = 2.0
    attempts: int = 0

    def next_delay(self, *, looping: bool = False) -> float:
        """The wait before the next attempt; each call doubles it, up to ``cap`` (or
        ``LOOP_FACTOR`` times ``cap`` while the trouble repeats)."""
        cap = self.cap * LOOP_FACTOR if looping else self.cap
        delay = min(cap, self.initial * (self.factor ** min(self.attempts, 64)))
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0


@dataclass(frozen=True)
class Trouble:
    """One reconnect or re-initialisation: why, and the exchange that led to it."""

    reason: str
    command: str | None = None  # the last command TextDesk sent
    answer: str | None = None  # what the modem last answered to it ("" for nothing)
    expected: str | None = None  # what TextDesk waited for instead


class TroubleLog:
    """The troubles of the last ``window`` seconds; ``repeats`` counts them."""

    def __init__(self, window: float = 120.0, repeat: int = 3) -> None:
        self.window = window
        self.repeat = repeat
        self._times: deque[float] = deque()
        self.last: Trouble | None = None
        self.warned: str | None = None  # the repeating reason already logged as a WARNING

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def record(self, trouble: Trouble, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._prune(now)
        self._times.append(now)
        self.last = trouble

    def repeats(self, now: float | None = None) -> int:
        self._prune(time.monotonic() if now is None else now)
        return len(self._times)

    def looping(self, now: float | None = None) -> bool:
        return self.repeats(now) >= self.repeat

    def note(
        self, reason: str, exc: BaseException | None, exchange: tuple[str | None, list[str]]
    ) -> str | None:
        """Record trouble ``reason`` caused by ``exc`` after the modem's last ``exchange``
        (command, the lines it got); returns ``describe()``."""
        command, lines = exchange
        if not isinstance(exc, AtError | SimBusy):
            command, lines = None, []  # not about what the modem said (open failed, no modem)
        expected = exc.expected if isinstance(exc, AtError) else None
        if isinstance(exc, CommandError):
            expected = f"OK to {exc.command}"
        elif isinstance(exc, SimBusy):
            expected = "the SIM to be ready"
        self.record(Trouble(reason, command, " / ".join(lines), expected))
        return self.describe()

    def describe(self, now: float | None = None) -> str | None:
        """Plain words for a repeating loop (None while it does not repeat)."""
        count = self.repeats(now)
        last = self.last
        if count < self.repeat or last is None:
            return None
        minutes = self.window / 60
        text = f"{last.reason} This happened {count} times in {minutes:g} minutes."
        if last.command:
            said = f'"{shown(last.answer)}"' if last.answer else "nothing"
            text += f" To {last.command} the modem last answered {said}"
            text += f"; TextDesk expected {last.expected}." if last.expected else "."
        elif last.expected:
            text += f" TextDesk expected {last.expected}."
        return text + " TextDesk keeps trying, waiting longer each time."


SHOWN_CHARS = 60


def shown(answer: str) -> str:
    """What the modem answered, fit for a sentence to staff: line noise (control characters,
    bytes that are not text) as "·", long answers cut, so a warning never carries raw bytes."""
    text = "".join(ch if ch.isprintable() and ch != "\ufffd" else "·" for ch in answer.strip())
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return text
