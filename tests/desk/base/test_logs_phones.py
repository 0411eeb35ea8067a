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


# --- one rule for numbers (issue 13, item 3) --------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "warned"),
    [
        ("+15551234567", "+15551234567", True),  # the README's example: unassigned, still a number
        ("(555) 123-4567", "+15551234567", True),
        ("202 555 0101", "+12025550101", False),
        ("(201) 555-0123", "+12015550123", False),
        ("+44 20 7946 0958", "+442079460958", False),
    ],
)
def test_a_number_of_the_right_length_is_taken_and_an_unknown_one_warned(
    typed: str, stored: str, warned: bool
) -> None:
    assert phones.normalize(typed, "US") == stored
    warning = phones.unknown_number_warning(stored, "US")
    assert (warning is not None) == warned
    if warning:
        assert warning.startswith(phones.display(stored, "US")) and "may be new" in warning


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("555-CALL-NOW", "letters"),
        ("+1 201 555 01", "wrong number of digits"),
        ("12", "not a phone number"),
        ("", "No number"),
    ],
)
def test_only_what_cannot_be_a_number_is_refused(typed: str, words: str) -> None:
    with pytest.raises(phones.InvalidNumber, match=words):
        phones.normalize(typed, "US")
