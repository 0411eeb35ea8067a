"""A thread that keeps a PostgreSQL session of its own and connects again when it fails: what the
modem owner election (desk.engine.owner) and the live updates listener (desk.engine.live) share.

A subclass implements ``session()`` (one go on ``self.connection()``: returns when there is
nothing more to do for now, raises psycopg.Error when the connection failed); the thread runs it
until ``stop()``, waiting ``retry_every`` seconds after each go. On a failure the connection is
closed (the next go opens a new one) and ``failed(exc)`` says so; ``ended()`` runs as the thread
leaves, after the connection is closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

__all__ = ["Connect", "SessionThread"]

log = logging.getLogger(__name__)

Connect = Callable[[], "psycopg.Connection[Any]"]


class SessionThread:
    name = "pg-session"

    def __init__(self, connect: Connect, *, retry_every: float) -> None:
        self._connect = connect
        self.retry_every = retry_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._con: psycopg.Connection[Any] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def connection(self) -> psycopg.Connection[Any]:
        """The session's connection, opened (and ``prepare``d) when there is none."""
        if self._con is None or self._con.closed:
            self._con = self._connect()
            self.prepare(self._con)
        return self._con

    # --- what a subclass does -------------------------------------------------------------------

    def prepare(self, con: psycopg.Connection[Any]) -> None:
        """Run on each new connection."""

    def session(self) -> None:
        raise NotImplementedError

    def failed(self, exc: psycopg.Error) -> None:
        log.warning("%s: %s", self.name, exc)

    def ended(self) -> None:
        """The thread leaves (its connection closed)."""

    # --- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.session()
                except psycopg.Error as exc:
                    self.close()
                    self.failed(exc)
                self._stop.wait(self.retry_every)
        finally:
            self.close()
            self.ended()

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                con.close()
            except psycopg.Error:
                log.debug("closing the %s connection failed", self.name, exc_info=True)
