"""The filter buttons above the conversation list show their whole text (counts too) on a
1366x768 screen at 100 % and 200 % text, with the staff filters shown: each button is given at
least the width its text needs by its own font's metrics (no eliding), none overlaps another or
leaves the pane, and the list starts below them; signed in, with a conversation open, the window
is no wider than the screen. The real window on the demo shop with the
virtual modem, offscreen, in a process of its own (tests/ui/filter_probe.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.counter_screen import run_probe


def _probe(tmp_path: Path, scale: float) -> dict[str, Any]:
    return run_probe("tests.ui.filter_probe", tmp_path, tmp_path / "profile", scale)


def _overlap(a: list[int], b: list[int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_every_filter_button_shows_its_whole_text(tmp_path: Path, scale: float) -> None:
    got = _probe(tmp_path, scale)
    buttons = got["buttons"]
    assert [b["name"] for b in buttons if b["visible"]] == [
        "all", "unread", "open", "callback", "attention", "mine", "unassigned"
    ]  # fmt: skip
    if scale == 2.0:  # the text really is twice as large
        assert all(b["font_px"] >= 1.8 * got["base_px"] for b in buttons)
    attention = next(b for b in buttons if b["name"] == "attention")
    assert attention["text"].startswith("Attention (")  # the demo shop has some
    assert attention["tip"].startswith("Needs attention:")  # the full name in its tooltip
    rows = {b["rect"][1] for b in buttons}
    assert len(rows) <= (2 if scale == 1.0 else 3), rows  # the list keeps its room
    for b in buttons:
        assert b["width"] >= b["hint"], b  # the width its sizeHint asks for...
        assert b["width"] >= b["needs"] + 8, b  # ...which holds the text by its font's metrics
        x, y, width, height = b["rect"]
        assert x >= 0 and x + width <= got["list_right"] + 1, b
        assert y + height <= got["stack_top"], b  # the list starts below the buttons
    # Signed in, a conversation open: the window still fits the 1366-pixel screen.
    assert got["signed_in_shown"] == "Signed in as Anna" and got["assign_shown"]
    assert got["window"][0] <= 1366 and got["window_minimum"] <= 1366, got
    for i, a in enumerate(buttons):
        for b in buttons[i + 1 :]:
            assert not _overlap(a["rect"], b["rect"]), (a, b)
