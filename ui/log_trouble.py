"""The log file cannot be written (the disk is full): said on the window's storage banner, and
taken away when writing works again. desk.base.logs says when; it may say it from any thread
that logs, so the words travel to the GUI thread by a queued signal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desk.base import logs

if TYPE_CHECKING:
    from ui.storage_banner import StorageBanner


class LogTrouble(QObject):
    changed = Signal(object)  # str | None

    def __init__(self, banner: StorageBanner) -> None:
        super().__init__(banner)
        self.banner = banner
        self.shown: str | None = None
        self.changed.connect(self._show)
        emit = self.changed.emit
        unwatch = logs.watch(emit)
        self.destroyed.connect(lambda *_: unwatch())
        self._show(logs.trouble())

    def _show(self, text: str | None) -> None:
        if text:
            if self.banner.isHidden() or self.banner.text.text() == self.shown:
                self.banner.show_trouble(text)  # the core's own trouble stays when it has one
        elif self.shown is not None and self.banner.text.text() == self.shown:
            self.banner.clear()  # only our own words are taken away
        self.shown = text


def attach(banner: StorageBanner) -> LogTrouble:
    return LogTrouble(banner)
