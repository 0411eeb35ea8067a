"""Logging to the user log dir (rotating), optionally also to stdout (``textdesk serve``)."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from desk.base.paths import Profile

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
# Names of the handlers ``configure`` adds, so that configuring again replaces them.
_FILE, _STDOUT = "textdesk.file", "textdesk.stdout"


def configure(profile: Profile, *, stdout: bool = False, level: int = logging.INFO) -> None:
    profile.log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if handler.name in (_FILE, _STDOUT):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        profile.log_path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler.name = _FILE
    root.addHandler(file_handler)
    # A windowed (frozen, no console) build has no stderr/stdout at all.
    if stdout and sys.stdout is not None:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
        out.name = _STDOUT
        root.addHandler(out)
