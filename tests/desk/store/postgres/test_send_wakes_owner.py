"""``textdesk send`` (the real command, a process of its own) on a profile pointed at the shop's
PostgreSQL server, next to a running counter that drives the modem (the virtual modem on a real
TCP socket): the command notifies when it commits, so the owner takes the text at once. The owner
runs no fallback cycle of its own any more (desk.engine.server_side._watch_server), so the text
going out within a second is the notification's doing."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from desk.base import events as ev
from desk.store.models import Message
from modem.sim.virtual_modem import VirtualModem
from tests.desk.store.postgres.test_counters_engine import (
    CUSTOMER,
    counter,
    on_core,
    prepare,
    ready,
    vm,  # noqa: F401  (the fixture)
)
from tests.helpers.waits import wait_until

ROOT = Path(__file__).resolve().parents[4]


def test_textdesk_send_wakes_the_owner_at_once(
    tmp_path: Path, pg_url: str, vm: VirtualModem
) -> None:  # noqa: F811
    prepare(pg_url)
    device = vm.device
    assert device is not None
    a, sink = counter(tmp_path, pg_url, "Front desk", device)
    try:
        sink.wait(ready)
        core = a._core
        assert core is not None and core.generation is not None
        lags = []
        for n in range(3):
            text = f"Your car is ready ({n})"
            done = subprocess.run(
                [sys.executable, "-m", "desk.cli.main", "--profile", str(tmp_path / "till"),
                 "--database", pg_url, "send", CUSTOMER, text],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            exited = time.monotonic()
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("queued message "), done.stdout
            wait_until(
                lambda text=text: any(s.get("text") == text for s in vm.submitted()),
                5, "the owner sent it",
            )  # fmt: skip
            lags.append(time.monotonic() - exited)
        mids = on_core(a, lambda: [m.id for m in Message.select().order_by(Message.id)])
        for mid in mids:  # the owner's window was told each text once
            sink.wait(lambda e, mid=mid: isinstance(e, ev.MessageAdded) and e.message_id == mid)
        print(f"textdesk send → the owner's modem: median {statistics.median(lags) * 1000:.0f} ms, "
              f"max {max(lags) * 1000:.0f} ms over {len(lags)}")  # fmt: skip
        assert max(lags) < 1.0, lags
    finally:
        a.stop()
