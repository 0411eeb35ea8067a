"""The words of a repeating modem trouble: what the modem last answered, never raw bytes."""

from __future__ import annotations

from modem.service.reconnect import Trouble, TroubleLog, shown


def test_line_noise_in_the_last_answer_is_shown_as_dots_not_bytes() -> None:
    log = TroubleLog(window=120, repeat=3)
    for t in (0.0, 1.0, 2.0):
        log.record(Trouble("The modem stopped answering.", "AT+CNMA", "O\x04\x91\ufffdK"), t)
    words = log.describe(now=2.0)
    assert words is not None
    assert 'To AT+CNMA the modem last answered "O···K"' in words
    assert all(ch.isprintable() for ch in words)


def test_a_long_answer_is_cut() -> None:
    assert shown("+CME ERROR: " + "x" * 200).endswith("…")
    assert len(shown("y" * 200)) == 60
    assert shown("  OK  ") == "OK"
