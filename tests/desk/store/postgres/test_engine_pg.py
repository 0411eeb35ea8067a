"""The engine on the shop's PostgreSQL server (the real one) with the virtual modem on a real pty:
a reply goes out, a customer's text is stored and found by search. One counter, one modem; the
election between counters is issue 15's other half."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from desk.base.paths import resolve_profile
from desk.read import search
from desk.store.models import Message
from ui import session

T = TypeVar("T")


def _until(check: Callable[[], T], timeout: float = 20.0) -> T:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_send_and_receive_through_the_server(tmp_path: Path, pg_url: str) -> None:
    profile = resolve_profile(tmp_path, database=pg_url).ensure()
    s = session.start(profile, virtual=True, window=False)
    try:
        mid = s.engine.send("+12025550143", "Your car is ready").result(10)

        def state() -> str:
            return str(s.engine.call(lambda: Message.get_by_id(mid).state).result(5))

        assert _until(lambda: state() in ("sent", "delivered") and state())
        s.vm.control({"cmd": "deliver", "from": "+12025550143", "text": "Merci, à bientôt"})

        def found() -> list[search.Hit]:
            return s.engine.call(lambda: search.search("bientot")).result(5)

        hits = _until(found)
        assert [h.message_id for h in hits if h.message_id] and "bientôt" in hits[0].snippet
        assert not profile.db_path.exists()
    finally:
        s.close()
