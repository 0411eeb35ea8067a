"""The text of a multipart message from its parts (desk.messaging.inbox assembles with it).

Consecutive parts are joined with ``modem.codec.pdu.join`` over their raw PDUs, so an emoji or an
escape (€) that the sending phone split between two parts comes back whole; a missing part shows
as a gap marker. The parts' clear texts come from the caller, from memory (split_digits: parts
written with digits hidden) or as stored.
"""

from __future__ import annotations

from desk.messaging import split_digits
from desk.store.models import IncomingPart
from modem.codec import pdu as pdu_codec

__all__ = ["Texts", "body", "gap_marker", "lost", "texts"]


def gap_marker(seq: int, total: int) -> str:
    return f"[…part {seq} of {total} missing…]"


Texts = dict[int, tuple[str, str]]  # part id -> (clear text, raw PDU) as far as known


def texts(group: list[IncomingPart], clear: Texts | None) -> Texts:
    """The clear text and PDU of each part: given, kept in memory (split_digits), or as stored."""
    out: Texts = {}
    for p in group:
        known = (clear or {}).get(p.id) or split_digits.recall(p.dedupe_key)
        out[p.id] = known if known is not None else (p.text, p.raw_data)
    return out


def _pdus(parts: list[IncomingPart], texts: Texts) -> list[pdu_codec.Pdu] | None:
    """The parts' PDUs re-decoded from ``raw``; None if any part has none or it no
    longer decodes (then the texts are used)."""
    pdus = []
    for part in parts:
        raw = texts[part.id][1]
        if not raw:
            return None
        try:
            pdus.append(pdu_codec.decode(raw))
        except pdu_codec.PduError:
            return None
    return pdus


def _run_text(run: list[IncomingPart], texts: Texts) -> str:
    """The text of consecutive parts: ``modem.codec.pdu.join`` over their raw PDUs, so an emoji or an
    escape (€) that the sending phone split between two parts comes back whole; the stored
    texts joined when a raw PDU is missing or the parts are data."""
    if len(run) > 1:
        pdus = _pdus(run, texts)
        joined = pdu_codec.join(pdus) if pdus is not None else None
        if joined is not None:
            return joined
    return "".join(texts[p.id][0] for p in run)


def lost(group: list[IncomingPart], texts: Texts) -> set[int]:
    """Ids of the parts known only as written, their join digits hidden (the clear text was in
    the memory of an engine that has since restarted)."""
    return {p.id for p in group if texts[p.id] == (p.text, "") and split_digits.BULLET in p.text}


def body(group: list[IncomingPart], texts: Texts, hiding: bool) -> str:
    """The message text. With ``hiding``, the digits of a run at a join with a missing part, or
    with a part known only with its digits hidden, stay hidden (they could be part of a card
    number split there)."""
    total = group[0].total
    by_seq = {p.seq: p for p in group}
    hidden = lost(group, texts) if hiding else set()
    pieces: list[str] = []
    run: list[IncomingPart] = []

    def close_run() -> None:
        if not run:
            return
        text = _run_text(run, texts)
        if hiding:
            before, after = by_seq.get(run[0].seq - 1), by_seq.get(run[-1].seq + 1)
            lead = run[0].seq > 1 and (before is None or before.id in hidden)
            trail = run[-1].seq < total and (after is None or after.id in hidden)
            text = split_digits.hide_joins(text, leading=lead, trailing=trail)
        pieces.append(text)
        run.clear()

    for seq in range(1, total + 1):
        part = by_seq.get(seq)
        if part is None:
            close_run()
            pieces.append(gap_marker(seq, total))
        elif part.id in hidden:
            close_run()
            pieces.append(texts[part.id][0])
        else:
            run.append(part)
    close_run()
    return "".join(pieces)
