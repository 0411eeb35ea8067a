"""At 200 % text on a 1366x768 screen, a conversation row with a long customer name, three
unread texts, "Needs attention", assigned to Anna and a long last text still says what the
customer wrote: at least about 25 characters of it (also at 100 %, where the markers share line
2 with the preview and say "Attention" for "Needs attention"), the name whole or elided at its
end only, the markers and the unread badge whole, nothing outside the row the list gives it.
The real window on a real SQLite profile, offscreen, in a process of its own
(tests/ui/list_preview_probe.py); measured from the delegate's own layout (what paint draws)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.counter_screen import run_probe


@pytest.fixture(scope="module", params=[1.0, 2.0], ids=["100%", "200%"])
def seen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("preview")
    got = run_probe("tests.ui.list_preview_probe", tmp, tmp / "profile", request.param)
    got["scale"] = request.param
    return got


def _inside(rect: list[float], item: list[float]) -> bool:
    x, y, w, h = rect
    ix, iy, iw, ih = item
    return x >= ix and y >= iy and x + w <= ix + iw + 0.5 and y + h <= iy + ih + 0.5


def _overlap(a: list[float], b: list[float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_the_row_fits_the_screen_and_its_height(seen: Any) -> None:
    assert seen["window"][0] <= 1366 and seen["window"][1] <= 768, seen
    if seen["scale"] == 2.0:
        assert seen["font_px"] >= 26, seen  # the text really is large
    # the height the list gave the row is the one the delegate laid it out in
    assert seen["row_height"] == seen["item"][3], seen


def test_the_name_is_whole_or_elided_at_its_end(seen: Any) -> None:
    name, title = seen["name"], seen["title"]
    assert name == title or (name.endswith("…") and title.startswith(name[:-1])), seen
    assert len(name.removesuffix("…")) >= 15, seen  # a long name, not a stub
    x, _y, _w, _h = seen["name_rect"]
    assert x + seen["name_needs"] <= seen["time"][0], seen  # the bold name, left of the time
    assert _inside(seen["name_rect"], seen["item"]), seen


def test_the_markers_and_the_unread_badge_are_whole(seen: Any) -> None:
    words = [t for t, _r, _need in seen["markers"]]
    # at 100 % they share line 2 with the preview: "Needs attention" in the filter's short word
    attention = "Needs attention" if seen["scale"] == 2.0 else "Attention"
    assert words == [attention, "Anna"] and not seen["hidden"], seen
    assert seen["badge"] == "3" and seen["badge_rect"] is not None, seen
    for text, rect, needs in seen["markers"]:
        assert rect[2] >= needs, (text, seen)  # the pill holds its words
        assert _inside(rect, seen["item"]), (text, seen)
        assert not _overlap(rect, seen["badge_rect"]), (text, seen)
        assert not _overlap(rect, seen["time"]), (text, seen)
    assert _inside(seen["badge_rect"], seen["item"]), seen


def test_the_preview_says_what_the_customer_wrote(seen: Any) -> None:
    lines = seen["preview"]
    shown = " ".join(text for text, _r, _w in lines)
    words = shown.removesuffix("…").split()
    assert " ".join(words) in seen["whole_preview"], seen  # the text's own words, in order
    assert len(shown.removesuffix("…")) >= 25, seen  # never a few characters
    if seen["scale"] == 2.0:  # after the markers on line 2, and on over the row's third line
        assert len(lines) == 2 and len(shown) >= 30, seen
    for text, rect, needs in lines:
        assert needs <= rect[2] + 0.5, (text, seen)  # the elided text fits its rectangle
        assert _inside(rect, seen["item"]), (text, seen)
        assert not _overlap(rect, seen["badge_rect"]), (text, seen)
        assert not _overlap(rect, seen["name_rect"]), (text, seen)
        for marker, mrect, _need in seen["markers"]:
            assert not _overlap(rect, mrect), (marker, text, seen)
