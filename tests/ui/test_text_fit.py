"""What staff read at the counter is whole on a 1366x768 screen at 100 % and 200 % text: the SIM
balance (its amount and until when, the whole reply in the tooltip), a long status-bar note (an
erasure's, in a band of its own across the bar, never cut), every customer's full name in the
conversation list (markers beside it only when both fit, else on the second line), and an
internal note wrapped between words. The real window on the demo shop with the virtual modem,
offscreen, in a process of its own (tests/ui/text_fit_probe.py); widths by the fonts' metrics."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QFont, QFontMetrics

from tests.ui.counter_screen import run_probe
from ui.status_bar import LONG_BALANCE, short_balance
from ui.thread_delegate import wrapped


@pytest.fixture(scope="module", params=[1.0, 2.0], ids=["100%", "200%"])
def seen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("fit")
    got = run_probe("tests.ui.text_fit_probe", tmp, tmp / "profile", request.param)
    got["scale"] = request.param
    if request.param == 2.0:  # the text really is twice as large
        assert got["balance"]["font_px"] >= 1.8 * got["base_px"]
    return got


def _overlap(a: list[float], b: list[float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_the_sim_balance_says_the_amount_and_until_when(seen: Any) -> None:
    bal = seen["balance"]
    assert bal["text"] == "Balance 12.34 USD, until 31/12", bal
    assert bal["tip"].startswith("Your balance is 12.34 USD. Valid until 31/12."), bal
    assert bal["visible"] and bal["width"] >= bal["needs"], bal  # not cut
    assert bal["right"] <= seen["window"][0] <= 1366, bal


def test_a_long_status_note_is_shown_whole(seen: Any) -> None:
    note = seen["long_note"]
    assert note["current"] == note["text"]
    assert note["shown"] == note["text"], note  # the whole words, nowhere cut
    if seen["scale"] == 2.0:  # too long for the room beside the state: the band across the bar
        assert note["band"] and note["inline"] == "", note
    assert note["height"] >= note["needs_height"], note  # every wrapped line has its room
    if not note["band"]:
        assert note["width"] >= note["needs_width"], note
    x, y, width, height = note["rect"]
    assert x >= 0 and x + width <= seen["window"][0] and y + height <= note["bar_bottom"], note
    assert note["bar_bottom"] <= 768 and note["state_visible"], note  # the modem state stays
    # A short one stays beside the modem state, the bar one line high.
    assert seen["short_note"] == {"inline": "Saved.", "band": False}


def test_every_customer_name_is_whole_and_the_markers_give_way(seen: Any) -> None:
    rows = {r["title"]: r for r in seen["rows"]}
    for name in ("Olivia Brown", "Ahmed Karimi"):  # assigned, and with a marker of their own
        assert [t for t, _r in rows[name]["markers"]], rows[name]
    for r in seen["rows"]:
        assert r["drawn"] == r["title"], r  # the full name, never "Olivia B…"
        assert r["name_right"] <= r["time"][0], r  # left of the time
        x, y, width, height = r["item"]
        for text, rect in r["markers"]:
            assert rect[0] >= x and rect[0] + rect[2] <= x + width, (text, r)
            assert rect[1] >= y and rect[1] + rect[3] <= y + height, (text, r)
            name_text = [
                r["name_rect"][0],
                r["name_rect"][1],
                r["name_right"] - r["name_rect"][0],
                r["name_rect"][3],
            ]
            assert not _overlap(rect, name_text), (text, r)
            assert not _overlap(rect, r["time"]), (text, r)
        assert not r["hidden"], r  # the demo's markers all fit (a "+N" marker otherwise)
    if seen["scale"] == 2.0:  # at 200 % the markers of the assigned ones are on line 2
        olivia = rows["Olivia Brown"]
        assert all(rect[1] > olivia["name_rect"][1] + 0.5 * olivia["name_rect"][3]
                   for _t, rect in olivia["markers"]), olivia  # fmt: skip


def test_the_preview_keeps_room_for_what_the_customer_wrote(seen: Any) -> None:
    """At 200 % the list is narrow for its text: every row has a third line, so a preview is
    never squeezed to a few characters behind markers that moved to line 2."""
    wide = seen["scale"] == 1.0
    for r in seen["rows"]:
        x, y, width, height = r["item"]
        assert r["lines"] == (2 if wide else 3), r
        assert height >= r["lines"] * r["line_px"], r  # the row's height holds its lines
        whole = r["whole_preview"]
        shown = (r["preview"] + " " + r["preview2"]).strip().removesuffix("…").strip()
        assert whole.startswith(shown.split(" ")[0]), r  # the preview's own words, in order
        assert len(shown) >= min(len(whole), 25), r  # never just a few characters
        rects = [r["preview_rect"], *([r["preview2_rect"]] if r["preview2"] else [])]
        for rect in rects:
            assert rect[0] >= x and rect[0] + rect[2] <= x + width + 0.5, r
            assert rect[1] >= y and rect[1] + rect[3] <= y + height + 0.5, r
            for _text, marker in r["markers"]:
                assert not _overlap(rect, marker), r
            if r["badge"] is not None:
                assert not _overlap(rect, r["badge"]), r
        if not wide and len(whole) > 40 and not r["markers"]:
            assert r["preview2"], r  # a long text goes on to line 3
            assert len(shown) >= 40, r


def test_an_internal_note_wraps_between_words(seen: Any) -> None:
    (note,) = seen["notes"]
    lines = note["lines"]
    assert "".join(lines) == note["body"]
    if seen["scale"] == 2.0:
        assert len(lines) >= 2, lines  # long enough to wrap at 200 %
    words = note["body"].split()
    assert max(note["widths"]) < note["line_width"]  # every word fits a line...
    for line in lines[:-1]:  # ...so each line ends at the end of a word
        assert line.endswith(" "), lines
    assert [w for line in lines for w in line.split()] == words, lines  # no word split


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ("Your balance is 12.34 USD. Valid until 31/12.", "Balance 12.34 USD, until 31/12"),
        ("Saldo: 5,00 EUR. Gueltig bis 31.12.2026", "Balance 5,00 EUR"),
        ("Balance $3.50", "Balance $3.50"),
        (
            "Your credit is KES 120.00, expires on 2027-01-31.",
            "Balance KES 120.00, until 2027-01-31",
        ),
        ("OK", "OK"),  # short: as it came
        ("Thank you. Your request is being processed; you will get an SMS shortly.", LONG_BALANCE),
    ],
)
def test_the_balance_button_words(reply: str, shown: str) -> None:
    assert short_balance(reply) == shown


def test_wrapping_breaks_inside_a_word_only_when_it_is_longer_than_a_line(qapp: Any) -> None:
    font = QFont(qapp.font())
    font.setPointSizeF(20)
    fm = QFontMetrics(font)
    width = fm.horizontalAdvance("I said I would confirm")
    lines = wrapped(
        "I said I would confirm today. Link: https://x.example/" + "a" * 60, font, width
    )
    texts = lines.texts()
    assert texts[:2] == ["I said I would confirm ", "today. Link: "], texts
    assert "".join(texts) == "I said I would confirm today. Link: https://x.example/" + "a" * 60
    assert len(texts) >= 4  # the link, wider than a line, is cut into pieces that fit
    assert all(fm.horizontalAdvance(t.rstrip()) <= width for t in texts), texts
    assert lines.width <= width and lines.height == len(texts) * fm.lineSpacing()
    assert wrapped("one\ntwo", font, width).texts() == ["one", "two"]  # the sender's new lines
