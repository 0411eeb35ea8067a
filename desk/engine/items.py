"""The items the core thread's queue carries besides modem events (desk.engine.core_loop):
calls with Futures, and the markers that end it; and ``write``, a transaction that takes the
write lock first."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from desk.store.db import db

__all__ = ["Call", "Finish", "Stop", "outside", "write"]


@dataclass
class Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any]
    immediate: bool = True  # False: run outside any transaction (erasure, modem restart)


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Finish:
    pass


def write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a transaction that takes the write lock up front (BEGIN IMMEDIATE); inside
    a batch this is a savepoint of the batch's transaction.

    Another process (``textdesk send``, ``textdesk config``) may write between a deferred
    transaction's first read and its first write; SQLite then fails at once with "database is
    locked" (a stale WAL snapshot; the busy timeout does not apply). Taking the lock first makes
    the busy timeout wait instead. The functions' own ``db.atomic()`` blocks become savepoints.
    """
    with db.atomic("IMMEDIATE"):
        return fn(*args, **kwargs)


def outside(item: Any) -> bool:
    """Items handled between batches, outside any transaction."""
    return isinstance(item, Stop | Finish) or (isinstance(item, Call) and not item.immediate)
