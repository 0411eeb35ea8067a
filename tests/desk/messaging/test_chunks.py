"""chunks(): long id lists in pieces for IN (...) queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.store.chunks import CHUNK, chunks


@given(items=st.lists(st.integers(), max_size=2000), size=st.integers(1, 700))
def test_pieces_keep_every_item_in_order_and_respect_the_size(items, size):
    pieces = list(chunks(items, size))
    assert [x for piece in pieces for x in piece] == items
    assert all(1 <= len(piece) <= size for piece in pieces)
    assert len(pieces) == -(-len(items) // size)


def test_default_size_stays_under_sqlite_s_parameter_limit():
    assert CHUNK < 999
    assert [len(p) for p in chunks(list(range(1201)))] == [500, 500, 201]
    with pytest.raises(ValueError, match="positive"):
        list(chunks([1], 0))
