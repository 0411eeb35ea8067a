"""Keyword answers: words the shop answers automatically (HOURS, ADDRESS, PRICES…).

A keyword matches when it is the whole message or a whole word (or phrase) of it, ignoring case,
accents and punctuation: "hours?", "Your HOURS please", "Öffnungszeiten" for "offnungszeiten".
STOP/START/HELP and their relatives, and the answers to an appointment reminder (C, R, yes…),
are reserved: they keep their meaning and cannot be keywords.

Each incoming message gets at most one automatic answer; the same answer goes to the same customer
at most once an hour, and a customer gets at most ``DAILY_LIMIT`` keyword answers a day, so two
phones answering each other cannot run up the shop's bill.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from desk.base.clock import Clock, to_db
from desk.compliance import consent
from desk.reminders import appointments
from desk.store import audit
from desk.store.activity import KeywordAnswer
from desk.store.db import db
from desk.store.models import OUT, Message

SOURCE = "keyword"
SAME_ANSWER_AGAIN_AFTER = timedelta(hours=1)
DAILY_LIMIT = 10
MAX_KEYWORD_CHARS = 40
_WORD = re.compile(r"[^\W_]+")


class KeywordError(ValueError):
    """A keyword or answer the shop cannot have; the message says why in plain words."""


def fold(text: str) -> str:
    """Lower-case words without accents or punctuation, separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(bare.casefold()))


def check_keyword(word: str) -> str:
    """The folded keyword, or KeywordError: empty, too long, or reserved."""
    folded = fold(word)
    if not folded:
        raise KeywordError("A keyword needs at least one letter or digit.")
    if len(folded) > MAX_KEYWORD_CHARS:
        raise KeywordError(f"A keyword is at most {MAX_KEYWORD_CHARS} characters.")
    for token in (folded, *folded.split()):
        if consent.classify(token) is not None:
            raise KeywordError(
                f"“{word.strip()}” is reserved: customers use it to opt out, opt back in or "
                "ask for help, and TextDesk answers it by law and by the shop's settings."
            )
        if appointments.classify_reply(token) is not None:
            raise KeywordError(
                f"“{word.strip()}” is reserved: customers use it to answer appointment "
                "reminders (confirm or reschedule)."
            )
    return folded


def add(word: str, answer: str, *, clock: Clock, staff: str | None = None) -> KeywordAnswer:
    """A new keyword answer (enabled); KeywordError for a reserved, duplicate or empty one.
    ``staff``: who added it, on the audit line (None: nobody known, as before staff existed)."""
    folded = check_keyword(word)
    if not answer.strip():
        raise KeywordError("The answer is empty.")
    with db.atomic():
        if KeywordAnswer.get_or_none(KeywordAnswer.keyword == folded) is not None:
            raise KeywordError(f"There is already an answer for “{folded}”.")
        row: KeywordAnswer = KeywordAnswer.create(
            keyword=folded, answer=answer.strip(), created_at=to_db(clock.now())
        )
        audit.record("settings", f"keyword answer added: {folded}", staff, clock=clock)
    return row


def update(
    keyword_id: int,
    *,
    answer: str | None = None,
    enabled: bool | None = None,
    clock: Clock,
    staff: str | None = None,
) -> KeywordAnswer:
    """A new answer or switch for a keyword answer, audited with who changed it (``staff``)."""
    with db.atomic():
        row: KeywordAnswer | None = KeywordAnswer.get_or_none(KeywordAnswer.id == keyword_id)
        if row is None:
            raise KeywordError(f"There is no keyword answer {keyword_id}.")
        if answer is not None:
            if not answer.strip():
                raise KeywordError("The answer is empty.")
            row.answer = answer.strip()
        if enabled is not None:
            row.enabled = enabled
        row.save()
        audit.record("settings", f"keyword answer changed: {row.keyword}", staff, clock=clock)
    return row


def delete(keyword_id: int, *, clock: Clock, staff: str | None = None) -> None:
    """Remove a keyword answer, audited with who removed it (``staff``)."""
    with db.atomic():
        row: KeywordAnswer | None = KeywordAnswer.get_or_none(KeywordAnswer.id == keyword_id)
        if row is None:
            raise KeywordError(f"There is no keyword answer {keyword_id}.")
        row.delete_instance()
        audit.record("settings", f"keyword answer deleted: {row.keyword}", staff, clock=clock)


def listed() -> list[KeywordAnswer]:
    return list(KeywordAnswer.select().order_by(KeywordAnswer.keyword))


def match(body: str, answers: list[KeywordAnswer] | None = None) -> KeywordAnswer | None:
    """The enabled keyword answer the message asks for: the whole message first, then the
    longest keyword found as whole words (so "opening hours" wins over "hours")."""
    text = fold(body)
    if not text:
        return None
    rows = [a for a in (answers if answers is not None else listed()) if a.enabled]
    for row in rows:
        if row.keyword == text:
            return row
    padded = f" {text} "
    found = [row for row in rows if f" {row.keyword} " in padded]
    return max(found, key=lambda r: len(r.keyword)) if found else None


def may_answer(conversation_id: int, keyword: str, *, clock: Clock) -> bool:
    """Whether the per-customer limits allow another answer for ``keyword`` now."""
    now = clock.now()
    answered = Message.select(Message.body, Message.flags, Message.created_at).where(
        (Message.conversation == conversation_id)
        & (Message.direction == OUT)
        & (Message.source == SOURCE)
        & (Message.created_at >= to_db(now - timedelta(days=1)))
    )
    rows = list(answered)
    if len(rows) >= DAILY_LIMIT:
        return False
    recent = to_db(now - SAME_ANSWER_AGAIN_AFTER)
    flag = f"kw:{keyword}"
    return not any(
        flag in r.flag_list and recent is not None and r.created_at >= recent for r in rows
    )
