"""Reconnect backoff: 0.5 s, 1, 2, 4 ... capped (10 s by default), reset after a good connect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    initial: float = 0.5
    cap: float = 10.0
    factor: float = 2.0
    attempts: int = 0

    def next_delay(self) -> float:
        """The wait before the next attempt; each call doubles it, up to ``cap``."""
        delay = min(self.cap, self.initial * (self.factor**self.attempts))
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
