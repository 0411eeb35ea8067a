"""desk.base.logs (configuring twice replaces TextDesk's handlers, keeps others) and
desk.base.phones.received_number (a sender kept the way the network gave it)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desk.base import logs, phones
from desk.base.paths import Profile


@pytest.fixture
def root_handlers():
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_configure_twice_keeps_one_set_of_handlers(tmp_path: Path, root_handlers) -> None:
    other = logging.NullHandler()
    root_handlers.addHandler(other)
    profile = Profile(data_dir=tmp_path, log_dir=tmp_path / "logs", backup_dir=tmp_path / "b")
    logs.configure(profile, stdout=True)
    logs.configure(profile, stdout=True)
    ours = [h for h in root_handlers.handlers if h.name and h.name.startswith("textdesk.")]
    assert sorted(h.name for h in ours) == ["textdesk.file", "textdesk.stdout"]
    assert other in root_handlers.handlers  # someone else's handler is left alone
    logging.getLogger("desk.test").info("written once")
    for handler in ours:
        handler.flush()
    assert profile.log_path.read_text(encoding="utf-8").count("written once") == 1
    root_handlers.removeHandler(other)


@pytest.mark.parametrize(
    ("raw", "country", "stored"),
    [
        ("+1 202 555 0101", "US", "+12025550101"),
        ("2025550101", "US", "+12025550101"),
        ("02079460958", "GB", "+442079460958"),
        ("12345", "US", "12345"),  # a short code, as it came
        ("MyBank", "US", "MyBank"),
        ("  +15551234567 ", "US", "+15551234567"),  # unassigned in the metadata: still kept
    ],
)
def test_received_number(raw: str, country: str, stored: str) -> None:
    assert phones.received_number(raw, country) == stored
