"""The audit log: one line per thing staff (or the app) sent, deleted, exported, erased, restored.

Details are plain words and never hold a customer's personal data when the action is about
removing it (erasure logs a hash of the number, retention only a count).
"""

from __future__ import annotations

import hashlib

from desk.base.clock import Clock, SystemClock, to_db
from desk.store.models import AuditLog


def record(
    action: str, detail: str = "", staff: str | None = None, *, clock: Clock | None = None
) -> AuditLog:
    """Append one AuditLog row (inside the caller's transaction, if any) and return it."""
    when = (clock or SystemClock()).now()
    return AuditLog.create(at=to_db(when), action=action, detail=detail, staff=staff or None)


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible tag for a number (so an erasure can be matched to a
    later request without keeping the number in the log)."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
