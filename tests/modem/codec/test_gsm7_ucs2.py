"""modem.codec.ucs2: UTF-16BE with surrogate pairs, never a lone surrogate out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modem.codec import ucs2


def test_pairs_join_and_lone_surrogates_are_replaced() -> None:
    assert ucs2.decode(bytes.fromhex("D83DDE00")) == "😀"
    assert ucs2.decode(bytes.fromhex("D83D0020")) == "\ufffd "
    assert ucs2.clean("\ud83d\ude00") == "😀"
    assert ucs2.clean("a\udc00b\ud800") == "a\ufffdb\ufffd"
    with pytest.raises(ValueError, match="odd number"):
        ucs2.decode(b"\x00\x41\x00")


def test_units() -> None:
    assert ucs2.units("aж😀") == 4
    assert ucs2.encode("a😀") == bytes.fromhex("0061D83DDE00")


@given(st.text())
def test_round_trip(text: str) -> None:
    body = ucs2.encode(text)
    assert ucs2.decode(body) == text
    assert len(body) == 2 * ucs2.units(text)
    assert ucs2.clean(text) == text
