"""The red storage banner: shown when the core says the disk is full, on every page, gone by itself
when saving works again; the events come from the engine's core thread as in a real episode."""

from __future__ import annotations

import threading
from typing import Any

from desk.base import events as ev
from tests.ui.conftest import Desk

DISK_FULL = "The disk is full: new texts stay on the SIM until there is space; free some space."


def _from_core_thread(desk: Desk, event: ev.DeskEvent) -> None:
    """Hand the event to the engine's subscribers from another thread, as the core loop does."""
    t = threading.Thread(target=desk.engine._emit, args=(event,))
    t.start()
    t.join(5)


def test_disk_full_banner_shows_on_every_page_and_clears_itself(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    banner = w.storage_banner
    assert banner.isHidden()
    _from_core_thread(desk, ev.StorageTrouble("disk_full", DISK_FULL))
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert banner.text.text() == DISK_FULL
    w.tabs.setCurrentIndex(1)  # the Reminders page: still above it
    assert banner.isVisible()
    _from_core_thread(desk, ev.StorageRecovered())
    qtbot.waitUntil(lambda: banner.isHidden(), timeout=5000)
    assert banner.text.text() == ""
