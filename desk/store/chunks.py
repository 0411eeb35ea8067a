"""Long id lists cut into pieces for ``IN (...)`` queries.

SQLite limits the number of bound parameters in one statement (999 in older builds), so a query
over an unbounded list of ids runs once per piece of ``CHUNK`` ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

CHUNK = 500  # well under SQLite's oldest limit of 999 parameters, leaving room for others


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive pieces of at most ``size`` (none for an empty list)."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
