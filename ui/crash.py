"""Unexpected exceptions become a dialog (on the GUI thread) with the traceback and the log path;
faulthandler writes hard crashes to the profile's crash file, shown at the next start."""

from __future__ import annotations

import faulthandler
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("textdesk.crash")


class CrashHandler(QObject):
    exceptionRaised = Signal(str)

    def __init__(self, log_path: Path, crash_path: Path) -> None:
        super().__init__()
        self.log_path = log_path
        self.crash_path = crash_path
        self.shown: list[str] = []
        self.interactive = True
        self._fault_file: IO[str] | None = None
        self._previous = sys.excepthook
        self.exceptionRaised.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        try:
            self.crash_path.parent.mkdir(parents=True, exist_ok=True)
            self._fault_file = open(self.crash_path, "a", encoding="utf-8")  # noqa: SIM115
            faulthandler.enable(file=self._fault_file, all_threads=True)
        except OSError:
            log.warning("cannot write %s; hard crashes will not be recorded", self.crash_path)

    def uninstall(self) -> None:
        sys.excepthook = self._previous
        if self._fault_file is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        log.error("unexpected error:\n%s", text)
        if sys.stderr is not None:  # a windowed build has none
            try:
                sys.stderr.write(text)
            except (OSError, ValueError):
                pass
        self.exceptionRaised.emit(text)  # queued to the GUI thread if raised elsewhere

    def _show(self, text: str) -> None:
        self.shown.append(text)
        if not self.interactive or QApplication.instance() is None:
            return
        box = QMessageBox()
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("TextDesk hit a problem")
        box.setText("Something went wrong inside TextDesk. Your messages are safe in the database.")
        box.setInformativeText(f"The details are in the log:\n{self.log_path}")
        box.setDetailedText(text)
        box.exec()

    def previous_crash(self) -> str | None:
        """What faulthandler wrote last time (then the file is set aside)."""
        try:
            text = self.crash_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if not text:
            return None
        try:
            self.crash_path.replace(self.crash_path.with_suffix(".old.log"))
        except OSError:
            pass
        return text
