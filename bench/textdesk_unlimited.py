"""``textdesk`` (the same command line and code a shop runs) with the send-rate limit lifted.

A shop's TextDesk sends at most ``rate_per_minute`` texts a minute (60 at the most: carriers'
spam filters), so ``textdesk serve`` as shipped can never show what the engine and the modem
layer cost. The benchmarks run it through this wrapper: every budget the send queue asks for is
unlimited, nothing else changes (quiet hours are switched off in the benchmark's profile).

    python bench/textdesk_unlimited.py --profile DIR --port /dev/pts/N serve
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desk.base.clock import Clock
from desk.messaging import ratelimit
from desk.store.settings import SettingsReader

UNLIMITED = 10**9


def unlimited_budget(
    *,
    settings: SettingsReader | None = None,
    clock: Clock,
    per_minute: int | None = None,
    per_day: int | None = None,
    per_minute_staff: int | None = None,
) -> ratelimit.Budget:
    """A budget that always fits (the usage is still counted, so the query cost stays)."""
    used_minute, used_day, used_automated = ratelimit.usage_of(clock=clock)
    return ratelimit.Budget(
        per_minute=UNLIMITED,
        per_day=UNLIMITED,
        used_minute=used_minute,
        used_day=used_day,
        per_minute_staff=UNLIMITED,
        used_minute_automated=used_automated,
    )


def lift_rate_limit() -> None:
    ratelimit.budget = unlimited_budget


if __name__ == "__main__":
    lift_rate_limit()
    from desk.cli.main import main

    sys.exit(main(sys.argv[1:]))
