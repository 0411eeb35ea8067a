"""The window's storage banner says when the log file cannot be written (a log handler whose
disk is full, logging from another thread) and takes it away when writing works again; the
core's own storage trouble is never taken away by it."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desk.base import logs
from tests.ui.conftest import Desk
from ui.log_trouble import LogTrouble
from ui.storage_banner import StorageBanner


class FullDisk:
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass


@pytest.fixture
def handler(tmp_path: Path) -> Iterator[logs.QuietFileHandler]:
    logs._trouble = None
    h = logs.QuietFileHandler(tmp_path / "textdesk.log", encoding="utf-8")
    log = logging.getLogger("desk.test.banner")
    log.addHandler(h)
    log.propagate = False
    yield h
    log.removeHandler(h)
    log.propagate = True
    h.close()
    logs._trouble = None


def log_from_a_thread(text: str) -> None:
    t = threading.Thread(target=logging.getLogger("desk.test.banner").warning, args=(text,))
    t.start()
    t.join()


def test_the_banner_says_the_log_cannot_be_written_and_clears(
    qtbot: Any, handler: logs.QuietFileHandler
) -> None:
    banner = StorageBanner()
    qtbot.addWidget(banner)
    LogTrouble(banner)
    assert banner.isHidden()
    working = handler.stream
    handler.stream = FullDisk()  # type: ignore[assignment]
    log_from_a_thread("one")
    log_from_a_thread("two")
    qtbot.waitUntil(lambda: not banner.isHidden(), timeout=5000)
    assert "cannot write its log file" in banner.text.text()
    assert "the disk is full" in banner.text.text()
    handler.stream = working
    log_from_a_thread("three")
    qtbot.waitUntil(banner.isHidden, timeout=5000)


def test_the_cores_trouble_stays_when_the_log_recovers(
    qtbot: Any, handler: logs.QuietFileHandler
) -> None:
    banner = StorageBanner()
    qtbot.addWidget(banner)
    LogTrouble(banner)
    working = handler.stream
    handler.stream = FullDisk()  # type: ignore[assignment]
    log_from_a_thread("one")
    qtbot.waitUntil(lambda: not banner.isHidden(), timeout=5000)
    banner.show_trouble("The disk is full: new texts stay on the SIM")  # the core says so
    handler.stream = working
    log_from_a_thread("two")
    qtbot.wait(100)
    assert not banner.isHidden() and banner.text.text().startswith("The disk is full: new texts")


def test_the_windows_banner_listens_to_the_log(desk: Desk) -> None:
    banners = desk.window.findChildren(StorageBanner)
    assert len(banners) == 1
    assert banners[0].findChildren(LogTrouble)
