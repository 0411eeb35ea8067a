"""``textdesk remind`` (the real command, a process of its own) on a profile pointed at the shop's
PostgreSQL server, next to a running counter that drives the modem: the command notifies
(desk.engine.live.REMINDERS), so the owner plans its next wake-up from the new reminder at once
and the text goes out when it is due, not at the owner's next idle look (up to a minute later).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desk.base import events as ev
from desk.store.settings import Settings
from modem.sim.virtual_modem import VirtualModem
from tests.desk.store.postgres.test_counters_engine import CUSTOMER, counter, prepare, ready
from tests.helpers.waits import wait_until

ROOT = Path(__file__).resolve().parents[4]


def test_textdesk_remind_wakes_the_owner_for_the_due_time(
    tmp_path: Path, pg_url: str, tcp_modem: VirtualModem
) -> None:
    prepare(pg_url)
    Settings().set("quiet_hours", "off")  # the test may run at any hour
    device = tcp_modem.device
    assert device is not None
    a, sink = counter(tmp_path, pg_url, "Front desk", device)
    try:
        sink.wait(ready)
        time.sleep(1.0)  # the owner is idle now, its next look planned without this reminder
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        done = subprocess.run(
            [sys.executable, "-m", "desk.cli.main", "--profile", str(tmp_path / "till"),
             "--database", pg_url, "remind", "--at", due.isoformat(), CUSTOMER,
             "Your bike is ready to collect"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("reminder "), done.stdout
        sink.wait(lambda e: isinstance(e, ev.RemindersChanged))  # the owner's list was told

        def sent() -> bool:
            return any("bike is ready" in str(s.get("text")) for s in tcp_modem.submitted())

        wait_until(sent, 20, "the owner sent the reminder")
        late = datetime.now(UTC) - due
        print(f"reminder sent {late.total_seconds():.2f} s after its due time")
        assert late < timedelta(seconds=3), late
    finally:
        a.stop()
